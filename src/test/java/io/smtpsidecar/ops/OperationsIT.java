package io.smtpsidecar.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.Scrape;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The operations port after real sessions: metrics, liveness, readiness; and the per-client limits. */
class OperationsIT {

    @Test
    void metricsCountRealSessions() throws Exception {
        JsonObject cfg = new JsonObject().put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1")
            .put("headerTimeout", "200ms"));
        try (SidecarHarness h = new SidecarHarness(cfg)) {
            for (int i = 0; i < 2; i++) {
                try (SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
                    c.send(ProxyHeaders.v1("192.0.2.1", 50000 + i, "198.51.100.7", 25));
                    c.reply();
                    assertThat(c.command("QUIT")).startsWith("221");
                }
                h.nextSession();
            }
            try (SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
                c.reply(); // refusal banner after the header timeout
                c.command("QUIT");
            }
            h.nextSession();
            try (SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
                c.send("EHLO early\r\nQUIT\r\n");
                assertThat(c.reply()).startsWith("554");
            }
            h.nextSession();
            try (SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
                c.reply();
                c.command("QUIT");
            }
            h.nextSession();

            HttpResponse<String> scrape = h.get("/metrics");
            assertThat(scrape.statusCode()).isEqualTo(200);
            String m = scrape.body();
            assertThat(Scrape.value(m, "smtp_sidecar_connections_total{listener=\"smtp\",outcome=\"forwarded\"}")).isEqualTo(3.0);
            assertThat(Scrape.value(m, "smtp_sidecar_connections_total{listener=\"smtp\",outcome=\"refused_timeout\"}")).isEqualTo(1.0);
            assertThat(Scrape.value(m, "smtp_sidecar_connections_total{listener=\"smtp\",outcome=\"sync_error\"}")).isEqualTo(1.0);
            assertThat(Scrape.value(m, "smtp_sidecar_connections_total{listener=\"smtp\",outcome=\"backend_unavailable\"}")).isZero();
            assertThat(Scrape.value(m, "smtp_sidecar_proxy_headers_total{listener=\"smtp\",result=\"ok\",version=\"v1\"}")).isEqualTo(2.0);
            assertThat(Scrape.value(m, "smtp_sidecar_proxy_headers_total{listener=\"smtp\",result=\"timeout\",version=\"none\"}")).isEqualTo(1.0);
            assertThat(Scrape.value(m, "smtp_sidecar_proxy_headers_total{listener=\"smtp\",result=\"malformed\",version=\"none\"}")).isEqualTo(1.0);
            assertThat(Scrape.value(m, "smtp_sidecar_proxy_headers_total{listener=\"smtp\",result=\"not_required\",version=\"none\"}")).isEqualTo(1.0);
            assertThat(Scrape.value(m, "smtp_sidecar_sessions_active{listener=\"smtp\"}")).isZero();
            assertThat(Scrape.value(m, "smtp_sidecar_session_duration_seconds_count{listener=\"smtp\"}")).isEqualTo(5.0);
            assertThat(Scrape.value(m, "smtp_sidecar_backend_handshake_seconds_count{listener=\"smtp\"}")).isEqualTo(3.0);
            assertThat(Scrape.value(m, "smtp_sidecar_dns_lookups_total{result=\"disabled\"}")).isEqualTo(3.0);
            assertThat(Scrape.value(m, "smtp_sidecar_bytes_total{direction=\"in\",listener=\"smtp\"}")).isGreaterThan(100.0);
            assertThat(Scrape.value(m, "smtp_sidecar_bytes_total{direction=\"out\",listener=\"smtp\"}")).isGreaterThan(100.0);
            // the SMTP sockets are not Vert.x sockets: no vertx_net_* series that would count only the HTTP port
            assertThat(m).contains("jvm_memory_used_bytes").contains("process_cpu_usage").doesNotContain("vertx_");
            assertThat(m).doesNotContain("192.0.2.1").doesNotContain("127.0.0.2");
        }
    }

    @Test
    void openMetricsWhenAsked() throws Exception {
        try (SidecarHarness h = new SidecarHarness(new JsonObject())) {
            var client = java.net.http.HttpClient.newHttpClient();
            var response = client.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + h.app().adminPort() + "/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0").build(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("application/openmetrics-text");
            assertThat(response.body()).contains("# EOF");
        }
    }

    @Test
    void livenessAndReadinessWithALiveBackend() throws Exception {
        try (SidecarHarness h = new SidecarHarness(new JsonObject())) {
            assertThat(h.get("/healthz").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = awaitStatus(h, "/readyz", 200);
            assertThat(ready.body()).isEqualTo("ready\n");
            h.app().drain().await();
            // the admin port closes at the end of the drain: readiness said 503 before that
            assertThat(h.app().services().readiness().notReadyReason(java.time.Duration.ofSeconds(5)))
                .startsWith("draining");
        }
    }

    @Test
    void readinessFailsWhileTheBackendIsDown() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        JsonObject cfg = new JsonObject().put("backend", new JsonObject().put("port", closedPort));
        try (SidecarHarness h = new SidecarHarness(cfg)) {
            HttpResponse<String> ready = h.get("/readyz");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).startsWith("backend has not accepted a connection");
            assertThat(h.get("/healthz").statusCode()).isEqualTo(200);
            assertThat(h.get("/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void perClientLimitRefusesTheThirdConnectionWhileAnotherClientPasses() throws Exception {
        JsonObject cfg = new JsonObject().put("limits", new JsonObject().put("maxConnectionsPerClient", 2));
        try (SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient a1 = new SmtpClient("127.0.0.5", h.port());
             SmtpClient a2 = new SmtpClient("127.0.0.5", h.port())) {
            assertThat(a1.reply()).startsWith("220 ");
            assertThat(a2.reply()).startsWith("220 ");
            try (SmtpClient a3 = new SmtpClient("127.0.0.5", h.port())) {
                assertThat(a3.reply()).isEqualTo("421 4.7.0 sidecar.test Too many connections, try again later");
                assertThat(a3.closedByServer()).isTrue();
            }
            SessionRecord limited = h.nextSession();
            assertThat(limited.outcome()).isEqualTo(Outcome.LIMITED);
            assertThat(limited.reason()).isEqualTo("limit: maxConnectionsPerClient 2");
            try (SmtpClient b = new SmtpClient("127.0.0.6", h.port())) {
                assertThat(b.reply()).startsWith("220 ");
            }
            assertThat(Scrape.value(h.get("/metrics").body(), "smtp_sidecar_connections_total{listener=\"smtp\",outcome=\"limited\"}"))
                .isEqualTo(1.0);
        }
    }

    @Test
    void drainClosesSessionsThatNeverStartedWith421() throws Exception {
        JsonObject cfg = new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1").put("headerTimeout", "60s"))
            .put("shutdown", new JsonObject().put("drainTimeout", "4s"));
        try (SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient waiting = new SmtpClient("127.0.0.1", h.port())) {
            waiting.send("PROXY TCP4 192.0"); // still in the header when the drain starts
            // the drain must find the session accepted (a socket not yet handed to a session is simply closed)
            long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
            while (h.app().services().metrics().activeSessions() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            h.app().drain().await();
            assertThat(waiting.reply()).isEqualTo("421 4.3.2 sidecar.test Service shutting down, closing connection");
            assertThat(waiting.closedByServer()).isTrue();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.CLOSED_EARLY);
            assertThat(r.reason()).startsWith("shutdown");
        }
    }

    private static HttpResponse<String> awaitStatus(SidecarHarness h, String path, int status) throws Exception {
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        HttpResponse<String> r = h.get(path);
        while (r.statusCode() != status && System.nanoTime() < deadline) {
            Thread.sleep(50);
            r = h.get(path);
        }
        return r;
    }
}
