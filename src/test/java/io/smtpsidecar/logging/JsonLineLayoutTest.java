package io.smtpsidecar.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class JsonLineLayoutTest {
    @Test
    void oneJsonObjectPerLineWithTheEventFields() {
        LoggerContext context = new LoggerContext();
        LoggingEvent event = new LoggingEvent("x", context.getLogger("smtp-sidecar.session"), Level.INFO,
            "forwarded H=[192.0.2.1]:1 P=proxy-v2", new IllegalStateException("boom\nsecond line"), null);
        event.setKeyValuePairs(List.of(new KeyValuePair("outcome", "forwarded"), new KeyValuePair("in", 12L)));
        JsonLineLayout layout = new JsonLineLayout();
        layout.setContext(context);
        layout.start();
        String line = layout.doLayout(event);
        assertThat(line).endsWith(System.lineSeparator());
        assertThat(line.strip()).doesNotContain("\n");
        JsonObject json = new JsonObject(line);
        assertThat(json.getString("level")).isEqualTo("INFO");
        assertThat(json.getString("logger")).isEqualTo("smtp-sidecar.session");
        assertThat(json.getString("message")).isEqualTo("forwarded H=[192.0.2.1]:1 P=proxy-v2");
        assertThat(json.getString("outcome")).isEqualTo("forwarded");
        assertThat(json.getLong("in")).isEqualTo(12L);
        assertThat(json.getString("error")).isEqualTo("java.lang.IllegalStateException: boom\nsecond line");
        assertThat(json.getString("time")).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    }
}
