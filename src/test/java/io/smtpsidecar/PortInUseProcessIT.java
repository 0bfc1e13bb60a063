package io.smtpsidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.config.ConfigKeys;
import io.smtpsidecar.support.Ports;
import io.smtpsidecar.support.SidecarJar;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The built jar started on a port another process listens on: one line naming address and key, exit status 1. */
class PortInUseProcessIT {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"listen.port", "metrics.port"})
    void aTakenPortEndsTheStartWithOneLine(String key) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            boolean smtp = key.equals(ConfigKeys.LISTEN_PORT.path());
            Path config = dir.resolve("sidecar.yaml");
            Files.writeString(config, """
                listen: {host: 127.0.0.1, port: %d}
                metrics: {host: 127.0.0.1, port: %d}
                dns: {reverseLookup: false}
                """.formatted(smtp ? port : Ports.free(), smtp ? Ports.free() : port));

            SidecarJar.Result r = SidecarJar.run(dir, "--config", config.toString());
            assertThat(r.exit()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("smtp-sidecar: cannot listen on 127.0.0.1:" + port + " (" + key
                + "): address already in use" + System.lineSeparator());
            assertThat(r.out()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
