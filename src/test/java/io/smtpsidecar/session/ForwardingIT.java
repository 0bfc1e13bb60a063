package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.FakeMta.Fault;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Forwarded sessions on real loopback sockets: header identities reach the backend through XCLIENT. */
class ForwardingIT {
    private static final String BACKEND_GREETING = FakeMta.GREETING;
    private static final byte[] V2_TCP4 = ProxyHeaders.v2("192.0.2.1", 50000, "198.51.100.7", 25);

    private static JsonObject required(String hosts) {
        return new JsonObject().put("proxy", new JsonObject().put("requiredHosts", hosts));
    }

    /** A full transaction; returns the backend's reply to the final dot. */
    private static String sendMessage(SmtpClient c) throws Exception {
        assertThat(c.command("EHLO client.example")).startsWith("250-" + FakeMta.HOSTNAME);
        assertThat(c.command("MAIL FROM:<a@example.test>")).startsWith("250");
        assertThat(c.command("RCPT TO:<b@example.test>")).startsWith("250");
        assertThat(c.command("DATA")).startsWith("354");
        String queued = c.command("Subject: hi\r\n\r\nhello\r\n.");
        assertThat(c.command("QUIT")).startsWith("221");
        return queued;
    }

    @Test
    void v1HeaderGivesTheBackendTheRealClient() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("127.0.0.1"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("192.0.2.1", 50000, "198.51.100.7", 25));
            assertThat(c.reply()).isEqualTo(BACKEND_GREETING);
            assertThat(sendMessage(c)).startsWith("250 2.0.0 Ok: queued");

