package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.smtpsidecar.config.SidecarConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The refusal phase on an in-memory channel: what it answers, when it closes, what it counts. */
class RefusalSessionTest {
    private static final SidecarConfig.Smtp SMTP = new SidecarConfig.Smtp("mx.example.test",
        "mx.example.test ESMTP", 3, Duration.ofSeconds(30), Duration.ofMinutes(5));

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final RefusalSession refusal = new RefusalSession(channel, SMTP);
    private final List<Boolean> done = new ArrayList<>();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Everything written so far, as text. */
    private String written() {
        StringBuilder out = new StringBuilder();
        for (ByteBuf b; (b = channel.readOutbound()) != null; b.release()) {
            out.append(b.toString(StandardCharsets.US_ASCII));
        }
        return out.toString();
    }

    @Test
    void greetsRefusesEachCommandAndEndsAtQuit() {
        refusal.start(new byte[0], done::add);
        refusal.onData(ascii("EHLO a.example\r\nMAIL FROM:<a@a.example>\r\n"));
        refusal.onData(ascii("QUIT\r\n"));
        String out = written();
        assertThat(out).isEqualTo("220 mx.example.test ESMTP\r\n"
            + "503 Command refused, required Proxy negotiation failed\r\n"
            + "503 Command refused, required Proxy negotiation failed\r\n"
            + "221 mx.example.test closing connection\r\n");
        assertThat(channel.isOpen()).isFalse();
        assertThat(done).containsExactly(false);
        assertThat(refusal.bytesOut()).isEqualTo(out.length());
        assertThat(refusal.bytesIn()).isEqualTo("EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nQUIT\r\n".length());
    }

    @Test
    void inputBeforeTheBannerIsASynchronizationError() {
        refusal.start(ascii("EHLO early\r\n"), done::add);
        assertThat(written()).isEqualTo("554 SMTP synchronization error\r\n");
        assertThat(channel.isOpen()).isFalse();
        assertThat(done).containsExactly(true);
    }

    @Test
    void theCommandCapEndsTheSession() {
        refusal.start(new byte[0], done::add);
        refusal.onData(ascii("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"));
        assertThat(written()).endsWith("503 Command refused, required Proxy negotiation failed\r\n"
            + "421 4.7.0 mx.example.test Too many commands, closing connection\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void anIdleClientIsClosedAfterTheIdleTimeout() {
        refusal.start(new byte[0], done::add);
        written();
        channel.advanceTimeBy(29, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isTrue();
        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(written()).isEqualTo("421 4.4.2 mx.example.test Idle timeout, closing connection\r\n");
        assertThat(channel.isOpen()).isFalse();
        assertThat(done).containsExactly(false);
    }

    @Test
    void theDrainEndsItAtOnce() {
        refusal.start(new byte[0], done::add);
        written();
        refusal.shutdown();
        assertThat(written()).isEqualTo("421 4.3.2 mx.example.test Service shutting down, closing connection\r\n");
        assertThat(channel.isOpen()).isFalse();
    }
}
