package io.smtpsidecar.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/**
 * A required peer floods the sidecar with connections that send nothing or trickle one byte a second. Each one's
 * header phase ends at the deadline (the refusal banner), heap stays bounded, and legitimate proxied sessions keep
 * their time to banner. {@code -Dflood.connections=5000} is the long run; {@code mvn verify} runs a bounded one.
 */
class FloodIT {
    private static final int FLOOD = Integer.getInteger("flood.connections", 1000);
    private static final int LEGIT = 100;
    private static final long DEADLINE_MS = 2000;

    @Test
    void silentAndTricklingFloodEndsAtTheDeadlineWhileRealSessionsGetThrough() throws Exception {
        JsonObject cfg = new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1 : 127.0.0.3").put("headerTimeout", DEADLINE_MS + "ms"))
            .put("smtp", new JsonObject().put("refusalIdleTimeout", "1s"))
            .put("limits", new JsonObject().put("maxConnectionsPerClient", 0).put("connectionRatePerClient", 0));
        Vertx clients = Vertx.vertx();
        try (SidecarHarness h = new SidecarHarness(cfg)) {
            double unloaded = medianTimeToBanner(h);
            long heapBefore = usedHeapAfterGc();

            NetClient net = clients.createNetClient(new NetClientOptions().setLocalAddress("127.0.0.3"));
            AtomicLongArray connectedAt = new AtomicLongArray(FLOOD);
            AtomicLongArray bannerAt = new AtomicLongArray(FLOOD);
            AtomicInteger wrongAnswer = new AtomicInteger();
            CountDownLatch banners = new CountDownLatch(FLOOD);
            List<NetSocket> trickling = new ArrayList<>();
            for (int i = 0; i < FLOOD; i++) {
                int n = i;
                long start = System.nanoTime();
                NetSocket s = net.connect(h.port(), "127.0.0.1").await();
                connectedAt.set(n, start);
                s.handler(data -> {
                    if (bannerAt.compareAndSet(n, 0, System.nanoTime())) {
                        if (!data.toString().startsWith("220 sidecar.test ESMTP")) {
                            wrongAnswer.incrementAndGet();
                        }
                        banners.countDown();
                    }
                });
                if (n % 2 == 1) {
                    trickling.add(s); // half the flood trickles "PROXY" one byte a second
                }
            }
            long trickle = clients.setPeriodic(1000, id -> {
                for (NetSocket s : trickling) {
                    s.write("P");
                }
            });
            long heapDuring = usedHeapAfterGc();
            double loaded = medianTimeToBanner(h);

            assertThat(banners.await(SidecarHarness.WAIT.toSeconds(), TimeUnit.SECONDS)).as("every flood connection ended its header phase").isTrue();
            clients.cancelTimer(trickle);
            long[] waited = new long[FLOOD];
            for (int i = 0; i < FLOOD; i++) {
                waited[i] = TimeUnit.NANOSECONDS.toMillis(bannerAt.get(i) - connectedAt.get(i));
            }
            Arrays.sort(waited);
            System.out.printf("flood: %d connections, header phase ended after %d..%d ms (deadline %d ms); "
                    + "heap +%d KB (%d B per connection); legit median time to banner %.1f ms unloaded, %.1f ms loaded%n",
                FLOOD, waited[0], waited[FLOOD - 1], DEADLINE_MS, (heapDuring - heapBefore) / 1024,
                (heapDuring - heapBefore) / FLOOD, unloaded, loaded);
            assertThat(wrongAnswer.get()).isZero();
            assertThat(waited[0]).as("no connection ends before the deadline").isGreaterThanOrEqualTo(DEADLINE_MS - 50);
            // +10 %, plus slack for a shared 2-core machine delivering thousands of banners at once
            assertThat(waited[FLOOD / 2]).as("median end of the header phase").isLessThanOrEqualTo(DEADLINE_MS * 11 / 10 + 500);
            assertThat((heapDuring - heapBefore) / FLOOD).as("heap per flood connection, bytes").isLessThan(20_000);
            assertThat(loaded).as("legit time to banner under flood (ms)").isLessThan(Math.max(2 * unloaded, unloaded + 50));
            // also keeps the client reachable until here: Vert.x closes an unreachable NetClient's sockets at a GC
            net.close().await();
        } finally {
            clients.close().await();
        }
    }

    /** Proxied sessions from 127.0.0.1 through the sidecar to the demo backend, one after another. */
    private static double medianTimeToBanner(SidecarHarness h) throws Exception {
        double[] ms = new double[LEGIT];
        for (int i = 0; i < LEGIT; i++) {
            long start = System.nanoTime();
            try (SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
                c.send(ProxyHeaders.v1("192.0.2.1", 40000 + i, "198.51.100.7", 25));
                assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
                ms[i] = (System.nanoTime() - start) / 1e6;
                c.command("QUIT");
            }
        }
        Arrays.sort(ms);
        return ms[LEGIT / 2];
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
