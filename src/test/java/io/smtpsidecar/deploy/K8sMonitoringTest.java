package io.smtpsidecar.deploy;

import static io.smtpsidecar.deploy.Manifests.container;
import static io.smtpsidecar.deploy.Manifests.get;
import static io.smtpsidecar.deploy.Manifests.map;
import static io.smtpsidecar.deploy.Manifests.maps;
import static io.smtpsidecar.deploy.Manifests.ofKind;
import static io.smtpsidecar.deploy.Manifests.only;
import static io.smtpsidecar.deploy.Manifests.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart's Prometheus Operator objects: rendered only with the monitoring.coreos.com/v1 API (or the force
 * value), the PodMonitor on the pods' metrics port, and the PrometheusRule's alerts: each on metrics the product
 * exports (a scrape of its own registry), each with its runbook section in docs/KUBERNETES.md, and, where
 * promtool is installed, checked by it and fired on synthetic series.
 */
class K8sMonitoringTest {
    static final String ALL_ON = """
        metrics:
          forceMonitoringApi: true
          serviceMonitor: {enabled: true}
          podMonitor: {enabled: true}
          prometheusRule: {enabled: true}
          grafanaDashboard: {enabled: true}
        """;
    static final Set<String> ALERTS = Set.of("SmtpSidecarRefusalsHigh", "SmtpSidecarSyncErrors",
        "SmtpSidecarBackendUnavailable", "SmtpSidecarConfigReloadFailed", "SmtpSidecarCertificateReloadFailed",
        "SmtpSidecarTlsHandshakeFailures", "SmtpSidecarNoForwardedSessions");

    private static Map<String, Set<String>> scraped;

    @TempDir
    Path tmp;

    private HelmChart chart;

    @BeforeAll
    static void scrape() {
        scraped = ProductMetrics.scraped();
    }

    @BeforeEach
    void chart() {
        chart = new HelmChart(tmp);
    }

    @Test
    void prometheusOperatorObjectsNeedTheApiOrTheForceValue() throws Exception {
        // helm template knows no monitoring.coreos.com/v1: enabled alone renders nothing (a cluster without the
        // Operator's CRDs would refuse the install)
        List<Map<String, Object>> detected = chart.render(ALL_ON.replace("forceMonitoringApi: true",
            "forceMonitoringApi: false"));
        assertThat(detected).extracting(d -> d.get("kind"))
            .doesNotContain("ServiceMonitor", "PodMonitor", "PrometheusRule");
        // the dashboard is a plain ConfigMap: no API needed
        assertThat(ofKind(detected, "ConfigMap")).anyMatch(c -> (HelmChart.fullname() + "-dashboard")
            .equals(get(c, "metadata.name")));

        List<Map<String, Object>> forced = chart.render(ALL_ON);
        for (String kind : List.of("ServiceMonitor", "PodMonitor", "PrometheusRule")) {
            Map<String, Object> object = only(forced, kind, HelmChart.fullname());
            assertThat(string(object, "apiVersion")).isEqualTo("monitoring.coreos.com/v1");
            assertThat(string(object, "metadata.namespace")).isEqualTo(HelmChart.NAMESPACE);
        }
        // each off by default, even when forced
        assertThat(chart.render("metrics: {forceMonitoringApi: true}")).extracting(d -> d.get("kind"))
            .doesNotContain("ServiceMonitor", "PodMonitor", "PrometheusRule");
    }

    @Test
    void podMonitorScrapesThePodsMetricsPortWithTheUsualKeys() throws Exception {
        List<Map<String, Object>> docs = chart.render(ALL_ON, """
            metrics:
              podMonitor:
                labels: {release: kube-prometheus-stack}
                interval: 15s
                scrapeTimeout: 5s
                relabelings: [{action: replace, targetLabel: mx, replacement: mx1}]
                metricRelabelings: [{action: drop, sourceLabels: [__name__], regex: jvm_classes_.*}]
            """);
        Map<String, Object> monitor = only(docs, "PodMonitor", null);
        Map<String, Object> deployment = only(docs, "Deployment", null);
        assertThat(map(deployment, "spec.template.metadata.labels"))
            .containsAllEntriesOf(map(monitor, "spec.selector.matchLabels"));
        assertThat(map(monitor, "metadata.labels")).containsEntry("release", "kube-prometheus-stack");
        Map<String, Object> endpoint = maps(monitor, "spec.podMetricsEndpoints").get(0);
        assertThat(endpoint).containsEntry("port", "metrics").containsEntry("path", "/metrics")
            .containsEntry("interval", "15s").containsEntry("scrapeTimeout", "5s");
        assertThat(maps(container(deployment, "sidecar"), "ports")).anyMatch(p -> "metrics".equals(p.get("name")));
        assertThat(maps(endpoint, "relabelings")).hasSize(1);
        assertThat(maps(endpoint, "metricRelabelings")).hasSize(1);

        // in another chart's pod: that pod's labels and port name
        Map<String, Object> other = only(chart.render(ALL_ON,
            "metrics: {podMonitor: {selector: {app: legacy-mta}, port: sidecar-metrics}}"), "PodMonitor", null);
        assertThat(map(other, "spec.selector.matchLabels")).isEqualTo(Map.of("app", "legacy-mta"));
        assertThat(maps(other, "spec.podMetricsEndpoints").get(0)).containsEntry("port", "sidecar-metrics");
    }

