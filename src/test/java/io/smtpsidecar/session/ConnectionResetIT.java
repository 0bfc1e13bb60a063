package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.demo.DemoBackend;
import io.smtpsidecar.support.LogCapture;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A client's reset is the session's business: its line says so, and Vert.x logs no context-free error. */
class ConnectionResetIT {
    @Test
    void resetDuringTheRelayIsOnTheSessionLine() throws Exception {
        try (LogCapture vertxLog = new LogCapture("io.vertx");
             SidecarHarness h = new SidecarHarness(new JsonObject())) {
            SmtpClient c = new SmtpClient("127.0.0.2", h.port());
            assertThat(c.reply()).startsWith("220 " + DemoBackend.HOSTNAME);
            assertThat(c.command("EHLO reset.example")).startsWith("250");
            c.reset();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
            assertThat(r.reason()).isEqualTo("client connection error: Connection reset");
            h.nextBackendSession(); // the backend's side was closed too
            assertThat(vertxLog.lines()).noneMatch(l -> l.startsWith("ERROR"));
        }
    }

    /**
     * An early talker that resets at once: the sidecar reads its bytes, answers 554 to a socket that is gone, and
     * must not count that reply in {@code out=}.
     */
    @Test
    void replyToAResetClientIsNotCounted() throws Exception {
        try (SidecarHarness h = new SidecarHarness(new JsonObject(),
                 DemoBackend.Options.defaults().withGreetingDelay(Duration.ofSeconds(2)))) {
            SmtpClient c = new SmtpClient("127.0.0.2", h.port());
            c.send("EHLO early.example\r\n");
            c.reset();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.SYNC_ERROR);
            assertThat(r.bytesIn()).isEqualTo("EHLO early.example\r\n".length());
            assertThat(r.bytesOut()).isZero();
        }
    }

    /** The same in refusal mode: a malformed header with more input behind it, then a reset. */
    @Test
    void refusalReplyToAResetClientIsNotCounted() throws Exception {
        JsonObject cfg = new JsonObject().put("proxy", new JsonObject()
            .put("requiredHosts", new io.vertx.core.json.JsonArray().add("127.0.0.1")));
        try (SidecarHarness h = new SidecarHarness(cfg)) {
            SmtpClient c = new SmtpClient("127.0.0.1", h.port());
            c.send("PROXY TCP4 nonsense\r\nEHLO early.example\r\n");
            c.reset();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.SYNC_ERROR);
            assertThat(r.bytesOut()).isZero();
        }
    }

    @Test
    void resetDuringTheBackendHandshakeIsOnTheSessionLine() throws Exception {
        try (LogCapture vertxLog = new LogCapture("io.vertx");
             SidecarHarness h = new SidecarHarness(new JsonObject(),
                 DemoBackend.Options.defaults().withGreetingDelay(Duration.ofSeconds(2)))) {
            SmtpClient c = new SmtpClient("127.0.0.2", h.port());
            c.reset();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.CLOSED_EARLY);
            assertThat(r.reason()).isEqualTo("client closed the connection during the backend handshake "
                + "(client connection error: Connection reset)");
            assertThat(vertxLog.lines()).noneMatch(l -> l.startsWith("ERROR"));
        }
    }
}
