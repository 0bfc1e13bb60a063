package io.smtpsidecar.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.Ports;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to a real sidecar process with 100 messages in DATA; JSON log lines on its stdout. */
class DrainProcessIT {
    private static final int SESSIONS = 100;

    @TempDir
    Path dir;


    @Test
    void everyMessageStartedBeforeTheSignalIsAccepted() throws Exception {
        Vertx vertx = Vertx.vertx();
        Process process = null;
        try {
            FakeMta backend = FakeMta.start(vertx, FakeMta.Fault.NONE);
            int backendPort = backend.port();
            int smtpPort = Ports.free();
            int adminPort = Ports.free();
            Path config = dir.resolve("sidecar.yaml");
            Files.writeString(config, """
                listen: {host: 127.0.0.1, port: %d}
                metrics: {host: 127.0.0.1, port: %d}
                backend: {port: %d}
                smtp: {hostname: sidecar.test}
                dns: {reverseLookup: false}
                shutdown: {drainTimeout: 20s}
                log: {format: json}
                """.formatted(smtpPort, adminPort, backendPort));
            Path out = dir.resolve("stdout");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "io.smtpsidecar.Main", "--config", config.toString()).redirectErrorStream(true)
                .redirectOutput(out.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("SIDECAR_"));
            process = pb.start();
            awaitLine(out, "smtp-sidecar listening on");

            List<SmtpClient> clients = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                SmtpClient c = new SmtpClient("127.0.0.2", smtpPort);
                assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
                c.command("EHLO drain.example");
                c.command("MAIL FROM:<a@example.test>");
                c.command("RCPT TO:<b@example.test>");
                assertThat(c.command("DATA")).startsWith("354");
                c.send("Subject: in flight " + i + "\r\n\r\nfirst half\r\n");
                clients.add(c);
            }

            process.destroy(); // SIGTERM
            awaitStatus(adminPort, 503);
            awaitRefused(smtpPort);

            for (SmtpClient c : clients) {
                c.send("second half\r\n");
                assertThat(c.command(".")).startsWith("250 2.0.0 Ok: queued");
                assertThat(c.command("QUIT")).startsWith("221");
                c.close();
            }
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("process exited").isTrue();
            assertThat(process.exitValue()).isZero();

            // the backend also sees the sidecar's readiness probe (greeting, QUIT): count messages, not sessions
            java.util.Set<String> digests = new java.util.HashSet<>();
            int messages = 0;
            FakeMta.Transcript t;
            while (messages < SESSIONS && (t = backend.pollTranscript(Duration.ofSeconds(30))) != null) {
                messages += t.messages().size();
                t.messages().forEach(m -> digests.add(m.sha256()));
            }
            assertThat(messages).isEqualTo(SESSIONS);
            assertThat(digests).as("every message is distinct and accepted once").hasSize(SESSIONS);
            int more = 0;
            while ((t = backend.pollTranscript(Duration.ZERO)) != null) {
                more += t.messages().size();
            }
            assertThat(more).isZero();

            // the listener probes from 127.0.0.3 may be accepted (and forwarded) before the listener closes
            long forwarded = Files.readAllLines(out).stream()
                .filter(l -> l.startsWith("{"))
                .map(JsonObject::new)
                .filter(j -> "forwarded".equals(j.getString("outcome")) && "127.0.0.2".equals(j.getString("ip")))
                .count();
            assertThat(forwarded).as(Files.readString(out)).isEqualTo(SESSIONS);
            assertThat(Files.readString(out)).contains("\"message\":\"draining: no new connections");
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
            vertx.close().await();
        }
    }

    private static void awaitLine(Path file, String text) throws Exception {
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        while (!Files.exists(file) || !Files.readString(file).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in the output: "
                    + (Files.exists(file) ? Files.readString(file) : ""));
            }
            Thread.sleep(50);
        }
    }

    /** Readiness goes 503 at the signal, while the admin port still answers. */
    private static void awaitStatus(int port, int status) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == status) {
                assertThat(r.body()).startsWith("draining");
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("readyz stayed " + r.statusCode());
            }
            Thread.sleep(20);
        }
    }

    /** The listener stops accepting once the drain starts. */
    private static void awaitRefused(int port) throws Exception {
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try (SmtpClient probe = new SmtpClient("127.0.0.3", port)) {
                Thread.sleep(20);
            } catch (ConnectException e) {
                return;
            }
        }
        throw new AssertionError("the listener still accepts during the drain");
    }
}