    @Test
    void everyAlertUsesOnlyExportedMetricsAndLinksItsRunbook() throws Exception {
        String docs = Files.readString(Manifests.repo().resolve("docs/KUBERNETES.md"));
        List<Map<String, Object>> rules = rules(chart.render(ALL_ON));
        assertThat(rules).extracting(r -> r.get("alert")).containsExactlyInAnyOrderElementsOf(ALERTS);
        for (Map<String, Object> rule : rules) {
            String name = (String) rule.get("alert");
            String expr = (String) rule.get("expr");
            assertThat(ProductMetrics.problems(expr, scraped)).as(name + ": " + expr).isEmpty();
            assertThat(expr).as(name).contains("namespace=\"" + HelmChart.NAMESPACE + "\"");
            assertThat(get(rule, "labels.severity")).as(name).isIn("critical", "warning");
            assertThat(string(rule, "annotations.summary")).as(name).isNotBlank();
            assertThat(string(rule, "annotations.description")).as(name).isNotBlank();
            String runbook = string(rule, "annotations.runbook_url");
            assertThat(runbook).as(name)
                .isEqualTo("https://smtp-sidecar.example.org/docs/KUBERNETES.md#" + name.toLowerCase(Locale.ROOT));
            // the anchor GitHub makes of a heading "### SmtpSidecarX" is its lower-case text
            assertThat(docs).as("docs/KUBERNETES.md has a runbook section for " + name).contains("\n### " + name + "\n");
        }
        // every smtp_sidecar_ series the alerts use is in the README's metrics table
        Set<String> readme = ProductMetrics.readmeNames();
        for (Map<String, Object> rule : rules) {
            ProductMetrics.parse((String) rule.get("expr")).metrics().keySet().stream()
                .filter(n -> n.startsWith("smtp_sidecar_"))
                .forEach(n -> assertThat(readme).as(rule.get("alert") + " uses " + n).contains(ProductMetrics.readmeName(n)));
        }
    }

    @Test
    void alertsAreTunedAndSwitchedOffByValue() throws Exception {
        List<Map<String, Object>> rules = rules(chart.render(ALL_ON, """
            metrics:
              prometheusRule:
                runbookBaseUrl: https://git.example.org/mail/smtp-sidecar/src/branch/main/docs/KUBERNETES.md
                selector: job="mx-smtp-sidecar-metrics"
                additionalLabels: {team: mail}
                alerts:
                  refusals: {enabled: false}
                  syncErrors: {ratio: 0.2, for: 30m, severity: critical}
                  noForwardedSessions: {window: 30m, readinessFromKubeStateMetrics: false}
                additionalRules:
                  - alert: MailQueueLong
                    expr: postfix_queue_length > 1000
            """));
        assertThat(rules).extracting(r -> r.get("alert")).doesNotContain("SmtpSidecarRefusalsHigh")
            .contains("MailQueueLong", "SmtpSidecarSyncErrors");
        Map<String, Object> sync = rules.stream().filter(r -> "SmtpSidecarSyncErrors".equals(r.get("alert")))
            .findFirst().orElseThrow();
        assertThat(sync).containsEntry("for", "30m");
        assertThat(map(sync, "labels")).containsEntry("severity", "critical").containsEntry("team", "mail");
        assertThat((String) sync.get("expr")).contains("job=\"mx-smtp-sidecar-metrics\"").endsWith("> 0.2")
            .doesNotContain("namespace=\"");
        assertThat(string(sync, "annotations.runbook_url"))
            .isEqualTo("https://git.example.org/mail/smtp-sidecar/src/branch/main/docs/KUBERNETES.md#smtpsidecarsyncerrors");
        String idle = (String) rules.stream().filter(r -> "SmtpSidecarNoForwardedSessions".equals(r.get("alert")))
            .findFirst().orElseThrow().get("expr");
        assertThat(idle).contains("[30m]", "> 1800", "up{job=\"mx-smtp-sidecar-metrics\"}")
            .doesNotContain("kube_pod_status_ready");
    }

