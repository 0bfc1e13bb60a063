package io.smtpsidecar.deploy;

import static io.smtpsidecar.deploy.Manifests.container;
import static io.smtpsidecar.deploy.Manifests.containerPort;
import static io.smtpsidecar.deploy.Manifests.get;
import static io.smtpsidecar.deploy.Manifests.integer;
import static io.smtpsidecar.deploy.Manifests.map;
import static io.smtpsidecar.deploy.Manifests.maps;
import static io.smtpsidecar.deploy.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.smtpsidecar.config.SidecarConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/components/smtp-sidecar, the kustomize Component that adds the sidecar to an MTA the user already runs,
 * built by kubectl's kustomize: on the example (a StatefulSet), on a Deployment, and with the PodMonitor component.
 */
class K8sComponentTest {
    private static final Path COMPONENT = Manifests.repo().resolve("deploy/components/smtp-sidecar");
    private static final Path EXAMPLE = Manifests.repo().resolve("deploy/examples/existing-mta");

    @TempDir
    Path tmp;

    @BeforeEach
    void kubectl() {
        assumeTrue(Tools.locate("kubectl").isPresent(), "kubectl is not installed");
    }

    @Test
    void theExampleAddsTheSidecarToTheStatefulSetAndPointsTheServiceAtIt() throws Exception {
        List<Map<String, Object>> docs = build(EXAMPLE);
        assertThat(docs).extracting(d -> d.get("kind") + "/" + get(d, "metadata.name"))
            .containsExactlyInAnyOrder("StatefulSet/mail", "Service/mail", "ConfigMap/smtp-sidecar-config");
        Map<String, Object> statefulSet = only(docs, "StatefulSet", "mail");
        Map<String, Object> configMap = only(docs, "ConfigMap", "smtp-sidecar-config");
        // the example's configuration replaced the component's, and the sidecar can run it
        SidecarConfig config = Manifests.sidecarConfig(configMap);
        assertThat(config.proxy().requiredHosts().isEmpty()).isFalse();
        assertThat(config.smtp().hostname()).isEqualTo("mx.example.org");
        Map<String, Object> sidecar = assertSidecarAdded(statefulSet, config);
        assertThat(get(sidecar, "image")).isEqualTo("registry.example.org/mail/smtp-sidecar:0.1.0");

        // the MTA keeps what it had, plus the preStop wait for the sidecar's drain
        Map<String, Object> postfix = container(statefulSet, "postfix");
        assertThat(maps(postfix, "volumeMounts")).extracting(m -> m.get("name")).containsExactly("queue");
        assertThat(containerPort(postfix, "smtp")).isEqualTo(config.backend().port());
        List<?> preStop = (List<?>) get(postfix, "lifecycle.preStop.exec.command");
        String script = (String) preStop.get(preStop.size() - 1);
        assertThat(script).contains("/dev/tcp/127.0.0.1/" + config.metrics().port());
        Matcher seconds = Pattern.compile("seq 1 (\\d+)").matcher(script);
        assertThat(seconds.find()).isTrue();
        assertThat(Integer.parseInt(seconds.group(1)))
            .isGreaterThan((int) config.shutdown().drainTimeout().toSeconds())
            .isLessThan(integer(statefulSet, "spec.template.spec.terminationGracePeriodSeconds"));

        // the load balancers' port now reaches the sidecar
        Map<String, Object> port = maps(only(docs, "Service", "mail"), "spec.ports").get(0);
        assertThat(port).containsEntry("port", 25).containsEntry("targetPort", "sidecar-smtp")
            .containsEntry("nodePort", 30025);
        assertThat(map(statefulSet, "spec.template.metadata.labels"))
            .containsAllEntriesOf(map(only(docs, "Service", "mail"), "spec.selector"));
    }

