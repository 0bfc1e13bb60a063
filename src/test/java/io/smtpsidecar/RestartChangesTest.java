package io.smtpsidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.config.YamlConfigFile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reload's list of changes that need a restart comes from the key table and the listeners. */
class RestartChangesTest {
    private static final String BASE = """
        metrics: {port: 9100}
        listeners:
          - {name: smtp, port: 2525}
          - {name: submission, port: 2587, backend: {port: 587}}
        """;

    private static SidecarConfig read(String yaml) {
        return ConfigReader.read(YamlConfigFile.parse(yaml), Map.of(), "mx.test");
    }

    @Test
    void liveKeysAreNoRestart() {
        assertThat(SidecarApp.restartChanges(read(BASE), read(BASE.replace("port: 587", "port: 588")
            + "proxy: {headerTimeout: 5s}\n"))).isEmpty();
    }

    @Test
    void restartKeysListenersAndTheirAddressesAreNamed() {
        assertThat(SidecarApp.restartChanges(read(BASE), read(BASE.replace("9100", "9101")
            .replace("port: 2587", "port: 2588") + "log: {format: json}\n")))
            .containsExactly("metrics.port", "log.format", "listeners.submission address");
        assertThat(SidecarApp.restartChanges(read(BASE), read(BASE.replace("name: submission", "name: sub"))))
            .containsExactly("listeners [smtp, submission] -> [smtp, sub]");
        assertThat(SidecarApp.restartChanges(read(BASE), read(BASE.replace("{name: smtp, port: 2525}",
            "{name: smtp, port: 2525, tls: {mode: passthrough}, backend: {handshake: proxy-v2}}"))))
            .containsExactly("listeners.smtp tls");
        assertThat(SidecarApp.restartChanges(read(BASE), read(BASE.replace("{name: smtp, port: 2525}",
            "{name: smtp, port: 2525, tls: {provider: jdk}}")))).containsExactly("listeners.smtp tls");
        // the top-level tls.mode is a restart key of its own, and reaches the listeners that inherit it
        assertThat(SidecarApp.restartChanges(read("listen: {port: 2525}\n"),
            read("listen: {port: 2525}\ntls: {mode: passthrough}\nbackend: {handshake: proxy-v1}\n")))
            .containsExactly("tls.mode", "listeners.smtp tls");
    }
}
