package io.smtpsidecar.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Parsed values by key: the whole process's keys at the top level, or one listener's effective keys. Immutable. */
public final class ConfigValues {
    private final Map<ConfigKey<?>, Object> values;

    ConfigValues(Map<ConfigKey<?>, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        return (T) values.get(key);
    }

    /** Whether {@code key} has a value here (a listener's values hold only the keys a listener can set). */
    public boolean has(ConfigKey<?> key) {
        return values.containsKey(key);
    }

    /** The same values with {@code key} replaced. */
    public <T> ConfigValues with(ConfigKey<T> key, T value) {
        Map<ConfigKey<?>, Object> copy = new LinkedHashMap<>(values);
        copy.put(key, value);
        return new ConfigValues(copy);
    }

    /** These values with every key {@code over} has replaced by its value (a listener's own over the top level). */
    public ConfigValues overriddenBy(ConfigValues over) {
        Map<ConfigKey<?>, Object> copy = new LinkedHashMap<>(values);
        copy.putAll(over.values);
        return new ConfigValues(copy);
    }

    /** The same values without {@code key}. */
    public ConfigValues without(ConfigKey<?> key) {
        Map<ConfigKey<?>, Object> copy = new LinkedHashMap<>(values);
        copy.remove(key);
        return new ConfigValues(copy);
    }

    /** The keys that have a value here, in table order. */
    public java.util.Set<ConfigKey<?>> keys() {
        return values.keySet();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfigValues other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(values);
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
