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
 * The image definition, checked without a Docker engine: what the build stage builds is what the jlink stage
 * trains the AOT cache with and the image runs, on a jlinked runtime on scratch, as a numeric non-root user, on the
 * ports the product listens on by default. {@link DockerEntrypointIT} runs the training, the ENTRYPOINT and CMD
 * themselves; scripts/image/test.sh builds the image and runs it with podman.
 */
class DockerfileTest {
    private static Dockerfile dockerfile;

    @BeforeAll
    static void parse() throws Exception {
        dockerfile = Dockerfile.parse(Manifests.repo().resolve("Dockerfile"));
    }

    @Test
    void baseImagesAreBuildArgumentsWithPublicDefaults() {
        // CI passes local bases made from Debian's packages (scripts/image/bases.sh); docker build . takes these
        assertThat(dockerfile.args()).containsEntry("BUILD_IMAGE", "maven:3-eclipse-temurin-17")
            .containsEntry("JDK_IMAGE", "eclipse-temurin:25-jdk");
        assertThat(dockerfile.stages()).extracting(Dockerfile.Stage::base)
            .containsExactly("${BUILD_IMAGE}", "${JDK_IMAGE}", "scratch");
        // the jar is built with --release 17 and runs on 17 too; the image runs 25 for the AOT cache and
        // compact object headers
        assertThat(dockerfile.stages().get(1).baseDefault()).isEqualTo("eclipse-temurin:25-jdk");
    }

    @Test
    void buildStagePackagesThePomAndTheSources() {
        Dockerfile.Stage build = dockerfile.stage("build");
        List<String> copied = build.all("COPY").stream().map(i -> i.args().split("\\s+")[0]).toList();
        assertThat(copied).contains("pom.xml", "src");
        String run = build.last("RUN").orElseThrow().args();
        assertThat(run).contains("mvn ").contains(" package").contains("-Dmaven.test.skip=true").contains("-B");
    }

    @Test
    void theJarTheImageRunsIsTheArtifactMavenBuilds() throws Exception {
        String workdir = dockerfile.stage("build").last("WORKDIR").orElseThrow().args();
        List<String[]> jar = Dockerfile.copiesFrom(dockerfile.stage("jlink"), "build");
        assertThat(jar).hasSize(1);
        assertThat(jar.get(0)[0]).isEqualTo(workdir + "/target/" + Manifests.finalName() + ".jar");
        String appDir = jar.get(0)[1].substring(0, jar.get(0)[1].lastIndexOf('/') + 1);
        // the image takes the jar's directory (jar and AOT cache) from the stage that trained the cache
        assertThat(Dockerfile.copiesFrom(dockerfile.runtime(), "jlink")).anySatisfy(copy ->
            assertThat(copy).containsExactly(appDir, appDir));
        assertThat(dockerfile.runtime().last("ENTRYPOINT").orElseThrow().execForm())
            .containsSequence("-jar", jar.get(0)[1]);
    }

    @Test
    void theImageIsTheJlinkedRuntimeOnScratchWithNoShell() {
        Dockerfile.Stage jlink = dockerfile.stage("jlink");
        Dockerfile.Instruction build = jlink.all("RUN").stream().filter(i -> i.args().contains("runtime.sh"))
            .findFirst().orElseThrow(() -> new AssertionError("no RUN of scripts/image/runtime.sh"));
        assertThat(Dockerfile.mount(build)).containsEntry("type", "bind")
            .containsEntry("source", "scripts/image/runtime.sh");
        String root = build.execForm().get(build.execForm().size() - 1);
        Dockerfile.Stage image = dockerfile.runtime();
        assertThat(image.base()).isEqualTo("scratch");
        assertThat(Dockerfile.copiesFrom(image, "jlink")).anySatisfy(copy ->
            assertThat(copy).containsExactly(root + "/", "/"));
        // nothing runs in the image's own stage: there is no shell to run it
        assertThat(image.all("RUN")).isEmpty();
        // "java" of the ENTRYPOINT is the jlinked runtime's, at the same place for the training and the image
        assertThat(image.all("ENV")).anyMatch(i -> i.args().equals("PATH=/opt/java/bin"));
        assertThat(jlink.all("ENV")).anyMatch(i -> i.args().startsWith("PATH=" + root + "/opt/java/bin:"));
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
        Map.Entry<Dockerfile.Stage, Dockerfile.Instruction> training = dockerfile.training();
        Dockerfile.Stage stage = training.getKey();
        Dockerfile.Instruction train = training.getValue();
        assertThat(stage.name()).isEqualTo("jlink");
        List<Dockerfile.Instruction> instructions = stage.instructions();
        // the script the benchmarks use, bind-mounted from the context (not left in a layer)
        assertThat(Dockerfile.mount(train)).containsEntry("type", "bind")
            .containsEntry("source", "scripts/aot-train.sh");
        List<String> run = train.execForm();
        assertThat(run.subList(0, 2)).containsExactly("bash", Dockerfile.mount(train).get("target"));
        List<String> entrypoint = dockerfile.runtime().last("ENTRYPOINT").orElseThrow().execForm();
        String cache = entrypoint.stream().filter(a -> a.startsWith("-XX:AOTCache=")).findFirst().orElseThrow()
            .substring("-XX:AOTCache=".length());
        assertThat(run.get(2)).isEqualTo(cache);
        // the cache loads only with the flags it was trained with (compact headers at least): no drift
        assertThat(run.subList(3, run.size()))
            .isEqualTo(entrypoint.stream().filter(a -> !a.startsWith("-XX:AOTCache=")).toList());
        // after the jar is in place, the jlinked runtime first on the PATH and the environment set
        int at = instructions.indexOf(train);
        String jar = Dockerfile.copiesFrom(stage, "build").get(0)[1];
        assertThat(instructions.subList(0, at)).anyMatch(i -> i.keyword().equals("COPY") && i.args().endsWith(" " + jar));
        assertThat(instructions.subList(0, at)).anyMatch(i -> i.args().contains("runtime.sh"));
        assertThat(instructions.subList(0, at)).anyMatch(i -> i.args().startsWith("PATH="));
        assertThat(instructions.subList(0, at)).anyMatch(i -> i.args().equals("MALLOC_ARENA_MAX=2"));
        // the cache ships beside the jar it was trained with, readable by the image's user
        assertThat(cache.substring(0, cache.lastIndexOf('/'))).isEqualTo(jar.substring(0, jar.lastIndexOf('/')));
        assertThat(instructions.subList(at, instructions.size())).anyMatch(i -> i.keyword().equals("RUN")
            && i.args().contains("chmod") && i.args().contains(cache));
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
        assertThat(excluded(patterns, "scripts/image/runtime.sh")).isFalse();
        assertThat(excluded(patterns, "scripts/image/test.sh")).isTrue();
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
