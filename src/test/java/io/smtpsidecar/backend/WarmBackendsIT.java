package io.smtpsidecar.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.SidecarApp;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.FakeMta.Fault;
import io.smtpsidecar.support.Scrape;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code backend.warmConnections} against a {@link FakeMta} that records every connection as it goes: connections are opened and past
 * EHLO before any client, each is used by one session, idle ones end with QUIT, ones the backend drops are replaced,
 * and a warm connection that fails when taken costs the client nothing.
 */
class WarmBackendsIT {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // one event loop, so that every session meets the one pool that holds the warm connections
    private final Vertx vertx = SidecarApp.newVertx(registry, 1,
        io.smtpsidecar.transport.TransportChoice.of(SidecarConfig.Transport.AUTO));
    private final BlockingQueue<SessionRecord> sessions = new LinkedBlockingQueue<>();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    /** The connection ({@code N} of the {@code N: line} events) that sent the XCLIENT for {@code client}. */
    private static String xclientConnection(List<String> events, String client) {
        String marker = ": XCLIENT ADDR=" + client + " ";
        return events.stream().filter(e -> e.contains(marker)).map(e -> e.substring(0, e.indexOf(':'))).findFirst()
            .orElseThrow(() -> new AssertionError("no XCLIENT for " + client + " in " + events));
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
        awaitMetric("smtp_sidecar_backend_warm_ready", n);
    }

    /** A counter that has not counted yet may not be in the scrape at all. */
    private double valueOrNaN(String series) {
        try {
            return Scrape.value(registry.scrape(), series);
        } catch (AssertionError notYet) {
            return Double.NaN;
        }
    }

    /** Waits until {@code series} reads {@code n}: the sidecar learns of the backend's closes after the backend. */
    private void awaitMetric(String series, double n) throws InterruptedException {
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        double value;
        while ((value = valueOrNaN(series)) != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(series + " is " + value + ", not " + n + ", after " + SidecarHarness.WAIT);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void connectionsAreReadyBeforeTheClientAndEachServesOneSession() throws Exception {
        FakeMta backend = FakeMta.start(vertx, Fault.NONE);
        SidecarApp app = start(backend.port(), new JsonObject().put("warmConnections", 2));
        // both warm connections are greeted and past EHLO with no client in sight
        backend.awaitEvents(e -> e.equals("1: EHLO sidecar.test"), e -> e.equals("2: EHLO sidecar.test"));
        awaitReady(2);

        String used;
        try (SmtpClient c = new SmtpClient("127.0.0.2", app.smtpPort())) {
            assertThat(c.reply()).isEqualTo(FakeMta.GREETING);
            // the session's XCLIENT went over a warm connection, and a replacement is opened and made ready
            used = xclientConnection(backend.awaitEvents(e -> e.matches("\\d+: XCLIENT ADDR=127\\.0\\.0\\.2 .*"),
                e -> e.equals("3: EHLO sidecar.test")), "127.0.0.2");
            assertThat(used).matches("[12]");
            assertThat(c.command("MAIL FROM:<a@example.test>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("QUIT")).startsWith("221");
        }
        assertThat(warm("used")).isEqualTo(1.0);
        awaitReady(2);

        // the next session takes another one: each connection serves one session
        String usedToo;
        try (SmtpClient c = new SmtpClient("127.0.0.3", app.smtpPort())) {
            assertThat(c.reply()).isEqualTo(FakeMta.GREETING);
            usedToo = xclientConnection(backend.awaitEvents(e -> e.matches("\\d+: XCLIENT ADDR=127\\.0\\.0\\.3 .*")),
                "127.0.0.3");
            assertThat(usedToo).matches("[123]").isNotEqualTo(used);
            assertThat(c.command("QUIT")).startsWith("221");
        }
        assertThat(warm("used")).isEqualTo(2.0);

        // the drain ends the unused ones politely (the clients' own QUITs went over the used ones)
        app.drain().await();
        backend.awaitEvents(e -> e.matches("\\d+: QUIT") && !e.startsWith(used + ":") && !e.startsWith(usedToo + ":"));
    }

    @Test
    void anIdleConnectionEndsWithQuitAndIsReplaced() throws Exception {
        FakeMta backend = FakeMta.start(vertx, Fault.NONE);
        start(backend.port(), new JsonObject().put("warmConnections", 1).put("warmMaxIdle", "300ms"));
        List<String> seen = backend.awaitEvent("1: QUIT");
        assertThat(seen).contains("1: EHLO sidecar.test").noneMatch(e -> e.startsWith("1: XCLIENT"));
        backend.awaitEvent("2: EHLO sidecar.test");
        assertThat(warm("expired")).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void connectionsTheBackendTimesOutAreReplacedAndClientsAreServed() throws Exception {
        FakeMta backend = FakeMta.start(vertx, Fault.NONE);
        SidecarApp app = start(backend.port(), new JsonObject().put("warmConnections", 2));
        awaitReady(2);
        backend.timeOutAll();
        backend.awaitEvents(e -> e.equals("close 1"), e -> e.equals("close 2"));
        // the ready gauge still reads 2 until the sidecar has seen both closes: wait for those first
        awaitMetric("smtp_sidecar_backend_warm_total{event=\"lost\"}", 2.0);
        // replaced after the back-off, with no session asking
        awaitReady(2);
        assertThat(warm("lost")).isEqualTo(2.0);
        try (SmtpClient c = new SmtpClient("127.0.0.2", app.smtpPort())) {
            assertThat(c.reply()).isEqualTo(FakeMta.GREETING);
            assertThat(xclientConnection(backend.awaitEvents(e -> e.matches("\\d+: XCLIENT ADDR=127\\.0\\.0\\.2 .*")),
                "127.0.0.2")).matches("[34]");
            assertThat(c.command("QUIT")).startsWith("221");
        }
    }

    @Test
    void aConnectionThatFailsWhenTakenIsReplacedForThatClient() throws Exception {
        FakeMta backend = FakeMta.start(vertx, Fault.DROP_FIRST_XCLIENT);
        SidecarApp app = start(backend.port(), new JsonObject().put("warmConnections", 1));
        awaitReady(1);
        try (SmtpClient c = new SmtpClient("127.0.0.2", app.smtpPort())) {
            // connection 1 closes on XCLIENT; the session connects again and the client sees nothing of it
            assertThat(c.reply()).isEqualTo(FakeMta.GREETING);
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
        FakeMta first = FakeMta.start(vertx, Fault.NONE);
        FakeMta second = FakeMta.start(vertx, Fault.NONE);
        SidecarApp app = start(first.port(), new JsonObject().put("warmConnections", 1));
        awaitReady(1);
        JsonObject moved = new JsonObject().put("backend", new JsonObject().put("port", second.port())
            .put("warmConnections", 1));
        app.reload(SidecarHarness.config(moved, second.port()));
        first.awaitEvent("1: QUIT");
        second.awaitEvent("1: EHLO sidecar.test");
    }
}
