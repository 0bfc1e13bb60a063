package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.metrics.Outcome;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SessionRecordTest {
    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(IpAddresses.parse(ip), port);
    }

    @Test
    void forwardedProxySessionInEximStyle() {
        SessionRecord r = new SessionRecord(at("10.0.3.7", 40000), at("192.0.2.1", 50000), "client.example.org",
            IdentitySource.PROXY_V2, Outcome.FORWARDED, null, null, 1543, 612, Duration.ofMillis(84), "smtp",
            at("10.0.3.9", 2525), null);
        assertThat(r.format()).isEqualTo("forwarded H=client.example.org [192.0.2.1]:50000 I=[10.0.3.9]:2525 "
            + "PRX=10.0.3.7 P=proxy-v2 in=1543 out=612 T=0.084s");
    }

    @Test
    void unavailableNameIsNotShownAndLocalHasNoProxyField() {
        SessionRecord r = new SessionRecord(at("10.0.3.7", 40000), at("10.0.3.7", 40000), "[UNAVAILABLE]",
            IdentitySource.LOCAL, Outcome.FORWARDED, null, null, 0, 0, Duration.ZERO, "smtp", at("10.0.3.9", 2525), null);
        assertThat(r.format()).isEqualTo("forwarded H=[10.0.3.7]:40000 I=[10.0.3.9]:2525 P=local in=0 out=0 T=0.000s");
    }

    @Test
    void failedHeaderIsEscapedOnOneLine() {
        byte[] input = "PROXY TCP4 \"x\"\\ \u0000\u00ff\r\n".getBytes(StandardCharsets.ISO_8859_1);
        SessionRecord r = new SessionRecord(at("2001:db8::9", 1), at("2001:db8::9", 1), null, IdentitySource.DIRECT,
            Outcome.REFUSED_MALFORMED, "v1: \"bad\"", input, 17, 95, Duration.ofMillis(4), "smtp",
            at("2001:db8::1", 25), null);
        assertThat(r.format()).isEqualTo("refused_malformed H=[2001:db8::9]:1 I=[2001:db8::1]:25 P=direct reason=\"v1: \\\"bad\\\"\" "
            + "input=\"PROXY TCP4 \\\"x\\\"\\\\ \\x00\\xff\\r\\n\" in=17 out=95 T=0.004s");
        assertThat(r.format()).doesNotContain("\r").doesNotContain("\n");
    }

    @Test
    void terminatedTlsShowsProtocolAndCipherAndTheListenerInJson() {
        SessionRecord r = new SessionRecord(at("10.0.3.7", 40000), at("192.0.2.1", 50000), null,
            IdentitySource.PROXY_V2, Outcome.FORWARDED, null, null, 10, 20, Duration.ofMillis(1), "submissions",
            at("10.0.3.9", 2465), "TLSv1.3:TLS_AES_256_GCM_SHA384");
        assertThat(r.format()).isEqualTo("forwarded H=[192.0.2.1]:50000 I=[10.0.3.9]:2465 PRX=10.0.3.7 P=proxy-v2 "
            + "X=TLSv1.3:TLS_AES_256_GCM_SHA384 in=10 out=20 T=0.001s");
        assertThat(r.fields()).containsEntry("listener", "submissions").containsEntry("interface", "[10.0.3.9]:2465")
            .containsEntry("tls", "TLSv1.3:TLS_AES_256_GCM_SHA384");
    }
}
