package io.smtpsidecar.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.FakeMta.Fault;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Backend faults: the client always gets a clean 421 or a close within the configured timeouts, sessions_active
 * returns to 0, and no file descriptor is left behind (counted in /proc/self/fd around 20 rounds of each fault).
 */
class BackendFaultsIT {
    private static final int ROUNDS = 20;

    private static int openFds() {
        return Objects.requireNonNull(new File("/proc/self/fd").list()).length;
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class,
        names = {"BLACK_HOLE", "HUGE_REPLY_LINE", "GREETING_REFUSED", "DIE_IN_DATA", "XCLIENT_TEMPFAIL"})
    void clientGetsACleanEndAndNothingLeaks(Fault fault) throws Exception {
        JsonObject cfg = new JsonObject().put("backend", new JsonObject().put("greetingTimeout", "500ms"));
        try (SidecarHarness h = new SidecarHarness(cfg, fault)) {
            round(h, fault); // warm-up: lazily created pools and classes are not leaks
            int before = openFds();
            for (int i = 0; i < ROUNDS; i++) {
                round(h, fault);
            }
            awaitNoActiveSessions(h);
            assertThat(openFds()).as("file descriptors after %d rounds", ROUNDS).isLessThanOrEqualTo(before + 5);
        }
    }

    @Test
    void slowGreetingIsWaitedFor() throws Exception {
        JsonObject cfg = new JsonObject().put("backend", new JsonObject().put("greetingTimeout", "5s"));
        try (SidecarHarness h = new SidecarHarness(cfg, Fault.SLOW_GREETING);
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            assertThat(c.command("QUIT")).startsWith("221");
            assertThat(h.nextSession().outcome()).isEqualTo(Outcome.FORWARDED);
        }
    }

    @Test
    void backendRestartNeedsNoSidecarRestart() throws Exception {
        Vertx backendVertx = Vertx.vertx();
        try {
            FakeMta first = FakeMta.start(backendVertx, Fault.NONE);
            int port = first.port();
            JsonObject cfg = new JsonObject().put("backend", new JsonObject().put("port", port));
            try (SidecarHarness h = new SidecarHarness(cfg)) {
                try (SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
                    assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
                }
                first.close();
                try (SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
                    assertThat(c.reply()).startsWith("421 4.3.0");
                }
                FakeMta.start(backendVertx, Fault.NONE, port);
                try (SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
                    assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
                    assertThat(c.command("QUIT")).startsWith("221");
                }
            }
        } finally {
            backendVertx.close().await();
        }
    }

    private static void round(SidecarHarness h, Fault fault) throws Exception {
        try (SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            if (fault == Fault.DIE_IN_DATA) {
                assertThat(c.reply()).isEqualTo(FakeMta.GREETING);
                c.command("EHLO x");
                c.command("MAIL FROM:<a@example.test>");
                c.command("RCPT TO:<b@example.test>");
                assertThat(c.command("DATA")).startsWith("354");
                c.send("Subject: lost\r\n\r\nbody\r\n");
                assertThat(c.closedByServer()).isTrue();
                c.close(); // the relay passed the backend's close on as a half-close and waits for the client's
                assertThat(h.nextSession().outcome()).isEqualTo(Outcome.FORWARDED);
            } else {
                assertThat(c.reply()).isEqualTo("421 4.3.0 sidecar.test Service temporarily unavailable");
                assertThat(c.closedByServer()).isTrue();
                SessionRecord r = h.nextSession();
                assertThat(r.outcome()).isEqualTo(Outcome.BACKEND_UNAVAILABLE);
                assertThat(r.reason()).startsWith(switch (fault) {
                    case BLACK_HOLE -> "timeout: ";
                    case HUGE_REPLY_LINE -> "greeting: bad reply";
                    case GREETING_REFUSED -> "greeting: 554 go away";
                    case XCLIENT_TEMPFAIL -> "xclient_rejected: 421 4.3.2 backend busy";
                    default -> throw new IllegalStateException();
                });
            }
        }
    }

    private static void awaitNoActiveSessions(SidecarHarness h) throws InterruptedException {
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        while (h.app().services().metrics().activeSessions() != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("sessions still active: " + h.app().services().metrics().activeSessions());
            }
            Thread.sleep(20);
        }
    }
}