            FakeMta.Transcript t = h.nextBackendSession();
            assertThat(t.xclient()).containsEntry("ADDR", "192.0.2.1").containsEntry("PORT", "50000")
                .containsEntry("NAME", "[UNAVAILABLE]").containsEntry("DESTADDR", "198.51.100.7")
                .containsEntry("DESTPORT", "25");
            assertThat(t.commands()).first().isEqualTo("EHLO sidecar.test");
            assertThat(t.messages()).hasSize(1);
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
            assertThat(r.format()).startsWith("forwarded H=[192.0.2.1]:50000 I=[127.0.0.1]:" + h.port() + " PRX=127.0.0.1 P=proxy-v1 in=");
        }
    }

    @Test
    void v2HeaderGivesTheBackendTheRealClient() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("127.0.0.0/8"));
             SmtpClient c = new SmtpClient("127.0.0.3", h.port())) {
            c.send(V2_TCP4);
            assertThat(c.reply()).isEqualTo(BACKEND_GREETING);
            assertThat(sendMessage(c)).startsWith("250");
            assertThat(h.nextBackendSession().xclient()).containsEntry("ADDR", "192.0.2.1")
                .containsEntry("PORT", "50000");
            SessionRecord r = h.nextSession();
            assertThat(r.format()).startsWith("forwarded H=[192.0.2.1]:50000 I=[127.0.0.1]:" + h.port() + " PRX=127.0.0.3 P=proxy-v2 ");
            assertThat(r.bytesIn()).isGreaterThan(V2_TCP4.length);
        }
    }

    @Test
    void v2LocalKeepsTheSocketPeerAsClient() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("127.0.0.1"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v2Local());
            assertThat(c.reply()).isEqualTo(BACKEND_GREETING);
            assertThat(c.command("QUIT")).startsWith("221");
            assertThat(h.nextBackendSession().xclient()).containsEntry("ADDR", "127.0.0.1")
                .containsEntry("PORT", String.valueOf(c.localPort()));
            assertThat(h.nextSession().format()).startsWith("forwarded H=[127.0.0.1]:" + c.localPort() + " I=[127.0.0.1]:" + h.port() + " P=local ");
        }
    }

    @Test
    void v1UnknownKeepsTheSocketPeerAsClient() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("127.0.0.1"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send("PROXY UNKNOWN\r\n");
            assertThat(c.reply()).isEqualTo(BACKEND_GREETING);
            assertThat(c.command("QUIT")).startsWith("221");
            assertThat(h.nextBackendSession().xclient()).containsEntry("ADDR", "127.0.0.1");
            assertThat(h.nextSession().source()).isEqualTo(IdentitySource.LOCAL);
        }
    }

    @Test
    void unlistedPeerIsForwardedAsItselfAndItsProxyLineIsJustData() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("127.0.0.1"));
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).isEqualTo(BACKEND_GREETING);
            assertThat(c.command("PROXY TCP4 203.0.113.9 198.51.100.7 40000 25")).startsWith("502");
            assertThat(c.command("QUIT")).startsWith("221");
            FakeMta.Transcript t = h.nextBackendSession();
            assertThat(t.xclient()).containsEntry("ADDR", "127.0.0.2");
            assertThat(t.commands()).contains("PROXY TCP4 203.0.113.9 198.51.100.7 40000 25");
            assertThat(h.nextSession().format()).startsWith("forwarded H=[127.0.0.2]:" + c.localPort() + " I=[127.0.0.1]:" + h.port() + " P=direct ");
        }
    }

    @Test
    void clientCannotXclientItselfAfterTheHandshake() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("127.0.0.1"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("192.0.2.1", 50000, "198.51.100.7", 25));
            assertThat(c.reply()).isEqualTo(BACKEND_GREETING);
            assertThat(c.command("EHLO x")).doesNotContain("XCLIENT");
            assertThat(c.command("XCLIENT ADDR=10.9.9.9")).startsWith("550");
            assertThat(c.command("QUIT")).startsWith("221");
            assertThat(h.nextBackendSession().clientAddress()).isEqualTo("192.0.2.1");
        }
    }

    @Test
    void ipv6ClientThroughAnIpv4Listener() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("127.0.0.1"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("2001:db8::1", 50000, "2001:db8::2", 25));
            assertThat(c.reply()).isEqualTo(BACKEND_GREETING);
            assertThat(c.command("QUIT")).startsWith("221");
            assertThat(h.nextBackendSession().xclient()).containsEntry("ADDR", "IPV6:2001:db8::1")
                .containsEntry("DESTADDR", "IPV6:2001:db8::2");
            assertThat(h.nextSession().format()).startsWith("forwarded H=[2001:db8::1]:50000 I=[127.0.0.1]:" + h.port() + " PRX=127.0.0.1 P=proxy-v1");
        }
    }

    @Test
    void earlyTalkerAfterAValidHeaderGets554AndTheBackendIsDropped() throws Exception {
        try (SidecarHarness h = new SidecarHarness(required("127.0.0.1"));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\r\nEHLO x\r\n");
            assertThat(c.reply()).isEqualTo("554 SMTP synchronization error");
            assertThat(c.closedByServer()).isTrue();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.SYNC_ERROR);
        }
    }

    @Test
    void earlyTalkerWithoutHeaderGets554() throws Exception {
        try (SidecarHarness h = new SidecarHarness(new JsonObject(), Fault.SLOW_GREETING);
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            c.send("EHLO impatient.example\r\n");
            assertThat(c.reply()).isEqualTo("554 SMTP synchronization error");
            assertThat(c.closedByServer()).isTrue();
            assertThat(h.nextSession().outcome()).isEqualTo(Outcome.SYNC_ERROR);
            // the backend connection was opened for the handshake and is closed with the client
            assertThat(h.nextBackendSession().messages()).isEmpty();
        }
    }

    @Test
    void backendDownGives421() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        JsonObject cfg = new JsonObject().put("backend", new JsonObject().put("port", closedPort));
        try (SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).isEqualTo("421 4.3.0 sidecar.test Service temporarily unavailable");
            assertThat(c.closedByServer()).isTrue();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.BACKEND_UNAVAILABLE);
            assertThat(r.reason()).startsWith("connect: ");
        }
    }

    @Test
    void backendWithoutXclientGives421() throws Exception {
        try (SidecarHarness h = new SidecarHarness(new JsonObject(),
                 Fault.NO_XCLIENT);
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).isEqualTo("421 4.3.0 sidecar.test Service temporarily unavailable");
            assertThat(c.closedByServer()).isTrue();
            assertThat(h.nextSession().reason()).startsWith("no_xclient: ");
        }
    }

    @Test
    void backendRefusingXclientGives421() throws Exception {
        try (SidecarHarness h = new SidecarHarness(new JsonObject(),
                 Fault.XCLIENT_REFUSED);
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).isEqualTo("421 4.3.0 sidecar.test Service temporarily unavailable");
            assertThat(c.closedByServer()).isTrue();
            assertThat(h.nextSession().reason())
                .isEqualTo("xclient_rejected: 550 5.7.0 Error: insufficient authorization");
        }
    }

    @Test
    void backendThatNeverGreetsGives421AtTheGreetingTimeout() throws Exception {
        JsonObject cfg = new JsonObject().put("backend", new JsonObject().put("greetingTimeout", "300ms"));
        try (SidecarHarness h = new SidecarHarness(cfg,
                 Fault.BLACK_HOLE);
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).isEqualTo("421 4.3.0 sidecar.test Service temporarily unavailable");
            assertThat(h.nextSession().reason()).startsWith("timeout: ");
        }
    }

    @Test
    void tenMegabyteMessageArrivesByteIdentical() throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Random random = new Random(42);
        while (body.size() < 10 * 1024 * 1024) {
            int len = random.nextInt(990);
            for (int i = 0; i < len; i++) {
                int b = random.nextInt(256);
                body.write(b == '\r' || b == '\n' ? 'x' : b);
            }
            body.write('\r');
            body.write('\n');
        }
        byte[] data = body.toByteArray();
        // dot-stuff lines that start with '.' (the bytes the backend must receive exactly)
        String text = new String(data, StandardCharsets.ISO_8859_1).replace("\r\n.", "\r\n..");
        if (text.startsWith(".")) {
            text = "." + text;
        }
        byte[] wire = text.getBytes(StandardCharsets.ISO_8859_1);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(wire));
        try (SidecarHarness h = new SidecarHarness(new JsonObject());
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).isEqualTo(BACKEND_GREETING);
            c.command("EHLO big.example");
            c.command("MAIL FROM:<a@example.test>");
            c.command("RCPT TO:<b@example.test>");
            assertThat(c.command("DATA")).startsWith("354");
            c.send(wire);
            assertThat(c.command(".")).startsWith("250 2.0.0 Ok: queued");
            assertThat(c.command("QUIT")).startsWith("221");
            FakeMta.Message m = h.nextBackendSession().messages().get(0);
            assertThat(m.size()).isEqualTo(wire.length);
            assertThat(m.sha256()).isEqualTo(expected);
            assertThat(h.nextSession().bytesIn()).isGreaterThan(wire.length);
        }
    }
}
