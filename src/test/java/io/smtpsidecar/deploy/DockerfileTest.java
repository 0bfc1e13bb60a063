package io.smtpsidecar.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.SidecarConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image definition, checked without a Docker engine: what the build stage builds is what the runtime stage
 * copies and runs, as a numeric non-root user, on the ports the product listens on by default.
 * {@link DockerEntrypointIT} runs the ENTRYPOINT and CMD themselves.
 */
class DockerfileTest {
    private static Dockerfile dockerfile;

    @BeforeAll
    static void parse() throws Exception {
        dockerfile = Dockerfile.parse(Manifests.repo().resolve("Dockerfile"));
    }

    @Test
    void buildsWithMavenOnJdk17AndRunsOnAJre25() {
        assertThat(dockerfile.stages()).hasSize(2);
        Dockerfile.Stage build = dockerfile.stages().get(0);
        assertThat(build.base()).startsWith("maven:3-eclipse-temurin-17");
        assertThat(build.name()).isNotNull();
        // the jar is built with --release 17 and runs on 17 too; the image runs 25 for the AOT cache and
        // compact object headers
        assertThat(dockerfile.runtime().base()).isEqualTo("eclipse-temurin:25-jre");
    }

    @Test
    void buildStagePackagesThePomAndTheSources() {
        Dockerfile.Stage build = dockerfile.stages().get(0);
        List<String> copied = build.all("COPY").stream().map(i -> i.args().split("\\s+")[0]).toList();
        assertThat(copied).contains("pom.xml", "src");
        String run = build.last("RUN").orElseThrow().args();
        assertThat(run).contains("mvn ").contains(" package").contains("-DskipTests").contains("-B");
    }

    @Test
    void theJarTheRuntimeCopiesIsTheArtifactMavenBuilds() throws Exception {
        Dockerfile.Stage build = dockerfile.stages().get(0);
        String workdir = build.last("WORKDIR").orElseThrow().args();
        String[] copy = dockerfile.copyFromBuildStage();
        assertThat(copy[0]).isEqualTo(workdir + "/target/" + Manifests.finalName() + ".jar");
        assertThat(dockerfile.runtime().last("ENTRYPOINT").orElseThrow().execForm())
            .containsSequence("-jar", copy[1]);
    }

    @Test
    void runsAsANumericNonRootUser() {
        String user = dockerfile.runtime().last("USER").orElseThrow().args();
        // Kubernetes can only check runAsNonRoot against a number
        assertThat(user).matches("\\d+(:\\d+)?");
        assertThat(Integer.parseInt(user.split(":")[0])).isPositive();
    }

    @Test
    void exposesTheDefaultSmtpAndMetricsPorts() {
        SidecarConfig defaults = ConfigReader.read(new JsonObject(), Map.of(), "test-host");
        Set<Integer> exposed = dockerfile.runtime().all("EXPOSE").stream()
            .flatMap(i -> Arrays.stream(i.args().split("\\s+")))
            .map(Integer::valueOf)
            .collect(Collectors.toSet());
        assertThat(exposed).containsExactlyInAnyOrder(defaults.listen().port(), defaults.metrics().port());
    }

    @Test
    void entrypointIsExecFormWithContainerAwareJvmFlags() {
        List<String> entrypoint = dockerfile.runtime().last("ENTRYPOINT").orElseThrow().execForm();
        assertThat(entrypoint.get(0)).isEqualTo("java");
        assertThat(entrypoint).contains("-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp",
            "-Dvertx.disableFileCPResolving=true");
        assertThat(entrypoint).anyMatch(a -> a.matches("-XX:MaxRAMPercentage=\\d+"));
        // the footprint flags docs/BENCHMARKS.md measured (RSS and threads at rest)
        assertThat(entrypoint).contains("-XX:+UseSerialGC", "-XX:TrimNativeHeapInterval=5000",
            "-XX:+UseCompactObjectHeaders", "-XX:-TieredCompilation", "-XX:CICompilerCount=1",
            "--finalization=disabled", "-XX:AOTCache=/app/smtp-sidecar.aot", "-XX:-ShrinkHeapInSteps",
            "--enable-native-access=ALL-UNNAMED");
        assertThat(dockerfile.runtime().all("ENV")).anyMatch(i -> i.args().equals("MALLOC_ARENA_MAX=2"));
        assertThat(dockerfile.runtime().last("CMD").orElseThrow().execForm())
            .containsExactly("--config", "/etc/smtp-sidecar/sidecar.yaml");
    }

