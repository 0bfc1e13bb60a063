package io.smtpsidecar.deploy;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * External programs (kubectl, postconf, haproxy) for the extra checks that run only where they are installed:
 * the build must pass on a CI machine without them, so callers skip through an assumption. Also the JDK of a
 * given major version that the image's command line needs.
 */
final class Tools {
    private Tools() {
    }

    record Result(int exit, String output) {
    }

    /** The program on PATH, or in sbin (where postconf and haproxy live), which a non-root PATH may leave out. */
    static Optional<Path> locate(String program) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, program)).filter(Files::isExecutable)
            .findFirst();
    }

    /** Runs a located program to its end (at most a minute) with stdout and stderr together. */
    static Result run(Path workDir, String program, String... args) throws Exception {
        List<String> line = new ArrayList<>();
        line.add(locate(program).orElseThrow().toString());
        line.addAll(List.of(args));
        Process p = new ProcessBuilder(line).directory(workDir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", line) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /**
     * The java command of an installed JDK of this major version, found as bench/lib/image-jvm.sh finds it:
     * {@code JAVA_HOME_<major>}, else the {@code JAVA_VERSION} in the {@code release} file of the JDKs under
     * /usr/lib/jvm and /opt/java, else the JDK running the tests if its version matches.
     */
    static Optional<Path> javaOfMajor(int major) throws Exception {
        String home = System.getenv("JAVA_HOME_" + major);
        if (home != null && !home.isBlank()) {
            return Optional.of(Path.of(home, "bin", "java")).filter(Files::isExecutable);
        }
        for (String parent : List.of("/usr/lib/jvm", "/opt/java")) {
            if (!Files.isDirectory(Path.of(parent))) {
                continue;
            }
            try (var dirs = Files.list(Path.of(parent))) {
                for (Path dir : dirs.sorted().toList()) {
                    Path release = dir.resolve("release");
                    Path java = dir.resolve("bin").resolve("java");
                    if (Files.isReadable(release) && Files.isExecutable(java) && Files.readAllLines(release).stream()
                            .anyMatch(l -> l.startsWith("JAVA_VERSION=\"" + major + ".")
                                || l.equals("JAVA_VERSION=\"" + major + "\""))) {
                        return Optional.of(java);
                    }
                }
            }
        }
        return Runtime.version().feature() == major
            ? Optional.of(Path.of(System.getProperty("java.home"), "bin", "java")) : Optional.empty();
    }
}
