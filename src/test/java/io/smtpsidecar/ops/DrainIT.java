package io.smtpsidecar.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.LogCapture;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The drain and sessions that have not reached the relay yet. */
class DrainIT {
    /**
     * A required peer still waiting for its header when the drain starts: when its header deadline passes it gets
     * 421 and is closed, not the refusal banner and a refusal session that would hold the exit.
     */
    @Test
    void sessionWaitingForItsHeaderGets421AndEndsWithinTheDrain() throws Exception {
        JsonObject cfg = new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", new JsonArray().add("127.0.0.1"))
                .put("headerTimeout", "1s"))
            .put("smtp", new JsonObject().put("refusalIdleTimeout", "5m"))
            .put("shutdown", new JsonObject().put("drainTimeout", "2m"));
        try (LogCapture log = new LogCapture("smtp-sidecar");
             SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            awaitActiveSessions(h, 1);
            long start = System.nanoTime();
            Future<Void> drained = h.app().drain();
            assertThat(c.reply()).startsWith("421 4.3.2 sidecar.test Service shutting down");
            assertThat(c.closedByServer()).isTrue();
            drained.await(SidecarHarness.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SidecarHarness.WAIT);
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_TIMEOUT);
            assertThat(r.reason()).endsWith("; shutting down");
            assertThat(r.bytesOut()).isEqualTo("421 4.3.2 sidecar.test Service shutting down, closing connection\r\n"
                .length());
            // the session was counted as open when the drain began, though it was never forwarded
            assertThat(log.lines()).anyMatch(l -> l.startsWith("INFO draining: no new connections; 1 open"));
        }
    }

    private static void awaitActiveSessions(SidecarHarness h, int wanted) throws InterruptedException {
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        while (h.app().services().metrics().activeSessions() != wanted) {
            assertThat(System.nanoTime()).as("%d active sessions", wanted).isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
