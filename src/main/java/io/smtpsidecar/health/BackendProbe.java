package io.smtpsidecar.health;

import io.smtpsidecar.config.SidecarConfig;
import io.vertx.core.Vertx;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.util.function.Supplier;

/**
 * Keeps {@link Readiness} informed about the backend when sessions do not: every half
 * {@code health.backendCheckInterval} without a recent backend connection, it connects, waits for the greeting and
 * says QUIT, so the MTA logs a clean session rather than a lost connection.
 */
public final class BackendProbe {
    private final Vertx vertx;
    private final Supplier<SidecarConfig> config;
    private final Readiness readiness;
    private final NetClient client;
    private long timer = -1;

    public BackendProbe(Vertx vertx, Supplier<SidecarConfig> config, Readiness readiness) {
        this.vertx = vertx;
        this.config = config;
        this.readiness = readiness;
        this.client = vertx.createNetClient();
    }

    public void start() {
        probe();
    }

    public void stop() {
        vertx.cancelTimer(timer);
        client.close();
    }

    private void probe() {
        SidecarConfig c = config.get();
        long half = Math.max(250, c.health().backendCheckInterval().toMillis() / 2);
        if (readiness.notReadyReason(c.health().backendCheckInterval().dividedBy(2)) == null) {
            timer = vertx.setTimer(half, id -> probe());
            return;
        }
        client.connect(new ConnectOptions().setHost(c.backend().host()).setPort(c.backend().port())
                .setTimeout((int) c.backend().connectTimeout().toMillis()))
            .onComplete(ar -> {
                if (ar.succeeded()) {
                    readiness.backendAccepted();
                    quit(ar.result(), c);
                }
                timer = vertx.setTimer(half, id -> probe());
            });
    }

    private void quit(NetSocket socket, SidecarConfig c) {
        long deadline = vertx.setTimer(c.backend().greetingTimeout().toMillis(), id -> socket.close());
        boolean[] greeted = {false};
        socket.handler(data -> {
            if (!greeted[0]) {
                greeted[0] = true;
                socket.write("QUIT\r\n");
            } else {
                socket.close();
            }
        });
        socket.closeHandler(v -> vertx.cancelTimer(deadline));
    }
}
