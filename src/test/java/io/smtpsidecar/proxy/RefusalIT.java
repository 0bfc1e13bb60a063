package io.smtpsidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Required peers whose header fails get Exim's refusal mode; the backend is never contacted. */
class RefusalIT {
    private static final String BANNER = "220 sidecar.test ESMTP";
    private static final String REFUSED = "503 Command refused, required Proxy negotiation failed";

    private static JsonObject required(String timeout) {
        return new JsonObject().put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1")
            .put("headerTimeout", timeout));
    }

    @Test
    void missingHeaderTimesOutIntoRefusalModeThenQuit() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("300ms"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            assertThat(c.reply()).isEqualTo(BANNER);
            assertThat(c.command("EHLO client.example")).isEqualTo(REFUSED);
            assertThat(c.command("PROXY TCP4 127.0.0.2 127.42.42.42 64000 25")).isEqualTo(REFUSED);
            assertThat(c.command("MAIL FROM:<a@example.test>")).isEqualTo(REFUSED);
            assertThat(c.command("quit")).isEqualTo("221 sidecar.test closing connection");
            assertThat(c.closedByServer()).isTrue();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_TIMEOUT);
            assertThat(r.format()).startsWith("refused_timeout H=[127.0.0.1]:" + c.localPort() + " I=[127.0.0.1]:" + h.port() + " P=direct reason=");
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    @Test
    void malformedHeaderFailsAtOnceIntoRefusalModeAndIsLogged() throws Exception {
        // a long timeout: the refusal must come from the malformed octet, not from the deadline
        try (SidecarHarness h = new SidecarHarness(required("60s"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send("PROXY TCP4 192.0.02.1 198.51.100.7 50000 25\r\n");
            assertThat(c.reply()).isEqualTo(BANNER);
            assertThat(c.command("QUIT")).startsWith("221 ");
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.format()).contains("input=\"PROXY TCP4 192.0.02.1 198.51.100.7 50000 25\\r\\n\"");
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    @Test
    void malformedHeaderWithPendingBytesGets554() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("60s"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send("EHLO client.example\r\nMAIL FROM:<a@example.test>\r\n");
            assertThat(c.reply()).isEqualTo("554 SMTP synchronization error");
            assertThat(c.closedByServer()).isTrue();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.SYNC_ERROR);
            assertThat(r.failedHeader()).startsWith("EHLO".getBytes());
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    @Test
    void oversizedV2HeaderIsSwallowedWholeBeforeTheBanner() throws Exception {
        // declares 10,000 bytes, over the default proxy.maxHeaderBytes of 4096; none of them may be read as SMTP
        byte[] fixed = ProxyHeaders.v2Start(ProxyHeaders.V2_PROXY, ProxyHeaders.TCP4, 10_000);
        try (SidecarHarness h = new SidecarHarness(required("60s"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(fixed);
            for (int i = 0; i < 4; i++) {
                c.send(new byte[2500]);
            }
            assertThat(c.reply()).isEqualTo(BANNER);
            assertThat(c.command("EHLO x")).isEqualTo(REFUSED);
            assertThat(c.command("QUIT")).isEqualTo("221 sidecar.test closing connection");
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.reason()).isEqualTo("v2: header length 10016 exceeds the limit of 4096 bytes");
            assertThat(r.bytesIn()).isEqualTo(10_016 + "EHLO x\r\nQUIT\r\n".length());
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    @Test
    void eofMidHeaderJustCloses() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("60s"))) {
            try (SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
                c.send("PROXY TCP4 192.0");
            }
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.CLOSED_EARLY);
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    @Test
    void refusalSessionsAreCappedInCommands() throws Exception {
        JsonObject cfg = required("200ms");
        cfg.put("smtp", new JsonObject().put("refusalMaxCommands", 3));
        try (SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            assertThat(c.reply()).isEqualTo(BANNER);
            assertThat(c.command("NOOP")).isEqualTo(REFUSED);
            assertThat(c.command("X".repeat(5000))).isEqualTo("500 5.5.2 Line too long");
            assertThat(c.command("RSET")).isEqualTo(REFUSED);
            assertThat(c.command("NOOP")).isEqualTo("421 4.7.0 sidecar.test Too many commands, closing connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void endlessLineWithoutLfEndsAtTheByteCap() throws Exception {
        JsonObject cfg = required("200ms");
        cfg.put("smtp", new JsonObject().put("refusalMaxCommands", 5));
        try (SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            assertThat(c.reply()).isEqualTo(BANNER);
            CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> {
                byte[] chunk = new byte[64 * 1024];
                java.util.Arrays.fill(chunk, (byte) 'x');
                try {
                    for (int i = 0; i < 160; i++) { // 10 MB without a LF
                        c.send(chunk);
                    }
                } catch (Exception e) {
                    // closed by the sidecar: what the test expects
                }
            });
            assertThat(c.reply()).isEqualTo("500 5.5.2 Line too long");
            assertThat(c.reply()).isEqualTo("421 4.7.0 sidecar.test Too many commands, closing connection");
            assertThat(c.closedByServer()).isTrue();
            flood.join();
            assertThat(h.nextSession().bytesIn()).isLessThan(10L * 1024 * 1024);
        }
    }

    @Test
    void idleRefusalSessionIsClosed() throws Exception {
        JsonObject cfg = required("200ms");
        cfg.put("smtp", new JsonObject().put("refusalIdleTimeout", "300ms"));
        try (SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            assertThat(c.reply()).isEqualTo(BANNER);
            assertThat(c.reply()).isEqualTo("421 4.4.2 sidecar.test Idle timeout, closing connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void trickledHeaderDoesNotExtendTheDeadline() throws Exception {
        byte[] header = ProxyHeaders.v1("192.0.2.1", 50000, "198.51.100.7", 25);
        AtomicInteger sent = new AtomicInteger();
        try (SidecarHarness h = new SidecarHarness(required("1s"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            // one byte every 200 ms: the whole header would take 8.8 s, the deadline is 1 s after accept
            CompletableFuture<Void> trickle = CompletableFuture.runAsync(() -> {
                try {
                    for (byte b : header) {
                        c.send(new byte[] {b});
                        sent.incrementAndGet();
                        Thread.sleep(200);
                    }
                } catch (Exception e) {
                    // the server closing the connection ends the trickle
                }
            });
            assertThat(c.reply()).isEqualTo(BANNER);
            assertThat(sent.get()).as("bytes sent when the banner arrived").isLessThan(header.length);
            trickle.cancel(true);
        }
    }
}
