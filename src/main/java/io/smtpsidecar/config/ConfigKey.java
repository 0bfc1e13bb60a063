package io.smtpsidecar.config;

import java.util.function.Function;

/**
 * One configuration key, as the reader, the printer, the environment names, the reload and the documentation know it.
 *
 * @param path the dotted path in the file ({@code proxy.headerTimeout})
 * @param defaultText the default as the README's key table shows it
 * @param defaultValue the default, or null where it is computed at load (CPUs, host name) or there is none
 * @param parser turns a raw YAML or environment value into the typed value, or says what is wrong with it
 * @param printer turns the typed value back into what the YAML file would say ({@code --check-config})
 * @param perListener whether a listener may override it ({@code listeners[i].<path>})
 * @param restart whether a changed value needs a restart (a reload logs the change and keeps the running value)
 */
public record ConfigKey<T>(String path, String defaultText, T defaultValue, Parser<T> parser,
                           Function<T, Object> printer, boolean perListener, boolean restart) {

    /** Parses one raw value; throws {@link IllegalArgumentException} with a message that quotes the value. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(Object raw);
    }

    /** The section ({@code proxy}) and the name in it ({@code headerTimeout}). */
    public String section() {
        return path.substring(0, path.indexOf('.'));
    }

    public String name() {
        return path.substring(path.indexOf('.') + 1);
    }

    /** The value as the configuration file would spell it. */
    @SuppressWarnings("unchecked")
    public Object print(Object value) {
        return value == null ? null : printer.apply((T) value);
    }

    @Override
    public String toString() {
        return path;
    }
}
