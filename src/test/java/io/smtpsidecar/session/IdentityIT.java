package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.support.FakeDnsServer;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Where the identity comes from: reverse DNS, the socket peer on a dual-stack listener, and the none handshake. */
class IdentityIT {

    @Test
    void confirmedReverseNameReachesTheBackendAndTheLog() throws Exception {
        Vertx dnsVertx = Vertx.vertx();
        try (FakeDnsServer dns = new FakeDnsServer(dnsVertx)) {
            dns.ptr("5.0.0.127.in-addr.arpa", "client5.e2e.test").address("client5.e2e.test", IpAddresses.parse("127.0.0.5"))
                .ptr("6.0.0.127.in-addr.arpa", "evil name\r\nXCLIENT ADDR=10.9.9.9");
            // a generous timeout: the first lookup also builds the resolver, slow on a loaded machine
            JsonObject cfg = new JsonObject().put("dns", new JsonObject().put("reverseLookup", true).put("timeout", "10s")
                .put("servers", new JsonArray().add("127.0.0.1:" + dns.port())));
            try (SidecarHarness h = new SidecarHarness(cfg)) {
                try (SmtpClient c = new SmtpClient("127.0.0.5", h.port())) {
                    assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
                    assertThat(c.command("QUIT")).startsWith("221");
                }
                assertThat(h.nextBackendSession().xclient()).containsEntry("NAME", "client5.e2e.test")
                    .containsEntry("ADDR", "127.0.0.5");
                assertThat(h.nextSession().format()).startsWith("forwarded H=client5.e2e.test [127.0.0.5]:");
                try (SmtpClient c = new SmtpClient("127.0.0.6", h.port())) {
                    assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
                    assertThat(c.command("QUIT")).startsWith("221");
                }
                FakeMta.Transcript hostile = h.nextBackendSession();
                assertThat(hostile.xclient()).containsEntry("NAME", "[UNAVAILABLE]");
                assertThat(String.join("\n", hostile.commands())).doesNotContain("10.9.9.9").doesNotContain("evil");
            }
        } finally {
            dnsVertx.close().await();
        }
    }

    @Test
    void ipv4MappedPeerOnADualStackListenerMatchesIpv4Items() throws Exception {
        boolean ipv6;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::"))) {
            ipv6 = true;
        } catch (Exception e) {
            ipv6 = false;
        }
        assumeTrue(ipv6, "no IPv6 on this machine");
        JsonObject cfg = new JsonObject()
            .put("listen", new JsonObject().put("host", "::"))
            .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1").put("headerTimeout", "200ms"));
        try (SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            // required (matched through ::ffff:127.0.0.1) and silent: refusal mode, not forwarding
            assertThat(c.reply()).isEqualTo("220 sidecar.test ESMTP");
            SmtpClient other = new SmtpClient("127.0.0.2", h.port());
            assertThat(other.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            other.close();
        }
    }

    @Test
    void noneHandshakeRelaysTheBackendGreetingWithoutXclient() throws Exception {
        JsonObject cfg = new JsonObject().put("backend", new JsonObject().put("handshake", "none"));
        try (SidecarHarness h = new SidecarHarness(cfg);
             SmtpClient c = new SmtpClient("127.0.0.2", h.port())) {
            assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            assertThat(c.command("EHLO x")).startsWith("250-" + FakeMta.HOSTNAME);
            assertThat(c.command("QUIT")).startsWith("221");
            FakeMta.Transcript t = h.nextBackendSession();
            assertThat(t.xclient()).isEmpty();
            assertThat(t.commands()).containsExactly("EHLO x", "QUIT");
        }
    }
}
