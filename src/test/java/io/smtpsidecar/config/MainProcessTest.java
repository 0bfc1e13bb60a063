package io.smtpsidecar.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real command line in a child JVM: exit status and what an operator reads on a bad configuration. */
class MainProcessTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private Result run(String yaml, String... env) throws Exception {
        Path file = dir.resolve("sidecar.yaml");
        Files.writeString(file, yaml);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            "io.smtpsidecar.Main", "--config", file.toString(), "--check-config");
        pb.environment().keySet().removeIf(k -> k.startsWith("SIDECAR_"));
        for (int i = 0; i < env.length; i += 2) {
            pb.environment().put(env[i], env[i + 1]);
        }
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("process finished").isTrue();
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void badValueExitsWithStatus2NamingTheKeyWithoutAStackTrace() throws Exception {
        Result r = run("proxy:\n  headerTimeout: 3x\n");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("configuration error: proxy.headerTimeout: '3x' is not a duration");
        assertThat(r.err).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void yamlSyntaxErrorExitsWithStatus2() throws Exception {
        Result r = run("proxy:\n  requiredHosts: [10.0.0.1\n");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("configuration error: ").doesNotContain("\tat ");
    }

    @Test
    void checkConfigPrintsTheEffectiveValuesWithEnvironmentOverrides() throws Exception {
        Result r = run("backend:\n  port: 25\nproxy:\n  requiredHosts: \"10.0.0.0/8 : 192.0.2.7\"\n",
            "SIDECAR_BACKEND_PORT", "2526");
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out).contains("port: 2526").contains("10.0.0.0/8 : 192.0.2.7")
            .contains("headerTimeout: 3s");
    }
}
