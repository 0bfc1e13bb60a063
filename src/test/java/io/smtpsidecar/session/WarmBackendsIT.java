package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.SidecarApp;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.support.Scrape;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code backend.warmConnections} against a backend that records every connection: connections are opened and past
 * EHLO before any client, each is used by one session, idle ones end with QUIT, ones the backend drops are replaced,
 * and a warm connection that fails when taken costs the client nothing.
 */
class WarmBackendsIT {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // one event loop, so that every session meets the one pool that holds the warm connections
    private final Vertx vertx = SidecarApp.newVertx(registry, 1,
        io.smtpsidecar.transport.TransportChoice.of(io.smtpsidecar.config.SidecarConfig.Transport.AUTO));
    private final BlockingQueue<SessionRecord> sessions = new LinkedBlockingQueue<>();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    /** What the backend saw: {@code N: line} and {@code close N}, in order. */
    private static final class RecordingBackend {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final Map<Integer, NetSocket> sockets = new ConcurrentHashMap<>();
        final AtomicInteger ids = new AtomicInteger();
        /** Connections with an id up to this close without a reply when XCLIENT comes. */
        volatile int dropXclientUpTo;
        final int port;

        RecordingBackend(Vertx vertx) {
            port = vertx.createNetServer().connectHandler(this::serve).listen(0, "127.0.0.1").await().actualPort();
        }

        /**
         * Connections are numbered by their EHLO (1, 2, …): the readiness probe's connections (greeting, QUIT) get
         * no number and are left out of the events.
         */
        private void serve(NetSocket socket) {
            int[] id = {0};
            socket.closeHandler(v -> {
                if (id[0] > 0) {
                    sockets.remove(id[0]);
                    events.add("close " + id[0]);
                }
            });
            socket.handler(RecordParser.newDelimited("\r\n", raw -> {
                String line = raw.toString();
                String verb = line.split(" ")[0].toUpperCase(Locale.ROOT);
                if (verb.equals("EHLO") && id[0] == 0) {
                    id[0] = ids.incrementAndGet();
                    sockets.put(id[0], socket);
                }
                if (id[0] > 0) {
                    events.add(id[0] + ": " + line);
                }
                switch (verb) {
                    case "EHLO" -> socket.write("250-backend.test\r\n250 XCLIENT ADDR NAME PORT\r\n");
                    case "XCLIENT" -> {
                        if (id[0] <= dropXclientUpTo) {
                            socket.close();
                        } else {
                            socket.write("220 backend.test ESMTP fresh " + id[0] + "\r\n");
                        }
                    }
                    case "QUIT" -> socket.write("221 2.0.0 Bye\r\n").onComplete(ar -> socket.close());
                    default -> socket.write("250 ok\r\n");
                }
            }));
            socket.write("220 backend.test ESMTP first\r\n");
        }

        /** Waits until an event matching each of {@code wanted} has come, in any order; returns every event seen. */
        @SafeVarargs
        final List<String> awaitEvents(Predicate<String>... wanted) throws InterruptedException {
            List<Predicate<String>> missing = new ArrayList<>(List.of(wanted));
            List<String> seen = new ArrayList<>();
            long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
            while (!missing.isEmpty()) {
                String e = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (e == null) {
                    throw new AssertionError("backend events missing after " + SidecarHarness.WAIT + "; saw " + seen);
                }
                seen.add(e);
                missing.removeIf(p -> p.test(e));
            }
            return seen;
        }

        List<String> awaitEvent(String wanted) throws InterruptedException {
            return awaitEvents(wanted::equals);
        }

        /** Like Postfix's idle timeout: 421 and close on every open connection. */
        void timeOutAll() {
            sockets.values().forEach(s -> s.write("421 4.4.2 backend.test Error: timeout exceeded\r\n")
                .onComplete(ar -> s.close()));
        }
    }

    private SidecarApp start(int backendPort, JsonObject backend) {
        JsonObject overrides = new JsonObject().put("backend", backend.copy().put("port", backendPort));
        SidecarConfig config = SidecarHarness.config(overrides, backendPort);
        return SidecarApp.start(vertx, registry, config, sessions::add).await();
    }

    private double warm(String event) {
        return Scrape.value(registry.scrape(), "smtp_sidecar_backend_warm_total{event=\"" + event + "\"}");
    }

