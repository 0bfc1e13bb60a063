package io.smtpsidecar.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.Scrape;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A burst of 1,000 connections from one client: the per-client limit holds and another client gets through. */
class LimitsBurstIT {
    private static final int BURST = 1000;
    private static final int PER_CLIENT = 50;

    @Test
    void burstFromOneClientIsCappedWhileAnotherGetsThrough() throws Exception {
        JsonObject cfg = new JsonObject().put("limits", new JsonObject()
            .put("maxConnectionsPerClient", PER_CLIENT).put("connectionRatePerClient", 0));
        Vertx clients = Vertx.vertx();
        try (SidecarHarness h = new SidecarHarness(cfg)) {
            NetClient net = clients.createNetClient(new NetClientOptions().setLocalAddress("127.0.0.5"));
            ConcurrentHashMap<String, Integer> firstLines = new ConcurrentHashMap<>();
            CountDownLatch answered = new CountDownLatch(BURST);
            List<Future<NetSocket>> sockets = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                sockets.add(net.connect(h.port(), "127.0.0.1").onSuccess(s -> {
                    boolean[] seen = {false};
                    s.handler(data -> {
                        if (!seen[0]) {
                            seen[0] = true;
                            firstLines.merge(data.toString().substring(0, 3), 1, Integer::sum);
                            answered.countDown();
                        }
                    });
                }));
            }
            assertThat(answered.await(SidecarHarness.WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(firstLines).containsEntry("220", PER_CLIENT).containsEntry("421", BURST - PER_CLIENT);

            try (SmtpClient other = new SmtpClient("127.0.0.6", h.port())) {
                assertThat(other.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            }
            assertThat(Scrape.value(h.get("/metrics").body(), "smtp_sidecar_connections_total{listener=\"smtp\",outcome=\"limited\"}"))
                .isEqualTo(BURST - PER_CLIENT);
            for (Future<NetSocket> s : sockets) {
                s.result().close();
            }
            // also keeps the client reachable until here: Vert.x closes an unreachable NetClient's sockets at a GC
            net.close().await();
        } finally {
            clients.close().await();
        }
    }
}
