package io.smtpsidecar.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.support.SidecarJar;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** The built jar on configuration files that hold no usable settings: one line, exit status 2, no stack trace. */
class ConfigFileProcessIT {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|the file is empty",
        "'# proxy:\n#   requiredHosts: 10.0.0.1\n'|the file holds no settings (only comments)",
        "'- proxy\n'|the top level must be a mapping of sections, found a list",
        "'proxy: {requiredHosts: \"10.0.0.1\"}\nproxy: {headerTimeout: 3s}\n'"
            + "|duplicate key proxy on line 2 (first on line 1)",
        "'proxy:\n  requiredHosts: \"10.0.0.1\"\n  requiredHosts: \"10.0.0.2\"\n'"
            + "|duplicate key proxy.requiredHosts on line 3 (first on line 2)",
    })
    void refusedAtStartWithOneLine(String yaml, String problem) throws Exception {
        Path config = dir.resolve("sidecar.yaml");
        Files.writeString(config, yaml);
        SidecarJar.Result r = SidecarJar.run(dir, "--config", config.toString(), "--check-config");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("smtp-sidecar: configuration error: " + config + ": " + problem
            + System.lineSeparator());
        assertThat(r.out()).isEmpty();
    }
}