    @Test
    void theAotCacheIsTrainedWithTheEntrypointsOwnCommandLine() {
        Dockerfile.Stage runtime = dockerfile.runtime();
        List<Dockerfile.Instruction> instructions = runtime.instructions();
        Dockerfile.Instruction train = runtime.all("RUN").stream().filter(i -> i.args().contains("aot-train.sh"))
            .findFirst().orElseThrow(() -> new AssertionError("no training RUN in the runtime stage"));
        // the script the benchmarks use, bind-mounted from the context (not left in a layer)
        assertThat(Dockerfile.mount(train)).containsEntry("type", "bind")
            .containsEntry("source", "scripts/aot-train.sh");
        List<String> run = train.execForm();
        assertThat(run.subList(0, 2)).containsExactly("bash", Dockerfile.mount(train).get("target"));
        List<String> entrypoint = runtime.last("ENTRYPOINT").orElseThrow().execForm();
        String cache = entrypoint.stream().filter(a -> a.startsWith("-XX:AOTCache=")).findFirst().orElseThrow()
            .substring("-XX:AOTCache=".length());
        assertThat(run.get(2)).isEqualTo(cache);
        // the cache loads only with the flags it was trained with (compact headers at least): no drift
        assertThat(run.subList(3, run.size()))
            .isEqualTo(entrypoint.stream().filter(a -> !a.startsWith("-XX:AOTCache=")).toList());
        // after the jar is in place and the environment set, before the switch to the non-root user
        int at = instructions.indexOf(train);
        assertThat(instructions.subList(0, at)).anyMatch(i -> i.keyword().equals("COPY")
            && i.args().endsWith(" " + dockerfile.copyFromBuildStage()[1]));
        assertThat(instructions.subList(0, at)).anyMatch(i -> i.args().equals("MALLOC_ARENA_MAX=2"));
        assertThat(instructions.subList(at, instructions.size())).anyMatch(i -> i.keyword().equals("USER"));
    }

    @Test
    void setsNoSidecarEnvironmentVariables() {
        // every SIDECAR_* variable is read as a configuration override (and an unknown one is warned about)
        for (Dockerfile.Stage stage : dockerfile.stages()) {
            assertThat(stage.all("ENV")).noneMatch(i -> i.args().contains("SIDECAR_"));
        }
    }

    @Test
    void dockerignoreSendsTheBuildInputsAndNothingElse() throws Exception {
        List<String> patterns = Files.readAllLines(Manifests.repo().resolve(".dockerignore")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
        assertThat(excluded(patterns, "pom.xml")).isFalse();
        assertThat(excluded(patterns, "src/main/java/io/smtpsidecar/Main.java")).isFalse();
        assertThat(excluded(patterns, "target/smtp-sidecar.jar")).isTrue();
        assertThat(excluded(patterns, ".git/HEAD")).isTrue();
        assertThat(excluded(patterns, "scripts/aot-train.sh")).isFalse();
        assertThat(excluded(patterns, "scripts/fuzz.sh")).isTrue();
        assertThat(excluded(patterns, "e2e/run.sh")).isTrue();
        assertThat(excluded(patterns, "helm/smtp-sidecar/values.yaml")).isTrue();
    }

    /**
     * Docker's rule: the last matching pattern wins, "!" re-includes, and a pattern that matches a directory
     * matches everything below it.
     */
    private static boolean excluded(List<String> patterns, String path) {
        List<String> prefixes = new ArrayList<>();
        String[] parts = path.split("/");
        for (int i = 1; i <= parts.length; i++) {
            prefixes.add(String.join("/", Arrays.copyOf(parts, i)));
        }
        boolean excluded = false;
        for (String pattern : patterns) {
            boolean negated = pattern.startsWith("!");
            String glob = (negated ? pattern.substring(1) : pattern).replaceAll("/+$", "");
            var matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            if (prefixes.stream().anyMatch(p -> matcher.matches(Path.of(p)))) {
                excluded = !negated;
            }
        }
        return excluded;
    }
}
