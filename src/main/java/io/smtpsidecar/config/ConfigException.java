package io.smtpsidecar.config;

/** An invalid configuration value; the message always starts with the offending key path. */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
