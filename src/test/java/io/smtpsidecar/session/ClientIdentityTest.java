package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderEncoder;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientIdentityTest {
    private static final InetSocketAddress PEER = at("192.0.2.10", 40000);
    private static final InetSocketAddress LOCAL = at("192.0.2.25", 2525);

    private static InetSocketAddress at(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static SidecarConfig.Proxy proxy(JsonObject proxy) {
        return ConfigReader.read(new JsonObject().put("proxy", proxy), Map.of(), "mx.example.test").proxy();
    }

    private static ProxyHeader v2(InetSocketAddress source, InetSocketAddress destination) {
        return new ProxyHeader(2, false, source, destination, List.of(), 28);
    }

    @Test
    void withoutAHeaderTheClientIsThePeer() {
        ClientIdentity id = new ClientIdentity(PEER, LOCAL);
        assertThat(id.client()).isEqualTo(PEER);
        assertThat(id.source()).isEqualTo(IdentitySource.DIRECT);
        assertThat(id.xclient("[UNAVAILABLE]").commands(java.util.Set.of("ADDR", "PORT", "NAME")))
            .containsExactly("XCLIENT ADDR=192.0.2.10 PORT=40000 NAME=[UNAVAILABLE]");
        assertThat(id.name()).isEqualTo("[UNAVAILABLE]");
    }

    @Test
    void anIpv4MappedPeerIsItsIpv4Address() {
        ClientIdentity id = new ClientIdentity(at("::ffff:192.0.2.10", 40000), at("::ffff:192.0.2.25", 2525));
        assertThat(id.peer()).isEqualTo(PEER);
    }

    @Test
    void anAcceptedHeaderGivesClientAndDestination() {
        ClientIdentity id = new ClientIdentity(PEER, LOCAL);
        InetSocketAddress real = at("198.51.100.7", 51000);
        InetSocketAddress vip = at("203.0.113.1", 25);
        assertThat(id.accept(v2(real, vip), proxy(new JsonObject()))).isNull();
        assertThat(id.client()).isEqualTo(real);
        assertThat(id.source()).isEqualTo(IdentitySource.PROXY_V2);
        assertThat(id.peer()).isEqualTo(PEER);
        assertThat(id.proxyHeader(SidecarConfig.Handshake.PROXY_V1)).isEqualTo(ProxyHeaderEncoder.v1(real, vip));
        assertThat(id.proxyHeader(SidecarConfig.Handshake.XCLIENT)).isNull();
    }

    @Test
    void aLocalHeaderKeepsThePeerAndSaysSo() {
        ClientIdentity id = new ClientIdentity(PEER, LOCAL);
        assertThat(id.accept(new ProxyHeader(2, true, null, null, List.of(), 16), proxy(new JsonObject()))).isNull();
        assertThat(id.client()).isEqualTo(PEER);
        assertThat(id.source()).isEqualTo(IdentitySource.LOCAL);
        // without a header destination the backend's PROXY header names where the client connected
        assertThat(id.proxyHeader(SidecarConfig.Handshake.PROXY_V2)).isEqualTo(ProxyHeaderEncoder.v2(PEER, LOCAL));
    }

    @Test
    void aRejectedSourceIsRefusedAndNotTaken() {
        ClientIdentity id = new ClientIdentity(PEER, LOCAL);
        String refused = id.accept(v2(at("127.0.0.1", 1234), LOCAL), proxy(new JsonObject()));
        assertThat(refused).isEqualTo("claimed source 127.0.0.1 is in proxy.rejectSources");
        assertThat(id.client()).isEqualTo(PEER);
        assertThat(id.source()).isEqualTo(IdentitySource.DIRECT);
    }

    @Test
    void theSidecarsOwnAddressIsRefusedUnlessAllowed() {
        ClientIdentity id = new ClientIdentity(PEER, LOCAL);
        assertThat(id.accept(v2(at("192.0.2.25", 1234), LOCAL), proxy(new JsonObject())))
            .isEqualTo("claimed source 192.0.2.25 is the sidecar's own address");
        assertThat(id.accept(v2(at("192.0.2.25", 1234), LOCAL), proxy(new JsonObject().put("rejectOwnAddress", false))))
            .isNull();
        assertThat(id.client()).isEqualTo(at("192.0.2.25", 1234));
    }
}
