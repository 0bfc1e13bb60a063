package io.smtpsidecar.deploy;

import static io.smtpsidecar.deploy.Manifests.container;
import static io.smtpsidecar.deploy.Manifests.get;
import static io.smtpsidecar.deploy.Manifests.map;
import static io.smtpsidecar.deploy.Manifests.maps;
import static io.smtpsidecar.deploy.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart inside other pods: its named templates smtp-sidecar.container and smtp-sidecar.volumes included by a
 * chart that has it as a dependency (standalone: false), and mta.nativeSidecar, the MTA as a Kubernetes sidecar
 * container that outlives the proxy's drain.
 */
class K8sChartEmbeddingTest {
    /** A user's chart for an MTA it already runs, which adds smtp-sidecar to its StatefulSet's pod. */
    private static final String PARENT_WORKLOAD = """
        {{- $sidecar := index .Subcharts "smtp-sidecar" }}
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: legacy-mta
        spec:
          serviceName: legacy-mta
          selector:
            matchLabels: {app: legacy-mta}
          template:
            metadata:
              labels: {app: legacy-mta}
            spec:
              terminationGracePeriodSeconds: 30
              containers:
                - name: exim
                  image: registry.example.org/mail/exim4:4.97
                {{- include "smtp-sidecar.container" $sidecar | nindent 8 }}
              volumes:
                - name: spool
                  emptyDir: {}
                {{- include "smtp-sidecar.volumes" $sidecar | nindent 8 }}
        """;

    @TempDir
    Path tmp;

    private HelmChart chart;

    @BeforeEach
    void chart() {
        chart = new HelmChart(tmp);
    }

