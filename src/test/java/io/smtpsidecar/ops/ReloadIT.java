package io.smtpsidecar.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.SidecarApp;
import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.ConfigLoader;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real YAML file rewritten under a running sidecar. */
class ReloadIT {
    @TempDir
    Path dir;

    private static String yaml(int backendPort, String requiredHosts, String headerTimeout, int listenPort) {
        return """
            listen: {host: 127.0.0.1, port: %d}
            metrics: {host: 127.0.0.1, port: 0}
            proxy: {requiredHosts: "%s", headerTimeout: %s}
            backend: {port: %d}
            smtp: {hostname: sidecar.test}
            dns: {reverseLookup: false}
            config: {scanPeriod: 100ms}
            """.formatted(listenPort, requiredHosts, headerTimeout, backendPort);
    }

    @Test
    void changesApplyToNewConnectionsAndBadFilesAreRejected() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Vertx vertx = SidecarApp.newVertx(registry);
        try {
            int backendPort = FakeMta.start(vertx, FakeMta.Fault.NONE).port();
            Path file = dir.resolve("sidecar.yaml");
            write(file, yaml(backendPort, "192.0.2.99", "200ms", 0));
            SidecarConfig initial = new ConfigLoader(vertx, file, "h").load().await();
            SidecarApp app = SidecarApp.start(vertx, registry, initial, r -> { }).await();
            new ConfigLoader(vertx, file, "h", Duration.ofMillis(100)).watch(app::reload, app::reloadRejected);

            // 127.0.0.1 is not required yet: forwarded; this session stays open across the reload
            SmtpClient early = new SmtpClient("127.0.0.1", app.smtpPort());
            assertThat(early.reply()).startsWith("220 " + FakeMta.HOSTNAME);

            write(file, yaml(backendPort, "127.0.0.1", "200ms", 0));
            await(() -> app.config().proxy().requiredHosts().matches(IpAddresses.parse("127.0.0.1")));
            try (SmtpClient c = new SmtpClient("127.0.0.1", app.smtpPort())) {
                assertThat(c.reply()).isEqualTo("220 sidecar.test ESMTP"); // refusal mode now
            }
            assertThat(early.command("QUIT")).startsWith("221 2.0.0"); // the old session kept its backend
            early.close();

            write(file, yaml(backendPort, "192.0.2.99", "3x", 0));
            await(() -> registry.get("smtp.sidecar.config.reloads").tag("result", "invalid").counter().count() == 1);
            assertThat(app.config().proxy().requiredHosts().matches(IpAddresses.parse("127.0.0.1"))).isTrue();

            write(file, "proxy: {requiredHosts: [unclosed\n");
            await(() -> registry.get("smtp.sidecar.config.reloads").tag("result", "invalid").counter().count() == 2);
            assertThat(app.config().proxy().headerTimeout()).isEqualTo(Duration.ofMillis(200));

            int port = app.smtpPort();
            write(file, yaml(backendPort, "192.0.2.99", "200ms", port + 1));
            await(() -> !app.config().proxy().requiredHosts().matches(IpAddresses.parse("127.0.0.1")));
            assertThat(app.config().listen().port()).isZero(); // listen.* needs a restart: kept
            assertThat(registry.get("smtp.sidecar.config.reloads").tag("result", "ok").counter().count()).isEqualTo(2);

            write(file, "");
            await(() -> registry.get("smtp.sidecar.config.reloads").tag("result", "invalid").counter().count() == 3);
            assertThat(app.config().smtp().hostname()).isEqualTo("sidecar.test");

            // were the later section to win, requiredHosts would be gone
            write(file, yaml(backendPort, "192.0.2.99", "200ms", 0) + "proxy: {headerTimeout: 1s}\n");
            await(() -> registry.get("smtp.sidecar.config.reloads").tag("result", "invalid").counter().count() == 4);
            assertThat(app.config().proxy().requiredHosts().matches(IpAddresses.parse("192.0.2.99"))).isTrue();
            assertThat(app.config().proxy().headerTimeout()).isEqualTo(Duration.ofMillis(200));
        } finally {
            vertx.close().await();
        }
    }

    /** Replaces the file in one step, as a Kubernetes ConfigMap update does. */
    private void write(Path file, String text) throws Exception {
        Path tmp = Files.createTempFile(dir, "next", ".yaml");
        Files.writeString(tmp, text);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within " + SidecarHarness.WAIT);
            }
            Thread.sleep(20);
        }
    }
}
