package io.smtpsidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig.Handshake;
import io.smtpsidecar.config.SidecarConfig.Listener;
import io.smtpsidecar.config.SidecarConfig.TlsMode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code listeners:} list and the {@code tls} section: inheritance, overrides and every error. */
class ListenersConfigTest {

    private static SidecarConfig read(String yaml) {
        return ConfigReader.read(YamlConfigFile.parse(yaml), Map.of(), "mx1.example.test");
    }

    private static SidecarConfig read(String yaml, Map<String, String> env) {
        return ConfigReader.read(YamlConfigFile.parse(yaml), env, "mx1.example.test");
    }

    private static final String THREE_PORTS = """
        proxy: {requiredHosts: "10.0.0.0/8", headerTimeout: 2s}
        backend: {host: 127.0.0.1, port: 25}
        smtp: {hostname: mx.example.org}
        limits: {maxConnectionsPerClient: 50}
        tls: {certificate: /tls/tls.crt, key: /tls/tls.key}
        listeners:
          - {name: smtp, port: 2525}
          - name: submission
            port: 2587
            backend: {port: 10587}
            limits: {maxConnectionsPerClient: 5, connectionRatePerClient: 30}
          - name: submissions
            host: 127.0.0.1
            port: 2465
            tls: {mode: terminate, handshakeTimeout: 4s}
            backend: {port: 10465}
            smtp: {hostname: smtps.example.org}
          - name: submissionsp
            port: 2466
            tls: {mode: passthrough}
            backend: {port: 465, handshake: proxy-v2}
        """;

    @Test
    void theSinglePortFormIsOneListenerNamedSmtp() {
        SidecarConfig c = read("listen: {host: 127.0.0.1, port: 2600}\nbackend: {port: 2601}\n");
        assertThat(c.singlePortForm()).isTrue();
        assertThat(c.listeners()).singleElement().satisfies(l -> {
            assertThat(l.name()).isEqualTo("smtp");
            assertThat(l.host()).isEqualTo("127.0.0.1");
            assertThat(l.port()).isEqualTo(2600);
            assertThat(l.backend().port()).isEqualTo(2601);
            assertThat(l.tls().mode()).isEqualTo(TlsMode.NONE);
        });
        assertThat(c.portKey(0)).isEqualTo("listen.port");
    }

