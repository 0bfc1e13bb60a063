package io.smtpsidecar.listeners;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.proxy.DecodeResult;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.smtpsidecar.support.TestTls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls: passthrough}: the client's TLS reaches a TLS-on-connect backend untouched, behind a PROXY v2 header of
 * the sidecar's with the real client (Postfix {@code smtpd_tls_wrappermode} with {@code smtpd_upstream_proxy_protocol},
 * Exim {@code tls_on_connect_ports} with {@code hosts_proxy}).
 */
class PassthroughIT {
    @TempDir
    Path dir;

    @Test
    void theClientsTlsReachesTheBackendBehindAProxyHeader() throws Exception {
        TestTls tls = TestTls.generate(dir, "backend.sidecar.test");
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<ProxyHeader> seen = CompletableFuture.supplyAsync(() -> serveOne(backend, tls));
            JsonObject config = new JsonObject()
                .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1"))
                .put("listeners", new JsonArray().add(new JsonObject().put("name", "submissions").put("port", 0)
                    .put("tls", new JsonObject().put("mode", "passthrough"))
                    .put("backend", new JsonObject().put("port", backend.getLocalPort()).put("handshake", "proxy-v2"))));
            try (SidecarHarness h = new SidecarHarness(config);
                 SmtpClient c = new SmtpClient("127.0.0.1", h.port("submissions"))) {
                c.send(ProxyHeaders.v1("192.0.2.60", 51000, "198.51.100.1", 465));
                String negotiated = c.startTls(tls.clientContext(), "backend.sidecar.test");
                assertThat(c.reply()).isEqualTo("220 backend.sidecar.test ESMTP over TLS");
                assertThat(c.command("QUIT")).isEqualTo("221 bye");
                ProxyHeader header = seen.get(SidecarHarness.WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(header.source().getAddress().getHostAddress()).isEqualTo("192.0.2.60");
                assertThat(header.source().getPort()).isEqualTo(51000);
                assertThat(header.destination().getPort()).isEqualTo(465);
                SessionRecord r = h.nextSession();
                assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
                assertThat(r.tls()).isNull(); // the sidecar saw only ciphertext
                assertThat(negotiated).startsWith("TLSv1.3:");
                assertThat(r.bytesOut()).isPositive();
            }
        }
    }

    @Test
    void aRequiredPeerWithoutAHeaderIsClosedWithoutPlainTextIntoItsTls() throws Exception {
        JsonObject config = new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1"))
            .put("listeners", new JsonArray().add(new JsonObject().put("name", "submissions").put("port", 0)
                .put("tls", new JsonObject().put("mode", "passthrough"))
                .put("backend", new JsonObject().put("handshake", "proxy-v2"))));
        try (SidecarHarness h = new SidecarHarness(config);
             SmtpClient c = new SmtpClient("127.0.0.1", h.port("submissions"))) {
            c.send("\u0016\u0003\u0001\u0000\u0005hello");
            assertThat(c.closedByServer()).isTrue();
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.reason()).endsWith("; passthrough: closed without a reply");
            assertThat(r.bytesOut()).isZero();
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    /** A TLS-on-connect MTA that takes a PROXY v2 header first; returns the header it read. */
    private static ProxyHeader serveOne(ServerSocket server, TestTls tls) {
        try (Socket plain = server.accept()) {
            DataInputStream in = new DataInputStream(plain.getInputStream());
            byte[] start = new byte[16];
            in.readFully(start);
            byte[] header = new byte[16 + ((start[14] & 0xff) << 8 | (start[15] & 0xff))];
            System.arraycopy(start, 0, header, 0, 16);
            in.readFully(header, 16, header.length - 16);
            ProxyHeader parsed = ((DecodeResult.Decoded) new ProxyHeaderDecoder(4096).feed(header)).header();
            SSLSocket tlsSocket = (SSLSocket) tls.serverContext().getSocketFactory()
                .createSocket(plain, null, plain.getPort(), false);
            tlsSocket.setUseClientMode(false);
            OutputStream out = tlsSocket.getOutputStream();
            out.write("220 backend.sidecar.test ESMTP over TLS\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader lines = new BufferedReader(new InputStreamReader(tlsSocket.getInputStream(),
                StandardCharsets.US_ASCII));
            if ("QUIT".equals(lines.readLine())) {
                out.write("221 bye\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            tlsSocket.close();
            return parsed;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