    @Test
    void theComponentPatchesAnnotatedDeploymentsOnlyAndItsDefaultConfigurationRuns() throws Exception {
        Path overlay = Files.createDirectories(tmp.resolve("overlay"));
        Files.writeString(overlay.resolve("workloads.yaml"), """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: exim
              annotations: {smtp-sidecar/inject: "true"}
            spec:
              selector: {matchLabels: {app: exim}}
              template:
                metadata: {labels: {app: exim}}
                spec:
                  containers: [{name: exim, image: exim4, ports: [{name: smtp, containerPort: 25}]}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: webmail
            spec:
              selector: {matchLabels: {app: webmail}}
              template:
                metadata: {labels: {app: webmail}}
                spec:
                  containers: [{name: web, image: roundcube}]
            """);
        Files.writeString(overlay.resolve("kustomization.yaml"), """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources: [workloads.yaml]
            # kustomize takes only relative paths
            components:
              - %s
              - %s
            """.formatted(overlay.relativize(COMPONENT), overlay.relativize(COMPONENT.resolveSibling("smtp-sidecar-podmonitor"))));
        List<Map<String, Object>> docs = build(overlay);
        Map<String, Object> exim = only(docs, "Deployment", "exim");
        Map<String, Object> config = only(docs, "ConfigMap", "smtp-sidecar-config");
        assertSidecarAdded(exim, Manifests.sidecarConfig(config));
        assertThat(maps(only(docs, "Deployment", "webmail"), "spec.template.spec.containers"))
            .extracting(c -> c.get("name")).containsExactly("web");

        Map<String, Object> podMonitor = only(docs, "PodMonitor", "smtp-sidecar");
        assertThat(map(exim, "spec.template.metadata.labels"))
            .containsAllEntriesOf(map(podMonitor, "spec.selector.matchLabels"));
        assertThat(map(only(docs, "Deployment", "webmail"), "spec.template.metadata.labels"))
            .doesNotContainKeys(map(podMonitor, "spec.selector.matchLabels").keySet().toArray(String[]::new));
        assertThat(maps(podMonitor, "spec.podMetricsEndpoints").get(0)).containsEntry("port", "sidecar-metrics");
        new K8sApiTypesTest().assertStrictlyValid(docs, "overlay with both components");
    }

    /** The sidecar container as the component adds it, on the ports and files of this configuration. */
    private static Map<String, Object> assertSidecarAdded(Map<String, Object> workload, SidecarConfig config) {
        Map<String, Object> sidecar = container(workload, "smtp-sidecar");
        assertThat(containerPort(sidecar, "sidecar-smtp")).isEqualTo(config.listen().port());
        assertThat(containerPort(sidecar, "sidecar-metrics")).isEqualTo(config.metrics().port());
        assertThat(get(sidecar, "args")).isEqualTo(List.of("--config", "/etc/smtp-sidecar/sidecar.yaml"));
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(get(sidecar, probe + ".httpGet.port")).as(probe).isEqualTo("sidecar-metrics");
        }
        assertThat(get(sidecar, "readinessProbe.httpGet.path")).isEqualTo("/readyz");
        assertThat(map(sidecar, "securityContext")).containsEntry("readOnlyRootFilesystem", true)
            .containsEntry("runAsNonRoot", true).containsEntry("allowPrivilegeEscalation", false);
        Map<String, Object> pod = map(workload, "spec.template.spec");
        assertThat(pod).containsEntry("enableServiceLinks", false);
        List<Map<String, Object>> volumes = maps(pod, "volumes");
        Map<String, Object> configMount = maps(sidecar, "volumeMounts").stream()
            .filter(m -> "/etc/smtp-sidecar".equals(m.get("mountPath"))).findFirst().orElseThrow();
        // a directory, not subPath: the sidecar re-reads the file the kubelet updates
        assertThat(configMount).doesNotContainKey("subPath");
        assertThat(volumes).anySatisfy(v -> {
            assertThat(v).containsEntry("name", configMount.get("name"));
            assertThat(get(v, "configMap.name")).isEqualTo("smtp-sidecar-config");
        });
        assertThat(maps(sidecar, "volumeMounts")).anyMatch(m -> "/tmp".equals(m.get("mountPath")));
        // no port name twice in the pod
        List<Object> names = maps(pod, "containers").stream()
            .flatMap(c -> c.get("ports") == null ? java.util.stream.Stream.empty() : maps(c, "ports").stream())
            .map(p -> p.get("name")).toList();
        assertThat(names).doesNotHaveDuplicates();
        return sidecar;
    }

    private static List<Map<String, Object>> build(Path dir) throws Exception {
        Tools.Result r = Tools.run(dir, "kubectl", "kustomize", dir.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        return Manifests.documents(r.output());
    }
}
