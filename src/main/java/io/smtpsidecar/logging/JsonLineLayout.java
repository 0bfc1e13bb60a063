package io.smtpsidecar.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.LayoutBase;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object per line for log pipelines: {@code time}, {@code level}, {@code logger}, {@code message}, then the
 * event's key-value pairs (a session's fields). An exception contributes its class and message, never a stack trace.
 */
public final class JsonLineLayout extends LayoutBase<ILoggingEvent> {
    @Override
    public String doLayout(ILoggingEvent event) {
        JsonObject json = new JsonObject()
            .put("time", Instant.ofEpochMilli(event.getTimeStamp()).toString())
            .put("level", event.getLevel().toString())
            .put("logger", event.getLoggerName())
            .put("message", event.getFormattedMessage());
        if (event.getKeyValuePairs() != null) {
            for (KeyValuePair kv : event.getKeyValuePairs()) {
                json.put(kv.key, kv.value);
            }
        }
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null) {
            json.put("error", error.getClassName() + ": " + error.getMessage());
        }
        return json.encode() + System.lineSeparator();
    }
}
