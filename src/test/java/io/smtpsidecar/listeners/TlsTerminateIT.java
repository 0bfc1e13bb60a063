package io.smtpsidecar.listeners;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.Scrape;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.smtpsidecar.support.TestTls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code tls: terminate}: PROXY header, then the sidecar's TLS, then plain SMTP with XCLIENT to the backend. The
 * refusal mode and the early-talker rule apply inside TLS; a client that is not TLS after its header is counted by
 * reason; the certificate files are re-read while sessions run.
 */
class TlsTerminateIT {
    @TempDir
    Path dir;
    private TestTls tls;
    private Path cert;
    private Path key;

    @BeforeEach
    void certificate() throws Exception {
        tls = TestTls.generate(dir, "mx.sidecar.test");
        cert = dir.resolve("tls.crt");
        key = dir.resolve("tls.key");
        tls.writeTo(cert, key);
    }

    private JsonObject config() {
        return config("auto");
    }

    private JsonObject config(String provider) {
        return new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1").put("headerTimeout", "5s"))
            .put("config", new JsonObject().put("scanPeriod", "100ms"))
            .put("listeners", new JsonArray().add(new JsonObject().put("name", "submissions").put("port", 0)
                .put("tls", new JsonObject().put("mode", "terminate").put("certificate", cert.toString())
                    .put("key", key.toString()).put("provider", provider))));
    }

