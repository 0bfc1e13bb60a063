package io.smtpsidecar.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** backend.handshake proxy-v1/proxy-v2: the backend gets a PROXY header for the session's identity, then greets. */
class ProxyHandshakeIT {

    @ParameterizedTest
    @ValueSource(strings = {"proxy-v1", "proxy-v2"})
    void backendReceivesTheRealClientInAProxyHeader(String mode) throws Exception {
        JsonObject cfg = new JsonObject()
            .put("backend", new JsonObject().put("handshake", mode))
            .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1"));
        // a backend that speaks PROXY: decodes the header with the product's decoder, then greets
        try (SidecarHarness h = new SidecarHarness(cfg, FakeMta.Fault.PROXY_HEADER);
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("192.0.2.1", 50000, "198.51.100.7", 25));
            assertThat(c.reply()).isEqualTo(FakeMta.GREETING);
            ProxyHeader header = h.backend().nextProxyHeader();
            assertThat(header.version()).isEqualTo(mode.equals("proxy-v1") ? 1 : 2);
            assertThat(header.source().getAddress().getHostAddress()).isEqualTo("192.0.2.1");
            assertThat(header.source().getPort()).isEqualTo(50000);
            assertThat(header.destination().getPort()).isEqualTo(25);
        }
    }
}