    @Test
    void listenersInheritWhatTheyDoNotSet() {
        SidecarConfig c = read(THREE_PORTS);
        assertThat(c.singlePortForm()).isFalse();
        assertThat(c.listeners()).extracting(Listener::name)
            .containsExactly("smtp", "submission", "submissions", "submissionsp");
        Listener smtp = c.listener("smtp");
        assertThat(smtp.host()).isEqualTo("0.0.0.0");
        assertThat(smtp.backend().port()).isEqualTo(25);
        assertThat(smtp.limits().maxConnectionsPerClient()).isEqualTo(50);
        assertThat(smtp.tls().mode()).isEqualTo(TlsMode.NONE);
        assertThat(smtp.proxy().headerTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(smtp.smtp().banner()).isEqualTo("mx.example.org ESMTP");

        Listener submission = c.listener("submission");
        assertThat(submission.backend().port()).isEqualTo(10587);
        assertThat(submission.backend().host()).isEqualTo("127.0.0.1");
        assertThat(submission.limits().maxConnectionsPerClient()).isEqualTo(5);
        assertThat(submission.limits().connectionRatePerClient()).isEqualTo(30);
        assertThat(submission.limits().maxConnections()).isEqualTo(10_000);
        assertThat(submission.proxy().requiredHosts().matches(IpAddresses.parse("10.1.2.3"))).isTrue();

        Listener submissions = c.listener("submissions");
        assertThat(submissions.host()).isEqualTo("127.0.0.1");
        assertThat(submissions.tls().mode()).isEqualTo(TlsMode.TERMINATE);
        assertThat(submissions.tls().certificate()).isEqualTo("/tls/tls.crt");
        assertThat(submissions.tls().handshakeTimeout()).isEqualTo(Duration.ofSeconds(4));
        // the banner follows the listener's own host name unless one is set
        assertThat(submissions.smtp().banner()).isEqualTo("smtps.example.org ESMTP");

        Listener passthrough = c.listener("submissionsp");
        assertThat(passthrough.backend().handshake()).isEqualTo(Handshake.PROXY_V2);
        assertThat(c.portKey(2)).isEqualTo("listeners[2].port");
    }

    @Test
    void environmentOverridesReachListenersThroughTheTopLevel() {
        SidecarConfig c = read(THREE_PORTS, Map.of("SIDECAR_BACKEND_HOST", "10.9.9.9",
            "SIDECAR_PROXY_HEADER_TIMEOUT", "5s"));
        assertThat(c.listener("smtp").backend().host()).isEqualTo("10.9.9.9");
        assertThat(c.listener("submissions").backend().host()).isEqualTo("10.9.9.9");
        assertThat(c.listener("submissions").backend().port()).isEqualTo(10465);
        assertThat(c.listener("submission").proxy().headerTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void thePrinterWritesWhatTheReaderReadsBack() {
        SidecarConfig c = read(THREE_PORTS);
        String printed = ConfigPrinter.toYaml(c);
        assertThat(printed).contains("listeners:").doesNotContain("port: 2525\n  eventLoops");
        assertThat(ConfigReader.read(YamlConfigFile.parse(printed), Map.of(), "other.example.test")).isEqualTo(c);
        SidecarConfig single = read("listen: {port: 2600}\n");
        String singlePrinted = ConfigPrinter.toYaml(single);
        assertThat(singlePrinted).doesNotContain("listeners");
        assertThat(ConfigReader.read(YamlConfigFile.parse(singlePrinted), Map.of(), "x")).isEqualTo(single);
    }

    @Test
    void aReloadKeepsTheRunningListenersAndTakesTheirOtherSettings() {
        SidecarConfig running = read(THREE_PORTS);
        SidecarConfig next = read(THREE_PORTS.replace("port: 10587", "port: 10588").replace("port: 2465", "port: 2999")
            .replace("{mode: passthrough}", "{mode: none}").replace("handshake: proxy-v2", "handshake: proxy-v1"));
        SidecarConfig applied = next.withStartupKeysOf(running);
        assertThat(applied.listener("submission").backend().port()).isEqualTo(10588);
        assertThat(applied.listener("submissions").port()).isEqualTo(2465);
        assertThat(applied.listener("submissionsp").tls().mode()).isEqualTo(TlsMode.PASSTHROUGH);
        assertThat(applied.listener("submissionsp").backend().handshake()).isEqualTo(Handshake.PROXY_V1);
    }

    @Test
    void errorsNameTheKeyInsideTheListener() {
        assertError("listen: {port: 2525}\nlisteners: [{name: smtp, port: 2525}]\n", "listen.port: not used with");
        assertError("listeners: []\n", "listeners: expected a list of listeners");
        assertError("listeners: {name: smtp}\n", "listeners: expected a list of listeners");
        assertError("listeners: [smtp]\n", "listeners[0]: expected a listener");
        assertError("listeners: [{port: 1}]\n", "listeners[0].name: missing");
        assertError("listeners: [{name: Smtp, port: 1}]\n", "listeners[0].name: 'Smtp' is not");
        assertError("listeners: [{name: smtp-in, port: 1}]\n", "listeners[0].name: 'smtp-in' is not");
        assertError("listeners: [{name: smtp}]\n", "listeners[0].port: missing");
        assertError("listeners: [{name: smtp, port: 70000}]\n", "listeners[0].port: '70000' is out of range");
        assertError("listeners: [{name: smtp, port: 1, host: 'not a host'}]\n",
            "listeners[0].host: 'not a host' is neither");
        assertError("listeners: [{name: a, port: 1}, {name: a, port: 2}]\n",
            "listeners[1].name: 'a' is already the name of listeners[0]");
        assertError("listeners: [{name: a, port: 1}, {name: b, port: 1}]\n",
            "listeners[1].port: 0.0.0.0:1 is already the address of listeners[0] (a)");
        assertError("listeners: [{name: a, host: 127.0.0.1, port: 1}, {name: b, port: 1}]\n",
            "listeners[1].port: 0.0.0.0:1 is already the address of listeners[0] (a)");
        assertError("listeners: [{name: a, port: 1, dns: {timeout: 1s}}]\n",
            "listeners[0].dns: cannot be set per listener");
        assertError("listeners: [{name: a, port: 1, listen: {port: 3}}]\n",
            "listeners[0].listen: cannot be set per listener");
        assertError("listeners: [{name: a, port: 1, colour: red}]\n",
            "listeners[0].colour: unknown key (known keys: name, host, port, tls.mode");
        assertError("listeners: [{name: a, port: 1, backend: {prot: 3}}]\n", "listeners[0].backend.prot: unknown key");
        assertError("listeners: [{name: a, port: 1, backend: 3}]\n", "listeners[0].backend: expected a section");
        assertError("listeners: [{name: a, port: 1, backend: {port: x}}]\n",
            "listeners[0].backend.port: 'x' is not a whole number");
    }

    @Test
    void tlsErrors() {
        assertError("tls: {key: /k.pem}\n", "tls.key: a key without tls.certificate");
        assertError("tls: {mode: terminate}\n", "tls.certificate: missing: tls.mode terminate needs");
        assertError("tls: {mode: terminate, certificate: /c.pem}\n", "tls.key: missing: tls.mode terminate needs");
        assertError("tls: {mode: tls}\n", "tls.mode: 'tls' is not one of: none, passthrough, terminate");
        assertError("tls: {mode: passthrough}\n", "tls.mode: passthrough needs backend.handshake: proxy-v1 or proxy-v2");
        assertError("listeners: [{name: a, port: 1, tls: {mode: passthrough}}]\n",
            "listeners[0].tls.mode: passthrough needs backend.handshake");
        assertError("listeners: [{name: a, port: 1, tls: {key: /k.pem}}]\n",
            "listeners[0].tls.key: a key without tls.certificate");
        // set at the top, wrong only in the listener that inherits it: the key named is where it was set
        assertError("tls: {mode: terminate}\nlisteners: [{name: a, port: 1, tls: {certificate: /c.pem}}]\n",
            "tls.key: missing");
        assertError("backend: {warmConnections: 2}\nlisteners: [{name: a, port: 1, backend: {handshake: proxy-v2}}]\n",
            "backend.warmConnections: 2 needs backend.handshake: xclient");
        // a certificate at the top is fine for listeners that do not terminate
        assertThat(read("tls: {certificate: /c.pem, key: /k.pem}\n").tls().mode()).isEqualTo(TlsMode.NONE);
    }

    @Test
    void theTableDrivesTheEnvironmentNames() {
        assertThat(ConfigKeys.envNames(ConfigKeys.TLS_HANDSHAKE_TIMEOUT))
            .containsExactly("SIDECAR_TLS_HANDSHAKETIMEOUT", "SIDECAR_TLS_HANDSHAKE_TIMEOUT");
        assertThat(read("log: {format: text}\n", Map.of("SIDECAR_TLS_MODE", "passthrough", "SIDECAR_BACKEND_HANDSHAKE", "proxy-v1"))
            .listeners().get(0).tls().mode()).isEqualTo(TlsMode.PASSTHROUGH);
        assertThat(ConfigReader.unknownEnvNames(Map.of("SIDECAR_TLS_MODE", "x", "SIDECAR_LISTENERS", "y")))
            .containsExactly("SIDECAR_LISTENERS");
    }

    private static void assertError(String yaml, String message) {
        assertThatThrownBy(() -> read(yaml)).isInstanceOf(ConfigException.class).hasMessageStartingWith(message);
    }

    @Test
    void jsonListsWorkAsYamlDoes() {
        JsonObject json = new JsonObject().put("listeners", new JsonArray()
            .add(new JsonObject().put("name", "smtp").put("port", 0))
            .add(new JsonObject().put("name", "submission").put("port", 0)));
        assertThat(ConfigReader.read(json, Map.of(), "x").listeners()).hasSize(2);
    }
}
