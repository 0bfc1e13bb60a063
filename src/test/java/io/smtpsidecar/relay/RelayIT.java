package io.smtpsidecar.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.RawBackend;
import io.smtpsidecar.support.SidecarHarness;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The relay as TCP: a half-close is passed on as a half-close and the other direction keeps flowing; when a sender
 * closes, every byte it sent reaches a slow or late reader. SHA-256 on both sides; the session line's byte counts
 * are what was delivered.
 */
class RelayIT {
    private static final String RAW_GREETING = "220 raw.test ESMTP\r\n";
    private static final int SLOW_READ = 64 * 1024;
    private static final byte[] GO = "GO\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The case: one write with the whole transaction and QUIT, then SHUT_WR; every reply must arrive. */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void clientHalfCloseStillGetsEveryBackendReply(String transport) throws Exception {
        try (SidecarHarness h = new SidecarHarness(on(transport));
             Socket s = connect(h.port(), 0)) {
            InputStream in = s.getInputStream();
            assertThat(line(in)).startsWith("220 " + FakeMta.HOSTNAME);
            s.getOutputStream().write("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
            String ehlo;
            do {
                ehlo = line(in);
            } while (ehlo.startsWith("250-"));
            s.getOutputStream().write(("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: half-close\r\n\r\n"
                + "body\r\n.\r\nQUIT\r\n").getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            byte[] rest = in.readAllBytes();
            String replies = new String(rest, StandardCharsets.US_ASCII);
            assertThat(replies).contains("250 2.0.0 Ok: queued").contains("221 ");
            assertThat(h.nextBackendSession().messages()).hasSize(1);
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
            assertThat(r.reason()).isNull();
        }
    }

    /** The backend sees the client's FIN (EOF after all the data) and its answer, sent after that, arrives whole. */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void halfCloseIsRelayedBothWays(String transport) throws Exception {
        byte[] request = random(1, 1 << 20);
        byte[] answer = random(2, 1 << 20);
        try (RawBackend backend = new RawBackend(socket -> {
                String received = sha256(socket.getInputStream().readAllBytes()); // returns at the relayed FIN
                socket.getOutputStream().write(answer);
                socket.shutdownOutput();
                return received;
            });
             SidecarHarness h = new SidecarHarness(backendAt(backend, transport));
             Socket s = connect(h.port(), 0)) {
            InputStream in = s.getInputStream();
            assertThat(new String(in.readNBytes(RAW_GREETING.length()), StandardCharsets.US_ASCII))
                .isEqualTo(RAW_GREETING);
            s.getOutputStream().write(request);
            s.shutdownOutput();
            assertThat(sha256(in.readAllBytes())).isEqualTo(sha256(answer));
            assertThat(backend.nextResult()).isEqualTo(sha256(request));
            SessionRecord r = h.nextSession();
            assertThat(r.reason()).isNull();
            assertThat(r.bytesIn()).isEqualTo(request.length);
            assertThat(r.bytesOut()).isEqualTo(RAW_GREETING.length() + answer.length);
        }
    }

    /** The backend writes 10 MiB and closes at once; the client reads 64 KiB at a time with pauses. */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void tailFromBackendReachesSlowClient(String transport) throws Exception {
        tailFromBackend(transport, 3, 0);
    }

    /**
     * The client starts reading two seconds late (a scenario, not a wait: the result must be the same whatever the
     * timing): the bytes the relay holds for it when the backend closes must still arrive.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void tailFromBackendReachesLateClient(String transport) throws Exception {
        tailFromBackend(transport, 4, 2000);
    }

    private static void tailFromBackend(String transport, long seed, long readAfterMillis) throws Exception {
        byte[] data = random(seed, 10 * 1024 * 1024);
        try (RawBackend backend = new RawBackend(socket -> {
                awaitGo(socket);
                socket.getOutputStream().write(data);
                return "sent";
            });
             SidecarHarness h = new SidecarHarness(backendAt(backend, transport));
             Socket s = connect(h.port(), 0)) {
            greetingThenGo(s);
            Thread.sleep(readAfterMillis);
            byte[] received = slowRead(s.getInputStream());
            s.close(); // as an SMTP client does when the server's side ends
            assertThat(received.length).isEqualTo(data.length);
            assertThat(sha256(received)).isEqualTo(sha256(data));
            assertThat(backend.nextResult()).isEqualTo("sent");
            assertThat(h.nextSession().bytesOut()).isEqualTo(RAW_GREETING.length() + data.length);
        }
    }

    /** The client writes 10 MiB and closes; the backend reads slowly and gets every byte, then EOF. */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void tailFromClientReachesSlowBackend(String transport) throws Exception {
        byte[] data = random(5, 10 * 1024 * 1024);
        try (RawBackend backend = new RawBackend(socket -> sha256(slowRead(socket.getInputStream())));
             SidecarHarness h = new SidecarHarness(backendAt(backend, transport))) {
            try (Socket s = connect(h.port(), 0)) {
                assertThat(new String(s.getInputStream().readNBytes(RAW_GREETING.length()),
                    StandardCharsets.US_ASCII)).isEqualTo(RAW_GREETING);
                s.getOutputStream().write(data);
            }
            assertThat(backend.nextResult()).isEqualTo(sha256(data));
            assertThat(h.nextSession().bytesIn()).isEqualTo(data.length);
        }
    }

    /** A half-closed session whose other side never ends is closed at smtp.halfCloseTimeout, with the reason. */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void halfCloseIsBoundedByTheTimeout(String transport) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RawBackend backend = new RawBackend(socket -> {
                socket.getInputStream().readAllBytes(); // the relayed FIN, then the backend just stays
                release.await(SidecarHarness.WAIT.toSeconds(), TimeUnit.SECONDS);
                return "held";
            });
             SidecarHarness h = new SidecarHarness(backendAt(backend, transport)
                 .put("smtp", new JsonObject().put("halfCloseTimeout", "500ms")));
             Socket s = connect(h.port(), 0)) {
            InputStream in = s.getInputStream();
            assertThat(in.readNBytes(RAW_GREETING.length())).hasSize(RAW_GREETING.length());
            s.shutdownOutput();
            assertThat(in.read()).isEqualTo(-1);
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
            assertThat(r.reason()).contains("smtp.halfCloseTimeout").contains("client had ended");
            release.countDown();
            assertThat(backend.nextResult()).isEqualTo("held");
        }
    }

    /** An SMTP server speaks after its greeting only when spoken to: the client's first line. */
    private static void awaitGo(Socket backend) throws IOException {
        assertThat(backend.getInputStream().readNBytes(GO.length)).isEqualTo(GO);
    }

    private static void greetingThenGo(Socket client) throws IOException {
        assertThat(new String(client.getInputStream().readNBytes(RAW_GREETING.length()), StandardCharsets.US_ASCII))
            .isEqualTo(RAW_GREETING);
        client.getOutputStream().write(GO);
    }

    /** The relay on one transport; io_uring only where the kernel and its seccomp profile allow it. */
    private static JsonObject on(String transport) {
        if (transport.equals("io_uring")) {
            assumeTrue(Transport.IO_URING != null && Transport.IO_URING.available(), "io_uring is not available here");
        }
        return new JsonObject().put("listen", new JsonObject().put("transport", transport));
    }

    private static JsonObject backendAt(RawBackend backend, String transport) {
        return on(transport).put("backend", new JsonObject().put("port", backend.port()));
    }

    /** A client from 127.0.0.2 (no header required); a receive buffer size of 0 keeps the system's. */
    private static Socket connect(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        s.setSoTimeout((int) SidecarHarness.WAIT.toMillis());
        return s;
    }

    /** Reads to EOF in 64 KiB reads with a pause after each: a reader slower than loopback. */
    private static byte[] slowRead(InputStream in) throws IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[SLOW_READ];
        while (true) {
            int n = in.readNBytes(chunk, 0, chunk.length);
            out.write(chunk, 0, n);
            if (n < chunk.length) {
                return out.toByteArray();
            }
            Thread.sleep(3);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            buf.write(b);
        }
        return buf.toString(StandardCharsets.US_ASCII).strip();
    }

    private static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
