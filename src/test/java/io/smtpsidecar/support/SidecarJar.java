package io.smtpsidecar.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The jar that {@code mvn package} built, run as the operator runs it ({@code java -jar}), for what it prints and
 * its exit status. Integration tests only: failsafe runs after the package phase.
 */
public final class SidecarJar {
    /** Exit status and the two output streams. */
    public record Result(int exit, String out, String err) {
    }

    private SidecarJar() {
    }

    /** Runs the jar with {@code args} in {@code dir} (for its output files); fails if it has not exited in 60 s. */
    public static Result run(Path dir, String... args) throws Exception {
        // build/finalName in pom.xml; Maven runs the tests in the project directory and sets basedir
        Path jar = Path.of(System.getProperty("basedir", "."), "target", "smtp-sidecar.jar");
        assertThat(jar).as("mvn package has built the jar").exists();
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SIDECAR_"));
        Process process = pb.start();
        try {
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the sidecar exited within 60 s").isTrue();
        } finally {
            process.destroyForcibly();
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    }
}
