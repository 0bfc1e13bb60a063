package io.smtpsidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A header may not claim the addresses backends trust, and nothing after the header changes the identity. */
class AntiSpoofingIT {
    private static final String BANNER = "220 sidecar.test ESMTP";

    private static JsonObject proxy(JsonObject extra) {
        return new JsonObject().put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1").mergeIn(extra));
    }

    @Test
    void loopbackSourceIsRefusedByDefault() throws Exception {
        try (SidecarHarness h = new SidecarHarness(proxy(new JsonObject()));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("127.0.0.9", 50000, "198.51.100.7", 25));
            assertThat(c.reply()).isEqualTo(BANNER);
            assertThat(c.command("EHLO x")).startsWith("503 ");
            assertThat(c.command("QUIT")).startsWith("221 ");
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.reason()).isEqualTo("claimed source 127.0.0.9 is in proxy.rejectSources");
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    @Test
    void linkLocalIpv6SourceIsRefusedByDefault() throws Exception {
        try (SidecarHarness h = new SidecarHarness(proxy(new JsonObject()));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("fe80::1", 50000, "2001:db8::2", 25));
            assertThat(c.reply()).isEqualTo(BANNER);
            c.command("QUIT");
            assertThat(h.nextSession().reason()).isEqualTo("claimed source fe80::1 is in proxy.rejectSources");
        }
    }

    @ParameterizedTest
    @CsvSource({
        "PROXY TCP6 ::127.0.0.1 2001:db8::2 50000 25, ::7f00:1",
        "PROXY TCP4 0.0.0.0 198.51.100.7 50000 25, 0.0.0.0",
        "PROXY TCP6 ::ffff:127.0.0.1 2001:db8::2 50000 25, 127.0.0.1"})
    void addressesNoClientHasAreRefusedByDefault(String header, String claimed) throws Exception {
        try (SidecarHarness h = new SidecarHarness(proxy(new JsonObject()));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(header + "\r\n");
            assertThat(c.reply()).isEqualTo(BANNER);
            assertThat(c.command("EHLO x")).isEqualTo("503 Command refused, required Proxy negotiation failed");
            assertThat(c.command("QUIT")).startsWith("221 ");
            SessionRecord r = h.nextSession();
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.reason()).isEqualTo("claimed source " + claimed + " is in proxy.rejectSources");
            assertThat(h.backendUntouched()).isTrue();
        }
    }

    @Test
    void theSidecarsOwnAddressIsRefused() throws Exception {
        try (SidecarHarness h = new SidecarHarness(proxy(new JsonObject().put("rejectSources", "")));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("127.0.0.1", 50000, "198.51.100.7", 25));
            assertThat(c.reply()).isEqualTo(BANNER);
            c.command("QUIT");
            assertThat(h.nextSession().reason()).isEqualTo("claimed source 127.0.0.1 is the sidecar's own address");
        }
    }

    @Test
    void bothChecksCanBeTurnedOff() throws Exception {
        JsonObject off = new JsonObject().put("rejectSources", "").put("rejectOwnAddress", false);
        try (SidecarHarness h = new SidecarHarness(proxy(off));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("127.0.0.1", 50000, "198.51.100.7", 25));
            assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            assertThat(c.command("QUIT")).startsWith("221");
            assertThat(h.nextBackendSession().xclient()).containsEntry("ADDR", "127.0.0.1");
        }
    }

    @Test
    void aSecondProxyLineIsSmtpDataAndChangesNothing() throws Exception {
        try (SidecarHarness h = new SidecarHarness(proxy(new JsonObject()));
             SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(ProxyHeaders.v1("192.0.2.1", 50000, "198.51.100.7", 25));
            assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
            assertThat(c.command("PROXY TCP4 203.0.113.9 198.51.100.7 40000 25")).startsWith("502");
            assertThat(c.command("XCLIENT ADDR=203.0.113.9 NAME=spoofed.example")).startsWith("550");
            assertThat(c.command("QUIT")).startsWith("221");
            FakeMta.Transcript t = h.nextBackendSession();
            assertThat(t.clientAddress()).isEqualTo("192.0.2.1");
            assertThat(t.xclient()).containsEntry("NAME", "[UNAVAILABLE]");
        }
    }
}