    @Test
    void anotherChartAddsTheSidecarToItsOwnPodWithTheNamedTemplates() throws Exception {
        Path parent = tmp.resolve("legacy-mta");
        copy(HelmChart.DIR, parent.resolve("charts/smtp-sidecar"));
        Files.createDirectories(parent.resolve("templates"));
        Files.writeString(parent.resolve("Chart.yaml"), """
            apiVersion: v2
            name: legacy-mta
            version: 1.0.0
            dependencies:
              - name: smtp-sidecar
                version: 0.1.0
            """);
        Files.writeString(parent.resolve("values.yaml"), """
            smtp-sidecar:
              standalone: false
              image: {registry: registry.example.org/mail}
              sidecar:
                config:
                  proxy: {requiredHosts: [10.244.0.0/16]}
                  backend: {port: 25}
              metrics:
                forceMonitoringApi: true
                podMonitor: {enabled: true, selector: {app: legacy-mta}}
            """);
        Files.writeString(parent.resolve("templates/statefulset.yaml"), PARENT_WORKLOAD);

        List<Map<String, Object>> docs = Manifests.documents(HelmChart.template(parent, HelmChart.KUBE_VERSION));
        // the dependency renders no pod of its own: its ConfigMap and the PodMonitor on the user's pod
        assertThat(docs).extracting(d -> d.get("kind") + "/" + get(d, "metadata.name"))
            .containsExactlyInAnyOrder("StatefulSet/legacy-mta", "ConfigMap/" + HelmChart.fullname(),
                "PodMonitor/" + HelmChart.fullname());
        Map<String, Object> statefulSet = only(docs, "StatefulSet", "legacy-mta");
        Map<String, Object> sidecar = container(statefulSet, "sidecar");
        assertThat(sidecar.get("image")).isEqualTo("registry.example.org/mail/smtp-sidecar:0.1.0");
        assertThat(maps(sidecar, "ports")).extracting(p -> p.get("name"), p -> p.get("containerPort"))
            .containsExactly(org.assertj.core.groups.Tuple.tuple("smtp", 2525),
                org.assertj.core.groups.Tuple.tuple("metrics", 9100));
        assertThat(get(sidecar, "readinessProbe.httpGet.path")).isEqualTo("/readyz");
        assertThat(get(sidecar, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        List<Map<String, Object>> volumes = maps(statefulSet, "spec.template.spec.volumes");
        for (Map<String, Object> mount : maps(sidecar, "volumeMounts")) {
            assertThat(volumes).as(mount.get("name").toString()).anyMatch(v -> v.get("name").equals(mount.get("name")));
        }
        Map<String, Object> configVolume = volumes.stream().filter(v -> "sidecar-config".equals(v.get("name")))
            .findFirst().orElseThrow();
        assertThat(get(configVolume, "configMap.name")).isEqualTo(HelmChart.fullname());
        // the ConfigMap is one the sidecar runs
        Map<String, Object> configMap = only(docs, "ConfigMap", HelmChart.fullname());
        assertThat(Manifests.sidecarConfig(configMap).proxy().requiredHosts().isEmpty()).isFalse();
        Map<String, Object> podMonitor = only(docs, "PodMonitor", null);
        assertThat(map(statefulSet, "spec.template.metadata.labels"))
            .containsAllEntriesOf(map(podMonitor, "spec.selector.matchLabels"));
        assertThat(maps(podMonitor, "spec.podMetricsEndpoints").get(0)).containsEntry("port", "metrics");
        new K8sApiTypesTest().assertStrictlyValid(docs, "legacy-mta chart");
    }

    @Test
    void standaloneFalseRendersOnlyTheConfigMapAndMonitoring() throws Exception {
        List<Map<String, Object>> docs = chart.render(K8sMonitoringTest.ALL_ON, "standalone: false");
        assertThat(docs).extracting(d -> d.get("kind")).containsExactlyInAnyOrder("ConfigMap", "ConfigMap",
            "PodMonitor", "PrometheusRule");
    }

    @Test
    void aNativeSidecarMtaStartsFirstAndStopsAfterTheProxyWithoutAHook() throws Exception {
        List<Map<String, Object>> docs = chart.render(HelmChart.DIR.resolve("ci/native-sidecar-values.yaml"));
        Map<String, Object> pod = map(only(docs, "Deployment", null), "spec.template.spec");
        assertThat(maps(pod, "containers")).extracting(c -> c.get("name")).containsExactly("sidecar");
        List<Map<String, Object>> init = maps(pod, "initContainers");
        assertThat(init).hasSize(1);
        Map<String, Object> postfix = init.get(0);
        assertThat(postfix).containsEntry("name", "postfix").containsEntry("restartPolicy", "Always")
            .doesNotContainKey("lifecycle");
        assertThat(get(postfix, "livenessProbe.exec.command")).isEqualTo(List.of("postfix", "status"));
        assertThat(maps(postfix, "volumeMounts")).anyMatch(m -> "/etc/postfix/main.cf".equals(m.get("mountPath")));

        // a lifecycle of the user's own still goes on the MTA; the default keeps the preStop wait in containers
        Map<String, Object> own = maps(map(only(chart.render("mta: {nativeSidecar: true, lifecycle: {postStart: "
            + "{exec: {command: [postqueue, -f]}}}}"), "Deployment", null), "spec.template.spec"), "initContainers").get(0);
        assertThat(get(own, "lifecycle.postStart.exec.command")).isEqualTo(List.of("postqueue", "-f"));
        Map<String, Object> classic = map(only(chart.render(), "Deployment", null), "spec.template.spec");
        assertThat(classic).doesNotContainKey("initContainers");
        assertThat(get(container(only(chart.render(), "Deployment", null), "postfix"), "lifecycle.preStop.exec"))
            .isNotNull();
    }

    @Test
    void aNativeSidecarNeedsKubernetes129() throws Exception {
        Path values = chart.valuesFile("mta: {nativeSidecar: true}");
        assertThatThrownBy(() -> HelmChart.template(HelmChart.DIR, "1.28.9", values))
            .hasMessageContaining("mta.nativeSidecar needs Kubernetes 1.29");
        assertThat(HelmChart.template(HelmChart.DIR, "1.29.0", values)).contains("restartPolicy: Always");
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }
}
