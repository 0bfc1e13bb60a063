package io.smtpsidecar.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.LogCapture;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A client's reset is the session's business: its line says so, and Vert.x logs no context-free error. */
class ConnectionResetIT {
    @Test
    void resetDuringTheRelayIsOnTheSessionLine() throws Exception {
        try (LogCapture vertxLog = new LogCapture("io.vertx");
             SidecarHarness h = new SidecarHarness(new JsonObject())) {
            SmtpClient c = new SmtpClient("127.0.0.2", h.port());
            assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            assertThat(c.command("EHLO reset.example")).startsWith("250");
            c.reset();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
            // NIO says "Connection reset", the native transports "Connection reset by peer"
            assertThat(r.reason()).matches("client connection error: Connection reset( by peer)?");
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
        try (SidecarHarness h = new SidecarHarness(new JsonObject(), FakeMta.Fault.SLOW_GREETING)) {
            resetWhileTheSidecarWaits(h, "127.0.0.2", "EHLO early.example\r\n");
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).as(r.format()).isEqualTo(Outcome.SYNC_ERROR);
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
            resetWhileTheSidecarWaits(h, "127.0.0.1", "PROXY TCP4 nonsense\r\nEHLO early.example\r\n");
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.SYNC_ERROR);
            assertThat(r.bytesOut()).isZero();
        }
    }

    @Test
    void resetDuringTheBackendHandshakeIsOnTheSessionLine() throws Exception {
        try (LogCapture vertxLog = new LogCapture("io.vertx");
             SidecarHarness h = new SidecarHarness(new JsonObject(), FakeMta.Fault.SLOW_GREETING)) {
            SmtpClient c = new SmtpClient("127.0.0.2", h.port());
            c.reset();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.CLOSED_EARLY);
            assertThat(r.reason()).matches("client closed the connection during the backend handshake "
                + "\\(client connection error: Connection reset( by peer)?\\)");
            assertThat(vertxLog.lines()).noneMatch(l -> l.startsWith("ERROR"));
        }
    }

    /**
     * Sends {@code input} and resets while the sidecar's event loop is held, so that the sidecar reads the input
     * only after the reset has arrived: its reply is then written to a dead socket, whatever the timing.
     */
    private static void resetWhileTheSidecarWaits(SidecarHarness h, String source, String input) throws Exception {
        CountDownLatch held = new CountDownLatch(h.app().eventLoops().size());
        CountDownLatch release = new CountDownLatch(1);
        for (Context loop : h.app().eventLoops()) {
            loop.runOnContext(v -> {
                held.countDown();
                try {
                    release.await(SidecarHarness.WAIT.toSeconds(), TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            assertThat(held.await(SidecarHarness.WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            SmtpClient c = new SmtpClient(source, h.port());
            c.send(input);
            c.reset();
        } finally {
            release.countDown();
        }
    }
}
