package io.smtpsidecar.config;

import io.vertx.config.spi.ConfigProcessor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * The vertx-config format of the configuration file: {@link YamlConfigFile}'s strict reading, so that a scan fails
 * (and a reload is rejected) on the same files that stop the start. Registered in META-INF/services.
 */
public final class YamlConfigProcessor implements ConfigProcessor {
    static final String NAME = "smtp-sidecar-yaml";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Future<JsonObject> process(Vertx vertx, JsonObject configuration, Buffer input) {
        // off the event loop, as vertx-config's own YAML format does: a large file would stall it
        return vertx.executeBlocking(() -> YamlConfigFile.parse(input.toString(StandardCharsets.UTF_8)));
    }
}
