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