    @Test
    void promtoolAcceptsTheRulesAndEachAlertFiresOnItsCondition() throws Exception {
        assumeTrue(Tools.locate("promtool").isPresent(), "promtool (Debian package prometheus) is not installed");
        Map<String, Object> rule = only(chart.render(ALL_ON), "PrometheusRule", null);
        Path rulesFile = tmp.resolve("rules.yaml");
        Files.writeString(rulesFile, dump(map(rule, "spec")));
        Tools.Result check = Tools.run(tmp, "promtool", "check", "rules", rulesFile.toString());
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 7 rules found");

        // promtool compares annotations too: the unit test runs the same rules without them
        Map<String, Object> spec = map(rule, "spec");
        for (Map<String, Object> r : maps(maps(spec, "groups").get(0), "rules")) {
            r.remove("annotations");
        }
        Path bare = tmp.resolve("bare-rules.yaml");
        Files.writeString(bare, dump(spec));
        Path test = tmp.resolve("rules-test.yaml");
        Files.writeString(test, RULE_TEST.replace("RULES", bare.toString()));
        Tools.Result run = Tools.run(tmp, "promtool", "test", "rules", test.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("SUCCESS");
    }

    /**
     * Three hours of one-minute samples in namespace mail: pod ok forwards steadily (and its submission listener
     * sees as many sync errors); pod nomta loses its MTA after an hour; pod idle stops getting sessions after an
     * hour; pod tls fails most TLS handshakes, has a certificate and a configuration file rejected.
     */
    private static final String RULE_TEST = """
        rule_files: [RULES]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="ok",listener="smtp",outcome="forwarded"}', values: '0+10x180'}
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="ok",listener="submission",outcome="forwarded"}', values: '0+2x180'}
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="ok",listener="submission",outcome="sync_error"}', values: '0+2x180'}
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="ok",listener="smtp",outcome="refused_timeout"}', values: '0x180'}
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="nomta",listener="smtp",outcome="forwarded"}', values: '0+10x60 600x120'}
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="nomta",listener="smtp",outcome="backend_unavailable"}', values: '0x60 10+10x120'}
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="idle",listener="smtp",outcome="forwarded"}', values: '0+10x60 600x120'}
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="tls",listener="submissions",outcome="forwarded"}', values: '0+1x180'}
              - {series: 'smtp_sidecar_connections_total{namespace="mail",pod="tls",listener="submissions",outcome="tls_failed"}', values: '0+3x180'}
              - {series: 'smtp_sidecar_tls_handshake_failures_total{namespace="mail",pod="tls",listener="submissions",reason="certificate_rejected"}', values: '0+3x180'}
              - {series: 'smtp_sidecar_tls_certificate_reloads_total{namespace="mail",pod="tls",listener="submissions",result="invalid"}', values: '0x170 1x10'}
              - {series: 'smtp_sidecar_config_reloads_total{namespace="mail",pod="tls",result="invalid"}', values: '0x170 1x10'}
              - {series: 'process_uptime_seconds{namespace="mail",pod="ok"}', values: '0+60x180'}
              - {series: 'process_uptime_seconds{namespace="mail",pod="nomta"}', values: '0+60x180'}
              - {series: 'process_uptime_seconds{namespace="mail",pod="idle"}', values: '0+60x180'}
              - {series: 'kube_pod_status_ready{namespace="mail",pod="ok",condition="true"}', values: '1x180'}
              - {series: 'kube_pod_status_ready{namespace="mail",pod="idle",condition="true"}', values: '1x180'}
              - {series: 'kube_pod_status_ready{namespace="mail",pod="nomta",condition="true"}', values: '0x180'}
            alert_rule_test:
              - {eval_time: 175m, alertname: SmtpSidecarRefusalsHigh, exp_alerts: []}
              - eval_time: 175m
                alertname: SmtpSidecarSyncErrors
                exp_alerts: [{exp_labels: {severity: warning, namespace: mail, listener: submission}}]
              - eval_time: 175m
                alertname: SmtpSidecarBackendUnavailable
                exp_alerts: [{exp_labels: {severity: critical, namespace: mail, pod: nomta}}]
              - {eval_time: 50m, alertname: SmtpSidecarBackendUnavailable, exp_alerts: []}
              - eval_time: 175m
                alertname: SmtpSidecarConfigReloadFailed
                exp_alerts: [{exp_labels: {severity: warning, namespace: mail, pod: tls}}]
              - {eval_time: 160m, alertname: SmtpSidecarConfigReloadFailed, exp_alerts: []}
              - eval_time: 175m
                alertname: SmtpSidecarCertificateReloadFailed
                exp_alerts: [{exp_labels: {severity: warning, namespace: mail, pod: tls, listener: submissions}}]
              - eval_time: 175m
                alertname: SmtpSidecarTlsHandshakeFailures
                exp_alerts: [{exp_labels: {severity: warning, namespace: mail, listener: submissions}}]
              - eval_time: 175m
                alertname: SmtpSidecarNoForwardedSessions
                exp_alerts: [{exp_labels: {severity: warning, namespace: mail, pod: idle}}]
              - {eval_time: 100m, alertname: SmtpSidecarNoForwardedSessions, exp_alerts: []}
        """;

    static List<Map<String, Object>> rules(List<Map<String, Object>> docs) {
        Map<String, Object> rule = only(docs, "PrometheusRule", null);
        List<Map<String, Object>> groups = maps(rule, "spec.groups");
        assertThat(groups).hasSize(1);
        return new ArrayList<>(maps(groups.get(0), "rules"));
    }

    private static String dump(Object node) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(node instanceof Map<?, ?> m ? new LinkedHashMap<>(m) : node);
    }
}
