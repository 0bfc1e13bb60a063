package io.smtpsidecar.config;

/**
 * A configuration file that is no usable mapping of sections: empty, only comments, a list or a single value at the
 * top, a key given twice, or YAML that does not parse. The message says what is wrong in one line, without the file.
 */
public final class ConfigFileException extends RuntimeException {
    public ConfigFileException(String problem) {
        super(problem);
    }
}
