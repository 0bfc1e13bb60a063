package io.smtpsidecar.health;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes an operations-port connection whose next request head is not complete within the timeout of connecting or
 * of the previous answer. The idle timeout alone would not do: a peer that sends a byte now and then is never idle.
 */
final class RequestDeadlines {
    private final Vertx vertx;
    private final long timeoutMs;
    private final Map<HttpConnection, Long> timers = new ConcurrentHashMap<>();

    RequestDeadlines(Vertx vertx, Duration timeout) {
        this.vertx = vertx;
        this.timeoutMs = timeout.toMillis();
    }

    void connected(HttpConnection connection) {
        connection.closeHandler(v -> disarm(connection));
        arm(connection);
    }

    /** The head is complete: no deadline while it is answered; the next one starts when the answer is sent. */
    void requestStarted(HttpServerRequest request) {
        HttpConnection connection = request.connection();
        disarm(connection);
        request.response().endHandler(v -> arm(connection));
    }

    private void arm(HttpConnection connection) {
        timers.put(connection, vertx.setTimer(timeoutMs, id -> {
            timers.remove(connection);
            connection.close();
        }));
    }

    private void disarm(HttpConnection connection) {
        Long timer = timers.remove(connection);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }
}
