package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.proxy.DecodeResult;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** backend.handshake proxy-v1/proxy-v2: the backend gets a PROXY header for the session's identity, then greets. */
class ProxyHandshakeIT {

    @ParameterizedTest
    @ValueSource(strings = {"proxy-v1", "proxy-v2"})
    void backendReceivesTheRealClientInAProxyHeader(String mode) throws Exception {
        Vertx vertx = Vertx.vertx();
        CompletableFuture<ProxyHeader> received = new CompletableFuture<>();
        try {
            // a backend that speaks PROXY: decodes the header with the product's decoder, then greets
            NetServer backend = vertx.createNetServer().connectHandler(socket -> {
                ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
                socket.handler(data -> {
                    if (received.isDone()) {
                        return;
                    }
                    DecodeResult r = decoder.feed(data.getBytes());
                    if (r instanceof DecodeResult.Decoded d) {
                        received.complete(d.header());
                        socket.write("220 proxy-backend.test ESMTP\r\n");
                    } else if (r instanceof DecodeResult.Invalid i) {
                        received.completeExceptionally(new AssertionError(i.reason()));
                    }
                });
            });
            int port = backend.listen(0, "127.0.0.1").await().actualPort();
            JsonObject cfg = new JsonObject()
                .put("backend", new JsonObject().put("port", port).put("handshake", mode))
                .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1"));
            try (SidecarHarness h = new SidecarHarness(cfg);
                 SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
                c.send(ProxyHeaders.v1("192.0.2.1", 50000, "198.51.100.7", 25));
                assertThat(c.reply()).isEqualTo("220 proxy-backend.test ESMTP");
                ProxyHeader header = received.get(30, TimeUnit.SECONDS);
                assertThat(header.version()).isEqualTo(mode.equals("proxy-v1") ? 1 : 2);
                assertThat(header.source().getAddress().getHostAddress()).isEqualTo("192.0.2.1");
                assertThat(header.source().getPort()).isEqualTo(50000);
                assertThat(header.destination().getPort()).isEqualTo(25);
            }
        } finally {
            vertx.close().await();
        }
    }
}
