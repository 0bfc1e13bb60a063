package io.smtpsidecar.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.support.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, run as written on the built jar ({@code java -jar target/smtp-sidecar.jar --demo}),
 * with a young generation so small that the JVM collects garbage many times during the demo's session: the
 * transcript, the backend's XCLIENT line and the session line must all appear. Only the ports come from the
 * environment, so the test does not depend on 2525 being free.
 */
class DemoProcessIT {
    private static final List<String> SMALL_HEAP = List.of("-XX:+UseSerialGC", "-Xmx32m", "-Xmn2m", "-Xlog:gc");
    private static final long WAIT_SECONDS = 60;

    private final List<String> output = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private Process process;

    @AfterEach
    void stop() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void demoShowsTheWholeSessionThroughGarbageCollections() throws Exception {
        start(Map.of());
        awaitAll(List.of(
            l -> l.contains("demo client: C: PROXY TCP4 192.0.2.1 198.51.100.7 50000 25"),
            l -> l.contains("demo backend: XCLIENT from 127.0.0.1 sets {ADDR=192.0.2.1, PORT=50000,"),
            l -> l.contains("demo client: S: 220 "),
            l -> l.contains("demo client: C: EHLO demo-client.example"),
            l -> l.contains("demo client: S: 250 2.0.0 Ok: queued"),
            l -> l.contains("demo client: S: 221 "),
            l -> l.contains("forwarded H=[192.0.2.1]:50000 I=[127.0.0.1]:") && l.contains(" PRX=127.0.0.1 P=proxy-v1 "),
            l -> l.contains("demo: the sidecar keeps running")));
        assertThat(output).as("the JVM collected garbage during the demo")
            .anyMatch(l -> l.contains("[gc") && l.contains("Pause Young"));
        assertThat(output).noneMatch(l -> l.contains("demo failed") || l.contains("Exception"));
        assertThat(process.isAlive()).isTrue();
    }

    /** When the session cannot complete (here: loopback need not send a header, so it is an early talker). */
    @Test
    void demoThatFailsSaysWhyInOneLineAndExitsNonZero() throws Exception {
        start(Map.of("SIDECAR_PROXY_REQUIRED_HOSTS", "192.0.2.99"));
        assertThat(process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).as("the demo exits").isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        awaitAll(List.of(l -> l.equals("smtp-sidecar: demo failed: expected 220 to the greeting, got: "
            + "554 SMTP synchronization error")));
        assertThat(output).noneMatch(l -> l.contains("keeps running") || l.startsWith("\tat "));
    }

    private void start(Map<String, String> env) throws IOException {
        // the README's path, not the pom's finalName: a renamed jar must fail here as it would for a reader
        Path jar = Path.of(System.getProperty("basedir", "."), "target", "smtp-sidecar.jar");
        assertThat(jar).as("mvn package has built the jar").exists();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java));
        command.addAll(SMALL_HEAP);
        command.addAll(List.of("-jar", jar.toString(), "--demo"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("SIDECAR_"));
        pb.environment().put("SIDECAR_LISTEN_PORT", String.valueOf(Ports.free()));
        pb.environment().put("SIDECAR_METRICS_PORT", String.valueOf(Ports.free()));
        pb.environment().putAll(env);
        process = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                     new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.add(line);
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("reader failed: " + e);
            }
        }, "demo-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits until every predicate has matched a line of the output (in any order: the threads' lines interleave). */
    private void awaitAll(List<Predicate<String>> wanted) throws InterruptedException {
        List<Predicate<String>> missing = new java.util.ArrayList<>(wanted);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!missing.isEmpty() && System.nanoTime() < deadline) {
            String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line != null) {
                missing.removeIf(p -> p.test(line));
            }
        }
        if (!missing.isEmpty()) {
            throw new AssertionError(missing.size() + " expected line(s) missing after " + WAIT_SECONDS
                + "s; output:\n" + String.join("\n", output));
        }
    }
}
