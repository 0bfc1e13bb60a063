package io.smtpsidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smtpsidecar.addr.IpAddresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigReaderTest {

    private static SidecarConfig read(JsonObject json) {
        return ConfigReader.read(json, Map.of(), "mx1.example.test");
    }

    private static JsonObject section(String section, String key, Object value) {
        return new JsonObject().put(section, new JsonObject().put(key, value));
    }

    @Test
    void defaults() {
        SidecarConfig c = read(new JsonObject());
        assertThat(c.listen()).isEqualTo(new SidecarConfig.Listen("0.0.0.0", 2525,
            Runtime.getRuntime().availableProcessors(), SidecarConfig.Transport.AUTO));
        assertThat(c.backend().host()).isEqualTo("127.0.0.1");
        assertThat(c.backend().port()).isEqualTo(25);
        assertThat(c.backend().connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.backend().handshake()).isEqualTo(SidecarConfig.Handshake.XCLIENT);
        assertThat(c.backend().warmConnections()).isZero();
        assertThat(c.backend().warmMaxIdle()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.proxy().headerTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.proxy().requiredHosts().isEmpty()).isTrue();
        assertThat(c.smtp().hostname()).isEqualTo("mx1.example.test");
        assertThat(c.smtp().banner()).isEqualTo("mx1.example.test ESMTP");
        assertThat(c.smtp().refusalMaxCommands()).isEqualTo(20);
        assertThat(c.smtp().halfCloseTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.dns().reverseLookup()).isTrue();
        assertThat(c.dns().timeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @ParameterizedTest
    @CsvSource({
        "127.0.0.9, true", "::1, true", "169.254.1.1, true", "fe80::1, true",
        "0.0.0.0, true", "0.1.2.3, true", "255.255.255.255, true", "224.0.0.1, true", "239.255.255.250, true",
        "::, true", "::127.0.0.1, true", "::192.0.2.1, true", "ff02::1, true", "ff05::1:3, true",
        "::ffff:127.0.0.1, true", "::ffff:0.0.0.0, true", "::ffff:224.0.0.1, true",
        "192.0.2.1, false", "198.51.100.7, false", "1.0.0.0, false", "223.255.255.255, false",
        "255.255.255.254, false", "2001:db8::1, false", "::ffff:192.0.2.1, false", "::1:0:0:1, false",
        "fe00::1, false"})
    void defaultRejectSourcesCoverAddressesNoClientHas(String address, boolean refused) {
        assertThat(read(new JsonObject()).proxy().rejectSources().matches(IpAddresses.parse(address)))
            .as(address).isEqualTo(refused);
    }

    @Test
    void requiredHostsAsEximStringOrYamlList() {
        SidecarConfig s = read(section("proxy", "requiredHosts", "<; 2001:db8::/32 ; 10.0.0.0/8"));
        assertThat(s.proxy().requiredHosts().matches(IpAddresses.parse("10.1.2.3"))).isTrue();
        assertThat(s.proxy().requiredHosts().matches(IpAddresses.parse("2001:db8::5"))).isTrue();
        assertThat(s.proxy().requiredHosts().matches(IpAddresses.parse("192.0.2.1"))).isFalse();
        SidecarConfig l = read(section("proxy", "requiredHosts", new JsonArray(List.of("!10.0.0.1", "10.0.0.0/8"))));
        assertThat(l.proxy().requiredHosts().matches(IpAddresses.parse("10.0.0.1"))).isFalse();
        assertThat(l.proxy().requiredHosts().matches(IpAddresses.parse("10.0.0.2"))).isTrue();
    }

    @Test
    void environmentOverridesTheFileUnderBothNameForms() {
        JsonObject file = section("backend", "port", 25);
        SidecarConfig c = ConfigReader.read(file, Map.of(
            "SIDECAR_BACKEND_PORT", "2526",
            "SIDECAR_PROXY_HEADER_TIMEOUT", "500ms",
            "SIDECAR_PROXY_REQUIREDHOSTS", "192.0.2.0/24 : 198.51.100.7",
            "SIDECAR_DNS_SERVERS", "127.0.0.1:5353, [2001:db8::53]"), "h.example");
        assertThat(c.backend().port()).isEqualTo(2526);
        assertThat(c.proxy().headerTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.proxy().requiredHosts().matches(IpAddresses.parse("198.51.100.7"))).isTrue();
        assertThat(c.dns().servers()).containsExactly(new SidecarConfig.DnsServer("127.0.0.1", 5353),
            new SidecarConfig.DnsServer("2001:db8::53", 53));
    }

    @Test
    void unknownEnvironmentNamesAreReportedNotFatal() {
        assertThat(ConfigReader.unknownEnvNames(Map.of("SIDECAR_SERVICE_HOST", "10.0.0.1", "SIDECAR_BACKEND_PORT", "1",
            "PATH", "/bin"))).containsExactly("SIDECAR_SERVICE_HOST");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "listen|port|70000|listen.port: '70000' is out of range (0..65535)",
        "listen|port|abc|listen.port: 'abc' is not a whole number (0..65535)",
        "listen|eventLoops|0|listen.eventLoops: '0' is out of range (1..1024)",
        "backend|port|0|backend.port: '0' is out of range (1..65535)",
        "proxy|headerTimeout|3x|proxy.headerTimeout: '3x' is not a duration (write e.g. 500ms, 3s, 2m)",
        "proxy|headerTimeout|0s|proxy.headerTimeout: '0s' is out of range (1ms..1h)",
        "proxy|maxHeaderBytes|100|proxy.maxHeaderBytes: '100' is out of range (536..65551)",
        "proxy|requiredHosts|mail.example.org|proxy.requiredHosts: ",
        "proxy|requiredHosts|10.0.0.0/33|proxy.requiredHosts: ",
        "backend|handshake|xforward|backend.handshake: 'xforward' is not one of: xclient, proxy-v1, proxy-v2, none",
        "backend|warmConnections|-1|backend.warmConnections: '-1' is out of range (0..10000)",
        "backend|warmMaxIdle|0s|backend.warmMaxIdle: '0s' is out of range (1ms..1h)",
        "backend|host|bad host!|backend.host: 'bad host!' is neither an IP address nor a host name",
        "smtp|hostname|under_score.example|smtp.hostname: 'under_score.example' is not a valid host name",
        "smtp|refusalMaxCommands|0|smtp.refusalMaxCommands: '0' is out of range (1..10000)",
        "listen|transport|fast|listen.transport: 'fast' is not one of: auto, nio, epoll, io_uring",
        "dns|reverseLookup|maybe|dns.reverseLookup: 'maybe' is not a boolean (true or false)",
        "dns|servers|dns.example.org|dns.servers: 'dns.example.org' is not an IP address",
        "dns|servers|127.0.0.1:99999|dns.servers: '127.0.0.1:99999' has a bad port '99999'",
    })
    void badValuesNameTheKeyAndTheValue(String sectionName, String key, String value, String message) {
        assertThatThrownBy(() -> read(section(sectionName, key, value)))
            .isInstanceOf(ConfigException.class)
            .hasMessageStartingWith(message)
            .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(sectionName + "." + key));
    }

    @Test
    void warmConnectionsOnlyWithXclient() {
        JsonObject proxyV2 = new JsonObject().put("backend", new JsonObject().put("handshake", "proxy-v2")
            .put("warmConnections", 4));
        assertThatThrownBy(() -> read(proxyV2))
            .isInstanceOf(ConfigException.class)
            .hasMessage("backend.warmConnections: 4 needs backend.handshake: xclient (with proxy-v2 the backend learns"
                + " the client from the connection's first bytes)");
        assertThat(read(new JsonObject().put("backend", new JsonObject().put("handshake", "none")
            .put("warmConnections", 0))).backend().warmConnections()).isZero();
        assertThat(read(section("backend", "warmConnections", 8)).backend().warmConnections()).isEqualTo(8);
    }

    @Test
    void unknownKeysAreRejected() {
        assertThatThrownBy(() -> read(section("proxy", "headerTimout", "3s")))
            .isInstanceOf(ConfigException.class).hasMessageStartingWith("proxy.headerTimout: unknown key");
        assertThatThrownBy(() -> read(new JsonObject().put("listen", "0.0.0.0")))
            .hasMessageStartingWith("listen: expected a section");
    }

    @Test
    void bannerMustBeOnePrintableLine() {
        assertThatThrownBy(() -> read(section("smtp", "banner", "mx ESMTP\r\n250 injected")))
            .hasMessageStartingWith("smtp.banner: ");
    }

    @Test
    void printedConfigurationReadsBackToTheSameValues() {
        JsonObject json = new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", "<; 2001:db8::/32 ; 10.0.0.0/8").put("headerTimeout", "1500ms"))
            .put("dns", new JsonObject().put("servers", new JsonArray().add("127.0.0.1:5353")));
        SidecarConfig first = read(json);
        String yaml = ConfigPrinter.toYaml(first);
        JsonObject reparsed = YamlConfigFile.parse(yaml);
        SidecarConfig second = read(reparsed);
        assertThat(ConfigPrinter.toYaml(second)).isEqualTo(yaml);
        assertThat(yaml).contains("headerTimeout: 1500ms").contains("127.0.0.1:5353");
    }

    @Test
    void durations() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("3s")).isEqualTo(Duration.ofSeconds(3));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("3")).isNull();
        assertThat(Durations.parse("-3s")).isNull();
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofSeconds(120))).isEqualTo("2m");
    }
}
