package io.smtpsidecar.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the YAML file and the {@code SIDECAR_*} environment through vertx-config and validates the result into a
 * {@link SidecarConfig}.
 */
public final class ConfigLoader {
    private final ConfigRetriever retriever;
    private final String machineHostname;

    /** @param file the YAML file, or null to run on defaults and environment only */
    public ConfigLoader(Vertx vertx, Path file, String machineHostname) {
        this(vertx, file, machineHostname, null);
    }

    /** @param scanPeriod how often {@link #watch} re-reads the file, or null for no watching */
    public ConfigLoader(Vertx vertx, Path file, String machineHostname, Duration scanPeriod) {
        this.machineHostname = machineHostname;
        ConfigRetrieverOptions options = new ConfigRetrieverOptions().setIncludeDefaultStores(false)
            .setScanPeriod(scanPeriod == null ? -1 : scanPeriod.toMillis());
        if (file != null) {
            options.addStore(new ConfigStoreOptions().setType("file").setFormat(YamlConfigProcessor.NAME)
                .setConfig(new JsonObject().put("path", file.toAbsolutePath().toString())));
        }
        JsonArray envKeys = new JsonArray();
        ConfigKeys.ALL.forEach(k -> ConfigKeys.envNames(k).forEach(envKeys::add));
        // raw-data keeps "0025" or "3s" as strings; ConfigReader does all typing and validation
        options.addStore(new ConfigStoreOptions().setType("env")
            .setConfig(new JsonObject().put("keys", envKeys).put("raw-data", true)));
        this.retriever = ConfigRetriever.create(vertx, options);
    }

    /**
     * Reads and validates once; fails with a {@link ConfigException} (a bad value), a {@link ConfigFileException} (a
     * file that is no mapping of sections) or the store's own error (a file that cannot be read).
     */
    public Future<SidecarConfig> load() {
        return retriever.getConfig().map(this::validate);
    }

    /**
     * Re-reads the file every scan period. A changed, valid file goes to {@code onChange}; a file that does not parse
     * or validate goes to {@code onInvalid} with a message naming the key, and the caller keeps what it runs.
     */
    public void watch(Consumer<SidecarConfig> onChange, Consumer<String> onInvalid) {
        // read once first, so that the first scan compares with the file as it is now rather than with nothing
        retriever.getConfig().onComplete(first -> listen(onChange, onInvalid));
    }

    private void listen(Consumer<SidecarConfig> onChange, Consumer<String> reportInvalid) {
        // a file that does not parse fails every scan: report each distinct problem once, not every scan period
        String[] lastProblem = {null};
        Consumer<String> onInvalid = problem -> {
            if (!problem.equals(lastProblem[0])) {
                lastProblem[0] = problem;
                reportInvalid.accept(problem);
            }
        };
        retriever.listen(change -> {
            SidecarConfig next;
            try {
                next = validate(change.getNewConfiguration());
            } catch (ConfigException e) {
                onInvalid.accept(e.getMessage());
                return;
            }
            lastProblem[0] = null;
            onChange.accept(next);
        });
        retriever.configStream().exceptionHandler(err -> onInvalid.accept(String.valueOf(err.getMessage())));
    }

    private SidecarConfig validate(JsonObject merged) {
        JsonObject file = new JsonObject();
        Map<String, String> env = new HashMap<>();
        for (String name : merged.fieldNames()) {
            Object value = merged.getValue(name);
            if (name.startsWith(ConfigKeys.ENV_PREFIX)) {
                env.put(name, String.valueOf(value));
            } else {
                file.put(name, value);
            }
        }
        return ConfigReader.read(file, env, machineHostname);
    }

    public void close() {
        retriever.close();
    }
}
