package io.smtpsidecar.deploy;

import io.smtpsidecar.support.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.support.FakeMta;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's command line (ENTRYPOINT + CMD, JVM flags included) run on this machine against the jar that
 * {@code mvn package} built, which is why this is an integration test: failsafe runs it after the package phase.
 * Only the paths change: an installed JDK of the image's major version stands in for the image's jlinked java, the
 * built jar for /app/smtp-sidecar.jar, a temporary file for the mounted configuration, and the AOT cache comes from
 * the jlink stage's own training RUN, run here the same way (its bind-mounted script from the repository).
 * scripts/image/test.sh runs the image itself.
 */
class DockerEntrypointIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static List<String> entrypoint;
    private static List<String> cmd;
    private static Map<String, String> env;
    private static Map<String, String> paths;

    @TempDir
    static Path image;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainLikeTheImageBuild() throws Exception {
        Dockerfile dockerfile = Dockerfile.parse(Manifests.repo().resolve("Dockerfile"));
        Dockerfile.Stage runtime = dockerfile.runtime();
        entrypoint = runtime.last("ENTRYPOINT").orElseThrow().execForm();
        cmd = runtime.last("CMD").orElseThrow().execForm();
        env = new HashMap<>();
        for (Dockerfile.Instruction i : runtime.all("ENV")) {
            String[] kv = i.args().split("=", 2);
            if (!kv[0].equals("PATH")) {
                env.put(kv[0], kv[1]);
            }
        }
        Map.Entry<Dockerfile.Stage, Dockerfile.Instruction> training = dockerfile.training();
        // the image's java is the training stage's JDK, jlinked
        Matcher base = Pattern.compile("eclipse-temurin:(\\d+)-.*").matcher(training.getKey().baseDefault());
        assertThat(base.matches()).as("JDK stage base %s", training.getKey().baseDefault()).isTrue();
        int major = Integer.parseInt(base.group(1));
        Path java = Tools.javaOfMajor(major).orElseThrow(() -> new AssertionError("the image runs JDK " + major
            + " and no JDK " + major + " is installed here (set JAVA_HOME_" + major + ")"));
        Path jar = Manifests.repo().resolve("target").resolve(Manifests.finalName() + ".jar");
        assertThat(jar).as("mvn package has built the jar").exists();
        String imageJar = Dockerfile.copiesFrom(training.getKey(), "build").get(0)[1];
        paths = new HashMap<>(Map.of("java", java.toString(), imageJar, jar.toString()));

        Dockerfile.Instruction train = training.getValue();
        Map<String, String> mount = Dockerfile.mount(train);
        paths.put(mount.get("target"), Manifests.repo().resolve(mount.get("source")).toString());
        String cache = train.execForm().get(2);
        paths.put(cache, image.resolve("smtp-sidecar.aot").toString());
        Path out = image.resolve("train.out");
        Process p = start(mapped(train.execForm()), out);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("training finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(out)).isZero();
        assertThat(image.resolve("smtp-sidecar.aot")).isNotEmptyFile();
    }

    /** The image's paths replaced by this machine's ({@code -XX:AOTCache=PATH} included). */
    private static List<String> mapped(List<String> args) {
        List<String> line = new ArrayList<>();
        for (String arg : args) {
            String key = arg.startsWith("-XX:AOTCache=") ? arg.substring("-XX:AOTCache=".length()) : arg;
            String local = paths.get(key);
            line.add(local == null ? arg : arg.substring(0, arg.length() - key.length()) + local);
        }
        return line;
    }

    /** ENTRYPOINT + CMD + extra arguments, with this machine's paths and {@code config}. */
    private List<String> commandLine(Path config, String... extra) {
        String imageConfig = cmd.get(cmd.indexOf("--config") + 1);
        List<String> line = new ArrayList<>(mapped(entrypoint));
        for (String arg : cmd) {
            line.add(arg.equals(imageConfig) ? config.toString() : arg);
        }
        line.addAll(List.of(extra));
        return line;
    }

    private static Process start(List<String> commandLine, Path output) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(commandLine).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SIDECAR_"));
        pb.environment().putAll(env);
        return pb.start();
    }

    @Test
    void imageCommandLineAcceptsTheShippedConfiguration() throws Exception {
        Path config = dir.resolve("sidecar.yaml");
        Files.writeString(config, (String) Manifests.map(
            Manifests.document(Manifests.repo().resolve("deploy/configmap-sidecar.yaml")), "data").get("sidecar.yaml"));
        Path out = dir.resolve("out");
        Process p = start(commandLine(config, "--check-config"), out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(out)).isZero();
        assertThat(Files.readString(out)).contains("hostname: mx.example.org").contains("198.51.100.10")
            .contains("drainTimeout: 25s")
            // the JVM says nothing when the AOT cache loads; a cache it cannot use gets [aot] warnings or errors
            .doesNotContain("[aot]");
    }

    @Test
    void imageCommandLineServesHealthAndReadinessAndDrainsOnSigterm() throws Exception {
        Vertx vertx = Vertx.vertx();
        Process process = null;
        try {
            int backendPort = FakeMta.start(vertx, FakeMta.Fault.NONE).port();
            int smtpPort = Ports.free();
            int adminPort = Ports.free();
            Path config = dir.resolve("sidecar.yaml");
            Files.writeString(config, """
                listen: {host: 127.0.0.1, port: %d}
                metrics: {host: 127.0.0.1, port: %d}
                backend: {port: %d}
                dns: {reverseLookup: false}
                log: {format: json}
                """.formatted(smtpPort, adminPort, backendPort));
            Path out = dir.resolve("out");
            process = start(commandLine(config), out);

            assertThat(awaitStatus(adminPort, "/healthz", process, out)).isEqualTo("alive");
            assertThat(awaitStatus(adminPort, "/readyz", process, out)).isEqualTo("ready");

            process.destroy(); // SIGTERM, as the kubelet sends it
            assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("exited").isTrue();
            assertThat(process.exitValue()).as(Files.readString(out)).isZero();
            assertThat(Files.readString(out)).contains("\"message\":\"drained; exiting\"");
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
            vertx.close().await();
        }
    }


    @Test
    void theShadedJarKeepsTheNativeLibrariesAndDropsWhatTheSidecarNeverLoads() throws Exception {
        Path jar = Manifests.repo().resolve("target").resolve(Manifests.finalName() + ".jar");
        List<String> entries;
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
            entries = zip.stream().map(java.util.zip.ZipEntry::getName).toList();
        }
        // epoll and io_uring (listen.transport), BoringSSL (tls.provider), for linux-x86_64 only
        assertThat(entries).filteredOn(e -> e.startsWith("META-INF/native/") && e.endsWith(".so"))
            .containsExactlyInAnyOrder("META-INF/native/libnetty_tcnative_linux_x86_64.so",
                "META-INF/native/libnetty_transport_native_epoll_x86_64.so",
                "META-INF/native/libnetty_transport_native_io_uring42_x86_64.so");
        assertThat(entries).contains("io/netty/internal/tcnative/SSL.class", "io/netty/handler/ssl/OpenSsl.class",
            "io/netty/channel/epoll/Epoll.class", "io/netty/channel/uring/IoUring.class",
            // Vert.x's HTTP server (the operations port) sets up its pipeline with these even with h2c off, and
            // every connection tests instanceof QuicChannel
            "io/netty/handler/codec/http2/Http2CodecUtil.class", "io/netty/handler/codec/quic/QuicChannel.class",
            "io/prometheus/metrics/expositionformats/PrometheusProtobufWriter.class");
        // the shade plugin's filters in pom.xml
        assertThat(entries).noneMatch(e -> e.startsWith("io/netty/handler/codec/http3/")
            || e.startsWith("io/netty/handler/codec/spdy/") || e.startsWith("io/netty/handler/codec/rtsp/")
            || e.startsWith("io/vertx/core/http/impl/http3/") || e.startsWith("io/prometheus/metrics/shaded/")
            || e.startsWith("io/prometheus/metrics/expositionformats/internal/")
            || e.startsWith("META-INF/maven/") || e.startsWith("META-INF/native-image/"));
    }

    /** Polls until the path answers 200 and returns the body. */
    private static String awaitStatus(int port, String path, Process process, Path out) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + WAIT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the sidecar exited with " + process.exitValue() + ": "
                    + Files.readString(out));
            }
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return r.body().strip();
                }
                last = r.statusCode() + " " + r.body();
            } catch (ConnectException e) {
                last = "connection refused";
            }
            Thread.sleep(100);
        }
        throw new AssertionError(path + " never answered 200 (last: " + last + "): " + Files.readString(out));
    }
}