    @ParameterizedTest
    @CsvSource({"v1, openssl", "v2, openssl", "v2, jdk"})
    void aMessageCrossesTlsWithTheRealClientsAddress(String version, String provider) throws Exception {
        try (SidecarHarness h = new SidecarHarness(config(provider));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port("submissions"))) {
            c.send(version.equals("v1") ? ProxyHeaders.v1("192.0.2.45", 50123, "198.51.100.1", 465)
                : ProxyHeaders.v2("192.0.2.45", 50123, "198.51.100.1", 465));
            String negotiated = c.startTls(tls.clientContext(), "mx.sidecar.test");
            assertThat(negotiated).startsWith("TLSv1.3:");
            assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            assertThat(c.command("EHLO client.example")).startsWith("250");
            assertThat(c.command("MAIL FROM:<a@example.test>")).startsWith("250");
            assertThat(c.command("RCPT TO:<b@example.test>")).startsWith("250");
            assertThat(c.command("DATA")).startsWith("354");
            byte[] body = new byte[200_000];
            new Random(7).ints(body.length, 'a', 'z' + 1).forEach(new java.util.function.IntConsumer() {
                int i;

                @Override
                public void accept(int b) {
                    body[i] = (byte) ((i % 77 == 76) ? '\n' : b);
                    i++;
                }
            });
            String text = new String(body, StandardCharsets.US_ASCII).replace("\n", "\r\n") + "\r\n";
            c.send(text);
            assertThat(c.command(".")).startsWith("250");
            assertThat(c.command("QUIT")).startsWith("221");

            FakeMta.Transcript t = h.nextBackendSession();
            assertThat(t.xclient()).containsEntry("ADDR", "192.0.2.45").containsEntry("PORT", "50123");
            assertThat(t.messages()).singleElement().satisfies(m -> assertThat(m.sha256())
                .isEqualTo(sha256(text.getBytes(StandardCharsets.US_ASCII))));
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
            assertThat(r.tls()).isEqualTo(negotiated);
            assertThat(r.listener()).isEqualTo("submissions");
            assertThat(r.bytesIn()).isGreaterThan(text.length());
            assertThat(r.format()).contains("I=[127.0.0.1]:" + h.port("submissions"))
                .contains(" X=" + negotiated + " ");
        }
    }

    @Test
    void aRequiredPeerWithoutAHeaderIsRefusedInsideTls() throws Exception {
        try (SidecarHarness h = new SidecarHarness(config());
             SmtpClient c = new SmtpClient("127.0.0.1", h.port("submissions"))) {
            // a TLS client straight from a required peer: its ClientHello is no PROXY header
            c.startTls(tls.clientContext(), "mx.sidecar.test");
            assertThat(c.reply()).isEqualTo("220 sidecar.test ESMTP");
            assertThat(c.command("EHLO client.example"))
                .isEqualTo("503 Command refused, required Proxy negotiation failed");
            assertThat(c.command("QUIT")).isEqualTo("221 sidecar.test closing connection");
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.tls()).startsWith("TLSv1.3:");
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    @Test
    void anEarlyTalkerInsideTlsGetsTheSynchronizationError() throws Exception {
        try (SidecarHarness h = new SidecarHarness(config(), FakeMta.Fault.SLOW_GREETING);
             SmtpClient c = new SmtpClient("127.0.0.1", h.port("submissions"))) {
            c.send(ProxyHeaders.v2("192.0.2.46", 50124, "198.51.100.1", 465));
            c.startTls(tls.clientContext(), "mx.sidecar.test");
            c.send("EHLO impatient.example\r\n");
            assertThat(c.reply()).startsWith("554 ");
            assertThat(c.closedByServer()).isTrue();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.SYNC_ERROR);
            assertThat(r.tls()).startsWith("TLSv1.3:");
        }
    }

    @Test
    void plainTextAfterTheHeaderIsAFailedHandshakeCountedByReason() throws Exception {
        try (SidecarHarness h = new SidecarHarness(config());
             SmtpClient c = new SmtpClient("127.0.0.1", h.port("submissions"))) {
            c.send(ProxyHeaders.v1("192.0.2.47", 50125, "198.51.100.1", 465));
            c.send("EHLO not-tls.example\r\n");
            assertThat(c.closedByServer()).isTrue();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.TLS_FAILED);
            assertThat(r.reason()).startsWith("TLS handshake failed (not_tls)");
            assertThat(h.backendUntouched()).isTrue();
            String metrics = h.get("/metrics").body();
            assertThat(Scrape.value(metrics,
                "smtp_sidecar_tls_handshake_failures_total{listener=\"submissions\",reason=\"not_tls\"}")).isEqualTo(1.0);
            assertThat(Scrape.value(metrics,
                "smtp_sidecar_connections_total{listener=\"submissions\",outcome=\"tls_failed\"}")).isEqualTo(1.0);
        }
    }

    @Test
    void aRenewedCertificateIsUsedByTheNextHandshakeWhileSessionsRunOn() throws Exception {
        try (SidecarHarness h = new SidecarHarness(config());
             SmtpClient first = new SmtpClient("127.0.0.1", h.port("submissions"))) {
            first.send(ProxyHeaders.v2("192.0.2.48", 50126, "198.51.100.1", 465));
            first.startTls(tls.clientContext(), "mx.sidecar.test");
            assertThat(first.reply()).startsWith("220 ");
            assertThat(first.command("EHLO before.example")).startsWith("250");

            TestTls renewed = TestTls.generate(dir, "renewed.sidecar.test");
            renewed.writeTo(cert, key);
            awaitMetric(h, "smtp_sidecar_tls_certificate_reloads_total{listener=\"submissions\",result=\"ok\"}", 1.0);
            try (SmtpClient second = new SmtpClient("127.0.0.1", h.port("submissions"))) {
                second.send(ProxyHeaders.v2("192.0.2.49", 50127, "198.51.100.1", 465));
                second.startTls(renewed.clientContext(), "renewed.sidecar.test");
                assertThat(((X509Certificate) second.peerCertificate()).getSubjectX500Principal().getName())
                    .isEqualTo("CN=renewed.sidecar.test");
                assertThat(second.reply()).startsWith("220 ");
                assertThat(second.command("QUIT")).startsWith("221");
            }
            // the session that started before the renewal is untouched
            assertThat(first.command("MAIL FROM:<a@example.test>")).startsWith("250");
            assertThat(first.command("QUIT")).startsWith("221");

            // a broken pair is refused once and the renewed one stays
            java.nio.file.Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
            awaitMetric(h, "smtp_sidecar_tls_certificate_reloads_total{listener=\"submissions\",result=\"invalid\"}",
                1.0);
            try (SmtpClient third = new SmtpClient("127.0.0.1", h.port("submissions"))) {
                third.send(ProxyHeaders.v2("192.0.2.50", 50128, "198.51.100.1", 465));
                third.startTls(renewed.clientContext(), "renewed.sidecar.test");
                assertThat(third.reply()).startsWith("220 ");
                assertThat(third.command("QUIT")).startsWith("221");
            }
            assertThat(Scrape.value(h.get("/metrics").body(),
                "smtp_sidecar_tls_certificate_reloads_total{listener=\"submissions\",result=\"ok\"}")).isEqualTo(1.0);
        }
    }

    /** Waits (bounded) until the metric reaches {@code value}: the reload runs on the sidecar's scan period. */
    private static void awaitMetric(SidecarHarness h, String series, double value) throws Exception {
        long giveUp = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        while (Scrape.value(h.get("/metrics").body(), series) != value) {
            if (System.nanoTime() > giveUp) {
                throw new AssertionError(series + " did not reach " + value);
            }
            Thread.sleep(50);
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
