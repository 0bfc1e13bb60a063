package io.smtpsidecar.deploy;

import static io.smtpsidecar.deploy.Manifests.get;
import static io.smtpsidecar.deploy.Manifests.maps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Every object that ships, as Kubernetes would receive it, loaded into the Kubernetes API's own types by
 * client-java, which refuses unknown fields and wrong types (a typo such as {@code readinesProbe}, a port given
 * as a word): the kustomize output of deploy/ and of each deploy/examples/ directory, and the chart with its
 * defaults, each ci/*-values.yaml and every optional object on. The Prometheus Operator's objects, which
 * client-java has no types for, are checked for their required fields and the keys this project uses.
 */
class K8sApiTypesTest {
    private static final Path DEPLOY = Manifests.repo().resolve("deploy");
    private static final String MONITORING = "monitoring.coreos.com/v1";

    @TempDir
    Path tmp;

    static Stream<Path> chartValues() throws Exception {
        return HelmChartTest.ciValues();
    }

    static Stream<Path> kustomizations() throws Exception {
        List<Path> dirs = new ArrayList<>(List.of(DEPLOY));
        try (Stream<Path> examples = Files.list(DEPLOY.resolve("examples"))) {
            examples.filter(d -> Files.exists(d.resolve("kustomization.yaml"))).sorted().forEach(dirs::add);
        }
        assertThat(dirs).hasSizeGreaterThan(1);
        return dirs.stream();
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void kustomizeOutputLoadsIntoTheApiTypes(Path dir) throws Exception {
        assumeTrue(Tools.locate("kubectl").isPresent(), "kubectl is not installed");
        Tools.Result r = Tools.run(Manifests.repo(), "kubectl", "kustomize", Manifests.repo().relativize(dir).toString());
        assertThat(r.exit()).as(r.output()).isZero();
        List<Map<String, Object>> docs = Manifests.documents(r.output());
        assertThat(docs).isNotEmpty();
        assertStrictlyValid(docs, Manifests.repo().relativize(dir).toString());
    }

    @Test
    void chartDefaultsAndEveryOptionalObjectLoadIntoTheApiTypes() throws Exception {
        HelmChart chart = new HelmChart(tmp);
        assertStrictlyValid(chart.render(), "chart defaults");
        List<Map<String, Object>> all = chart.render(K8sMonitoringTest.ALL_ON, """
            podDisruptionBudget: {minAvailable: 1}
            networkPolicy:
              enabled: true
              smtpFrom: [{ipBlock: {cidr: 198.51.100.10/32}}]
            mta: {nativeSidecar: true}
            """);
        assertThat(all).extracting(d -> d.get("kind")).contains("ServiceMonitor", "PodMonitor", "PrometheusRule",
            "NetworkPolicy", "PodDisruptionBudget");
        assertStrictlyValid(all, "chart with every object on");
    }

    @ParameterizedTest
    @MethodSource("chartValues")
    void chartWithEachCiValuesFileLoadsIntoTheApiTypes(Path values) throws Exception {
        assertStrictlyValid(new HelmChart(tmp).render(values), values.getFileName().toString());
    }

    @Test
    void theLoaderRefusesUnknownFieldsAndWrongTypes() throws Exception {
        Map<String, Object> deployment = Manifests.document(DEPLOY.resolve("deployment.yaml"));
        assertStrictlyValid(List.of(deployment), "deploy/deployment.yaml");
        String yaml = dump(deployment);
        assertThatThrownBy(() -> assertStrictlyValid(Manifests.documents(
            yaml.replace("readinessProbe:", "readinesProbe:")), "typo"))
            .hasMessageContaining("readinesProbe");
        assertThatThrownBy(() -> assertStrictlyValid(Manifests.documents(
            yaml.replace("containerPort: 2525", "containerPort: smtp")), "word for a number"))
            .hasMessageContaining("smtp");
        assertThatThrownBy(() -> assertStrictlyValid(Manifests.documents(
            yaml.replace("kind: Deployment", "kind: Deploymnet")), "unknown kind"))
            .hasMessageContaining("Deploymnet");
        assertThatThrownBy(() -> assertStrictlyValid(List.of(Manifests.load("""
            apiVersion: monitoring.coreos.com/v1
            kind: PodMonitor
            metadata: {name: x}
            spec:
              selector: {matchLabels: {a: b}}
              podMetricsEndpoints: [{port: metrics, intervall: 30s}]
            """)), "PodMonitor")).hasMessageContaining("intervall");
    }

    /** Loads every document into its API type; fails with the loader's reason (shortened) for the first that does not. */
    void assertStrictlyValid(List<Map<String, Object>> docs, String source) {
        for (Map<String, Object> doc : docs) {
            String what = source + ": " + doc.get("kind") + "/" + get(doc, "metadata.name");
            if (MONITORING.equals(doc.get("apiVersion"))) {
                checkMonitoringObject(doc, what);
                continue;
            }
            Object loaded;
            try {
                loaded = io.kubernetes.client.util.Yaml.load(dump(doc));
            } catch (Exception e) {
                throw new AssertionError(what + " does not load into the API types: " + reason(e), e);
            }
            assertThat(loaded).as(what).isInstanceOf(KubernetesObject.class)
                .isNotInstanceOf(DynamicKubernetesObject.class);
            assertThat(((KubernetesObject) loaded).getKind()).as(what).isEqualTo(doc.get("kind"));
        }
    }

    /** The fields the Prometheus Operator requires, and only keys its CRDs know at the levels this project sets. */
    private static void checkMonitoringObject(Map<String, Object> doc, String what) {
        assertThat(doc.keySet()).as(what).containsExactlyInAnyOrder("apiVersion", "kind", "metadata", "spec");
        assertThat((String) get(doc, "metadata.name")).as(what).matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
        Map<String, Object> spec = Manifests.map(doc, "spec");
        Set<String> endpointKeys = Set.of("port", "path", "scheme", "interval", "scrapeTimeout", "honorLabels",
            "honorTimestamps", "metricRelabelings", "relabelings", "params", "tlsConfig", "bearerTokenSecret",
            "basicAuth", "authorization", "targetPort", "portNumber", "followRedirects", "enableHttp2",
            "filterRunning", "proxyUrl");
        switch ((String) doc.get("kind")) {
            case "ServiceMonitor", "PodMonitor" -> {
                String endpoints = "ServiceMonitor".equals(doc.get("kind")) ? "endpoints" : "podMetricsEndpoints";
                assertThat(spec.keySet()).as(what).contains("selector", endpoints)
                    .isSubsetOf("selector", endpoints, "namespaceSelector", "jobLabel", "podTargetLabels",
                        "targetLabels", "sampleLimit", "scrapeProtocols");
                assertThat(Manifests.map(spec, "selector").keySet()).as(what)
                    .isNotEmpty().isSubsetOf("matchLabels", "matchExpressions");
                for (Map<String, Object> endpoint : maps(spec, endpoints)) {
                    assertThat(endpoint.keySet()).as(what).contains("port").isSubsetOf(endpointKeys);
                    for (String duration : List.of("interval", "scrapeTimeout")) {
                        if (endpoint.containsKey(duration)) {
                            assertThat(endpoint.get(duration).toString()).as(what + " " + duration)
                                .matches("([0-9]+(ms|s|m|h|d|w|y))+");
                        }
                    }
                    for (String relabel : List.of("relabelings", "metricRelabelings")) {
                        if (endpoint.containsKey(relabel)) {
                            for (Map<String, Object> r : maps(endpoint, relabel)) {
                                assertThat(r.keySet()).as(what + " " + relabel).isSubsetOf("sourceLabels",
                                    "separator", "targetLabel", "regex", "modulus", "replacement", "action");
                            }
                        }
                    }
                }
            }
            case "PrometheusRule" -> {
                assertThat(spec.keySet()).as(what).containsExactly("groups");
                for (Map<String, Object> group : maps(spec, "groups")) {
                    assertThat(group.keySet()).as(what).contains("name", "rules")
                        .isSubsetOf("name", "rules", "interval", "limit", "partial_response_strategy");
                    for (Map<String, Object> rule : maps(group, "rules")) {
                        assertThat(rule).as(what).containsKey("expr");
                        assertThat(rule.containsKey("alert") ^ rule.containsKey("record")).as(what).isTrue();
                        assertThat(rule.keySet()).as(what)
                            .isSubsetOf("alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations");
                        if (rule.containsKey("for")) {
                            assertThat(rule.get("for").toString()).matches("([0-9]+(ms|s|m|h|d|w|y))+");
                        }
                    }
                }
            }
            default -> throw new AssertionError(what + ": not a kind of " + MONITORING);
        }
    }

    private static String reason(Throwable e) {
        String text = Stream.iterate(e, t -> t != null, Throwable::getCause).map(Throwable::getMessage)
            .filter(m -> m != null).collect(Collectors.joining("\n"));
        Matcher m = Pattern.compile("(?m)^(Unable to find property .*|For input string: .*|.*Cannot deserialize.*"
            + "|.*could not determine.*|.*Unknown apiVersionKind.*)$").matcher(text);
        List<String> reasons = new ArrayList<>();
        while (m.find()) {
            reasons.add(m.group(1).strip());
        }
        return reasons.isEmpty() ? text.substring(0, Math.min(600, text.length())) : String.join("; ", reasons);
    }

    private static String dump(Object node) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(node);
    }
}
