package io.smtpsidecar.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random messages (8-bit bytes, dot-leading lines, bare CR and LF, long lines) through the sidecar arrive
 * byte-identical: SHA-256 on both sides. {@code -Dintegrity.messages=1000 -Dintegrity.maxBytes=1048576} gives the
 * long run; {@code mvn verify} runs a bounded one.
 */
class IntegrityIT {
    private static final int MESSAGES = Integer.getInteger("integrity.messages", 100);
    private static final int MAX_BYTES = Integer.getInteger("integrity.maxBytes", 256 * 1024);

    @Test
    void randomMessagesArriveByteIdentical() throws Exception {
        Random random = new Random(Long.getLong("integrity.seed", 7L));
        try (SidecarHarness h = new SidecarHarness(new JsonObject());
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            c.command("EHLO integrity.example");
            String[] expected = new String[MESSAGES];
            for (int i = 0; i < MESSAGES; i++) {
                byte[] wire = message(random, random.nextInt(MAX_BYTES + 1));
                expected[i] = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(wire));
                assertThat(c.command("MAIL FROM:<a@example.test>")).startsWith("250");
                assertThat(c.command("RCPT TO:<b@example.test>")).startsWith("250");
                assertThat(c.command("DATA")).startsWith("354");
                c.send(wire);
                assertThat(c.command(".")).startsWith("250 2.0.0 Ok: queued");
            }
            assertThat(c.command("QUIT")).startsWith("221");
            FakeMta.Transcript t = h.nextBackendSession();
            assertThat(t.messages()).hasSize(MESSAGES);
            for (int i = 0; i < MESSAGES; i++) {
                assertThat(t.messages().get(i).sha256()).as("message %d", i).isEqualTo(expected[i]);
            }
        }
    }

    /**
     * The DATA bytes as a client sends them: dot-stuffed, ending in CRLF, never containing the end marker. Lines
     * hold any byte but LF; a CR is bare unless it ends a line, and some lines run past 10 000 bytes.
     */
    private static byte[] message(Random random, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 64);
        while (out.size() < size) {
            int len = random.nextInt(10) == 0 ? 10_000 + random.nextInt(20_000) : random.nextInt(200);
            if (random.nextInt(8) == 0) {
                out.write('.');
                out.write('.'); // a line starting with a dot, stuffed
            }
            for (int i = 0; i < len; i++) {
                int b = random.nextInt(256);
                out.write(b == '\n' ? 'n' : b);
            }
            if (random.nextInt(20) == 0) {
                out.write('\n'); // a bare LF inside the message
            }
            out.write('\r');
            out.write('\n');
        }
        byte[] bytes = out.toByteArray();
        // a line that is "." alone would end DATA early: the generator never writes one (stuffing doubles dots and
        // random lines carry other bytes), but a random "\r\n.\r\n" can still appear inside: break it
        for (int i = 0; i + 4 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '.' && bytes[i + 3] == '\r'
                && bytes[i + 4] == '\n') {
                bytes[i + 2] = ',';
            }
        }
        if (bytes.length > 0 && bytes[0] == '.') {
            bytes[0] = ',';
        }
        return bytes;
    }
}