    /** Waits until the sidecar reports {@code n} warm connections ready (the backend sees EHLO a moment earlier). */
    private void awaitReady(int n) throws InterruptedException {
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        double ready;
        while ((ready = Scrape.value(registry.scrape(), "smtp_sidecar_backend_warm_ready")) != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(ready + " warm connections ready, not " + n + ", after " + SidecarHarness.WAIT);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void connectionsAreReadyBeforeTheClientAndEachServesOneSession() throws Exception {
        RecordingBackend backend = new RecordingBackend(vertx);
        SidecarApp app = start(backend.port, new JsonObject().put("warmConnections", 2));
        // both warm connections are greeted and past EHLO with no client in sight
        backend.awaitEvents(e -> e.equals("1: EHLO sidecar.test"), e -> e.equals("2: EHLO sidecar.test"));
        awaitReady(2);

        String used;
        try (SmtpClient c = new SmtpClient("127.0.0.2", app.smtpPort())) {
            String greeting = c.reply();
            assertThat(greeting).matches("220 backend.test ESMTP fresh [12]");
            used = greeting.substring(greeting.length() - 1);
            // the session's XCLIENT went over that warm connection, and a replacement is opened and made ready
            backend.awaitEvents(e -> e.startsWith(used + ": XCLIENT ADDR=127.0.0.2 "),
                e -> e.equals("3: EHLO sidecar.test"));
            assertThat(c.command("MAIL FROM:<a@example.test>")).isEqualTo("250 ok");
            assertThat(c.command("QUIT")).startsWith("221");
        }
        assertThat(warm("used")).isEqualTo(1.0);
        awaitReady(2);

        // the next session takes another one: each connection serves one session
        String second;
        try (SmtpClient c = new SmtpClient("127.0.0.3", app.smtpPort())) {
            second = c.reply();
            assertThat(second).matches("220 backend.test ESMTP fresh [123]").doesNotEndWith(" " + used);
            assertThat(c.command("QUIT")).startsWith("221");
        }
        assertThat(warm("used")).isEqualTo(2.0);

        // the drain ends the unused ones politely (the clients' own QUITs went over the used ones)
        String usedToo = second.substring(second.length() - 1);
        app.drain().await();
        backend.awaitEvents(e -> e.matches("\\d+: QUIT") && !e.startsWith(used + ":") && !e.startsWith(usedToo + ":"));
    }

    @Test
    void anIdleConnectionEndsWithQuitAndIsReplaced() throws Exception {
        RecordingBackend backend = new RecordingBackend(vertx);
        start(backend.port, new JsonObject().put("warmConnections", 1).put("warmMaxIdle", "300ms"));
        List<String> seen = backend.awaitEvent("1: QUIT");
        assertThat(seen).contains("1: EHLO sidecar.test").noneMatch(e -> e.startsWith("1: XCLIENT"));
        backend.awaitEvent("2: EHLO sidecar.test");
        assertThat(warm("expired")).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void connectionsTheBackendTimesOutAreReplacedAndClientsAreServed() throws Exception {
        RecordingBackend backend = new RecordingBackend(vertx);
        SidecarApp app = start(backend.port, new JsonObject().put("warmConnections", 2));
        awaitReady(2);
        backend.timeOutAll();
        backend.awaitEvents(e -> e.equals("close 1"), e -> e.equals("close 2"));
        // replaced after the back-off, with no session asking
        awaitReady(2);
        assertThat(warm("lost")).isEqualTo(2.0);
        try (SmtpClient c = new SmtpClient("127.0.0.2", app.smtpPort())) {
            assertThat(c.reply()).matches("220 backend.test ESMTP fresh [34]");
            assertThat(c.command("QUIT")).startsWith("221");
        }
    }

    @Test
    void aConnectionThatFailsWhenTakenIsReplacedForThatClient() throws Exception {
        RecordingBackend backend = new RecordingBackend(vertx);
        backend.dropXclientUpTo = 1;
        SidecarApp app = start(backend.port, new JsonObject().put("warmConnections", 1));
        awaitReady(1);
        try (SmtpClient c = new SmtpClient("127.0.0.2", app.smtpPort())) {
            // connection 1 closes on XCLIENT; the session connects again and the client sees nothing of it
            assertThat(c.reply()).matches("220 backend.test ESMTP fresh \\d");
            assertThat(c.command("QUIT")).startsWith("221");
        }
        backend.awaitEvents(e -> e.startsWith("1: XCLIENT ADDR=127.0.0.2 "));
        SessionRecord r = sessions.poll(SidecarHarness.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(r).isNotNull();
        assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
        assertThat(r.format()).startsWith("forwarded H=[127.0.0.2]:");
    }

    @Test
    void aReloadMovesTheWarmConnectionsToTheNewBackend() throws Exception {
        RecordingBackend first = new RecordingBackend(vertx);
        RecordingBackend second = new RecordingBackend(vertx);
        SidecarApp app = start(first.port, new JsonObject().put("warmConnections", 1));
        awaitReady(1);
        JsonObject moved = new JsonObject().put("backend", new JsonObject().put("port", second.port)
            .put("warmConnections", 1));
        app.reload(SidecarHarness.config(moved, second.port));
        first.awaitEvent("1: QUIT");
        second.awaitEvent("1: EHLO sidecar.test");
    }
}
