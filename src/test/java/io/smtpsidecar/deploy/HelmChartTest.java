package io.smtpsidecar.deploy;

import static io.smtpsidecar.deploy.Manifests.container;
import static io.smtpsidecar.deploy.Manifests.containerPort;
import static io.smtpsidecar.deploy.Manifests.get;
import static io.smtpsidecar.deploy.Manifests.integer;
import static io.smtpsidecar.deploy.Manifests.map;
import static io.smtpsidecar.deploy.Manifests.maps;
import static io.smtpsidecar.deploy.Manifests.ofKind;
import static io.smtpsidecar.deploy.Manifests.only;
import static io.smtpsidecar.deploy.Manifests.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.smtpsidecar.config.ConfigKeys;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.deploy.Manifests.Listener;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart rendered by a real Helm (helm-java: Helm's Go library in-process): lint --strict and template for the
 * defaults and every ci/*-values.yaml, the rendered YAML parsed and checked, the ConfigMap read by the product's
 * own configuration loader, and bad values refused by values.schema.json.
 */
class HelmChartTest {
    private static final Path THREE_PORTS = HelmChart.DIR.resolve("ci/three-ports-values.yaml");
    /** The keys of the tls section (issue 13), for as long as the product's key table lacks them. */
    /** The sections a listener may override. */
    /** The sections whose keys a listener may set, from the key table. */
    private static final List<String> LISTENER_SECTIONS = ConfigKeys.ALL.stream()
        .filter(io.smtpsidecar.config.ConfigKey::perListener).map(io.smtpsidecar.config.ConfigKey::section)
        .distinct().toList();

    @TempDir
    Path tmp;

    private HelmChart chart;

    @BeforeEach
    void chart() {
        chart = new HelmChart(tmp);
    }

    static Stream<Path> ciValues() throws Exception {
        try (Stream<Path> files = Files.list(HelmChart.DIR.resolve("ci"))) {
            List<Path> list = files.filter(f -> f.getFileName().toString().endsWith("-values.yaml")).sorted().toList();
            assertThat(list).hasSizeGreaterThanOrEqualTo(6);
            return list.stream();
        }
    }

    @Test
    void helmLibraryRunsHere() {
        assertThat(Helm.version().call()).startsWith("v3.");
    }

    @Test
    void lintStrictPassesWithTheDefaults() {
        assertLintClean(HelmChart.lintDefaults());
    }

    @ParameterizedTest
    @MethodSource("ciValues")
    void lintStrictPassesWithEveryCiValuesFile(Path values) throws Exception {
        assertLintClean(chart.lint(values));
    }

    @Test
    void defaultsRenderThePodTheServicesAndThePdbButNoOptionalResources() throws Exception {
        List<Map<String, Object>> docs = chart.render();
        assertThat(docs).extracting(d -> d.get("kind")).containsExactlyInAnyOrder("ServiceAccount", "ConfigMap",
            "ConfigMap", "Service", "Service", "Deployment", "PodDisruptionBudget");
        assertThat(ofKind(docs, "ServiceMonitor")).isEmpty();
        assertThat(ofKind(docs, "NetworkPolicy")).isEmpty();
        assertValidPod(docs);

        Map<String, Object> deployment = only(docs, "Deployment", HelmChart.fullname());
        Map<String, Object> sidecar = container(deployment, "sidecar");
        assertThat(get(sidecar, "image")).isEqualTo("smtp-sidecar:" + appVersion());
        assertThat(get(container(deployment, "postfix"), "image")).isEqualTo("smtp-sidecar-postfix:3.7");
        assertThat(maps(only(docs, "Service", HelmChart.fullname()), "spec.ports").get(0))
            .containsEntry("port", 25).containsEntry("targetPort", "smtp").doesNotContainKey("nodePort");
        assertThat(integer(only(docs, "PodDisruptionBudget", null), "spec.maxUnavailable")).isEqualTo(1);
        assertThat(get(only(docs, "ServiceAccount", null), "automountServiceAccountToken")).isEqualTo(false);
    }

    @Test
    void sidecarResourcesAreTheOnesDeployShips() throws Exception {
        // both follow the figures of docs/BENCHMARKS.md (RSS at rest and with sessions held): one place to change
        Map<String, Object> rendered = container(only(chart.render(), "Deployment", HelmChart.fullname()), "sidecar");
        Map<String, Object> shipped = container(
            Manifests.document(Manifests.repo().resolve("deploy/deployment.yaml")), "sidecar");
        assertThat(get(rendered, "resources")).isEqualTo(get(shipped, "resources"));
    }

    @ParameterizedTest
    @MethodSource("ciValues")
    void everyCiValuesFileRendersAPodTheSidecarCanRun(Path values) {
        assertValidPod(chart.render(values));
    }

    @Test
    void theMtaFilesAreTheOnesDeployShips() throws Exception {
        // deploy/ is the three-port example: the chart's main.cf, and master.cf from ci/three-ports-values.yaml
        Map<String, Object> deployMta = Manifests.document(Manifests.repo().resolve("deploy/configmap-postfix.yaml"));
        assertThat(map(only(chart.render(THREE_PORTS), "ConfigMap", HelmChart.fullname() + "-mta"), "data"))
            .isEqualTo(map(deployMta, "data"));
        List<Map<String, Object>> docs = chart.render();
        assertThat(map(only(docs, "ConfigMap", HelmChart.fullname() + "-mta"), "data").get("main.cf"))
            .isEqualTo(map(deployMta, "data").get("main.cf"));
        Map<String, Object> postfix = container(only(docs, "Deployment", null), "postfix");
        assertThat(maps(postfix, "volumeMounts")).anySatisfy(m -> assertThat(m)
            .containsEntry("mountPath", "/etc/postfix/main.cf").containsEntry("subPath", "main.cf"));
        assertThat(get(postfix, "securityContext.allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(get(postfix, "securityContext.capabilities.drop")).isEqualTo(List.of("ALL"));
    }

    @Test
    void serviceMonitorOnlyWhenEnabledAndItSelectsTheMetricsService() throws Exception {
        assertThat(ofKind(chart.render("metrics: {serviceMonitor: {enabled: false}}"), "ServiceMonitor")).isEmpty();

        List<Map<String, Object>> docs = chart.render(HelmChart.DIR.resolve("ci/servicemonitor-values.yaml"));
        Map<String, Object> monitor = only(docs, "ServiceMonitor", HelmChart.fullname());
        assertThat(string(monitor, "apiVersion")).isEqualTo("monitoring.coreos.com/v1");
        assertThat(map(monitor, "metadata.labels")).containsEntry("release", "kube-prometheus-stack");
        Map<String, Object> metricsService = only(docs, "Service", HelmChart.fullname() + "-metrics");
        assertThat(map(metricsService, "metadata.labels")).containsAllEntriesOf(map(monitor, "spec.selector.matchLabels"));
        assertThat(map(only(docs, "Service", HelmChart.fullname()), "metadata.labels"))
            .as("the SMTP Service must not be scraped").doesNotContainEntry("app.kubernetes.io/component", "metrics");
        Map<String, Object> endpoint = maps(monitor, "spec.endpoints").get(0);
        assertThat(endpoint).containsEntry("port", "metrics").containsEntry("path", "/metrics")
            .containsEntry("interval", "15s").containsEntry("scrapeTimeout", "5s");
        assertThat(maps(endpoint, "metricRelabelings")).hasSize(1);
        assertThat(get(monitor, "spec.namespaceSelector.matchNames")).isEqualTo(List.of(HelmChart.NAMESPACE));
    }

    @Test
    void podDisruptionBudgetOnlyWhenEnabledWithMinAvailableInsteadOfMaxUnavailable() throws Exception {
        assertThat(ofKind(chart.render("podDisruptionBudget: {enabled: false}"), "PodDisruptionBudget")).isEmpty();
        Map<String, Object> pdb = only(chart.render("podDisruptionBudget: {minAvailable: 50%}"),
            "PodDisruptionBudget", null);
        assertThat(map(pdb, "spec")).containsEntry("minAvailable", "50%").doesNotContainKey("maxUnavailable");
        assertThat(map(pdb, "spec.selector.matchLabels"))
            .containsEntry("app.kubernetes.io/instance", HelmChart.RELEASE);
    }

    @Test
    void networkPolicyAdmitsTheGivenPeersToSmtpAndPrometheusToMetrics() throws Exception {
        List<Map<String, Object>> docs = chart.render(HelmChart.DIR.resolve("ci/nodeport-networkpolicy-values.yaml"));
        Map<String, Object> policy = only(docs, "NetworkPolicy", HelmChart.fullname());
        List<Map<String, Object>> rules = maps(policy, "spec.ingress");
        assertThat(rules).hasSize(2).allMatch(r -> r.get("from") instanceof List<?> l && !l.isEmpty());
        assertThat(get(rules.get(0), "ports")).isEqualTo(List.of(Map.of("port", "smtp", "protocol", "TCP")));
        SidecarConfig config = Manifests.sidecarConfig(only(docs, "ConfigMap", HelmChart.fullname()));
        for (Map<String, Object> peer : maps(rules.get(0), "from")) {
            String cidr = string(peer, "ipBlock.cidr");
            assertThat(config.proxy().requiredHosts()
                .matches(InetAddress.getByName(cidr.substring(0, cidr.indexOf('/'))))).as(cidr).isTrue();
        }
        assertThat(get(rules.get(1), "ports")).isEqualTo(List.of(Map.of("port", "metrics", "protocol", "TCP")));
        Map<String, Object> port = maps(only(docs, "Service", HelmChart.fullname()), "spec.ports").get(0);
        assertThat(port).containsEntry("nodePort", 30025);
        assertThat(string(only(docs, "Service", HelmChart.fullname()), "spec.externalTrafficPolicy")).isEqualTo("Local");
    }

    @Test
    void theSinglePortFormHasOnePortNamedSmtpAndNoTlsSecret() throws Exception {
        List<Map<String, Object>> docs = chart.render();
        Map<String, Object> file = Manifests.sidecarFile(only(docs, "ConfigMap", HelmChart.fullname()));
        assertThat(get(file, "listen.port")).isEqualTo(2525);
        assertThat(file).doesNotContainKeys("listeners", "tls");
        Map<String, Object> deployment = only(docs, "Deployment", null);
        assertThat(maps(container(deployment, "sidecar"), "ports")).extracting(p -> p.get("name"))
            .containsExactly("smtp", "metrics");
        assertThat(maps(only(docs, "Service", HelmChart.fullname()), "spec.ports")).hasSize(1);
        assertThat(maps(deployment, "spec.template.spec.volumes")).noneMatch(v -> v.containsKey("secret"));
    }

    @Test
    void threePortsGiveEachListenerAContainerPortAServicePortAndANetworkPolicyRule() throws Exception {
        List<Map<String, Object>> docs = chart.render(THREE_PORTS);
        Map<String, Object> configMap = only(docs, "ConfigMap", HelmChart.fullname());
        // values.yaml's listen.port would be a configuration error beside listeners
        assertThat(Manifests.sidecarFile(configMap)).doesNotContainKey("listen").containsKey("listeners");
        List<Listener> listeners = Manifests.listeners(configMap);
        assertThat(listeners).extracting(Listener::name, Listener::port)
            .containsExactly(tuple("smtp", 2525), tuple("submission", 2587), tuple("submissions", 2465));

        Map<String, Object> sidecar = container(only(docs, "Deployment", null), "sidecar");
        assertThat(maps(sidecar, "ports")).extracting(p -> p.get("name"), p -> p.get("containerPort"))
            .containsExactly(tuple("smtp", 2525), tuple("submission", 2587), tuple("submissions", 2465),
                tuple("metrics", 9100));

        Map<String, Object> service = only(docs, "Service", HelmChart.fullname());
        assertThat(maps(service, "spec.ports"))
            .extracting(p -> p.get("name"), p -> p.get("port"), p -> p.get("targetPort"), p -> p.get("nodePort"))
            .containsExactly(tuple("smtp", 25, "smtp", 30025), tuple("submission", 587, "submission", 30587),
                tuple("submissions", 465, "submissions", 30465));

        List<Map<String, Object>> rules = maps(only(docs, "NetworkPolicy", null), "spec.ingress");
        assertThat(rules).extracting(r -> get(r, "ports")).containsExactly(
            List.of(Map.of("port", "smtp", "protocol", "TCP")),
            List.of(Map.of("port", "submission", "protocol", "TCP")),
            List.of(Map.of("port", "submissions", "protocol", "TCP")),
            List.of(Map.of("port", "metrics", "protocol", "TCP")));
        SidecarConfig config = Manifests.sidecarConfig(configMap);
        for (int i = 0; i < listeners.size(); i++) {
            // every listener takes the top-level proxy section here, so the top-level matcher is its own
            assertThat(listeners.get(i).setting("proxy")).isEqualTo(Manifests.sidecarFile(configMap).get("proxy"));
            for (Map<String, Object> peer : maps(rules.get(i), "from")) {
                String cidr = string(peer, "ipBlock.cidr");
                assertThat(config.proxy().requiredHosts()
                    .matches(InetAddress.getByName(cidr.substring(0, cidr.indexOf('/'))))).as(cidr).isTrue();
            }
        }
    }

    @Test
    void theTlsSecretIsMountedAsADirectoryWhereTheTerminatingListenerAndPostfixReadIt() {
        List<Map<String, Object>> docs = chart.render(THREE_PORTS);
        Map<String, Object> deployment = only(docs, "Deployment", null);
        Map<String, Object> volume = maps(deployment, "spec.template.spec.volumes").stream()
            .filter(v -> v.containsKey("secret")).findFirst().orElseThrow();
        assertThat(get(volume, "secret.secretName")).isEqualTo("mx-example-org-tls");

        Map<String, Object> sidecarMount = maps(container(deployment, "sidecar"), "volumeMounts").stream()
            .filter(m -> volume.get("name").equals(m.get("name"))).findFirst().orElseThrow();
        // subPath mounts never see a renewed Secret
        assertThat(sidecarMount).doesNotContainKey("subPath").containsEntry("readOnly", true)
            .containsEntry("mountPath", "/etc/smtp-sidecar/tls");
        Listener submissions = Manifests.listeners(only(docs, "ConfigMap", HelmChart.fullname())).get(2);
        assertThat(submissions.setting("tls.mode")).isEqualTo("terminate");
        // the two keys of a kubernetes.io/tls Secret
        assertThat(submissions.setting("tls.certificate")).isEqualTo(sidecarMount.get("mountPath") + "/tls.crt");
        assertThat(submissions.setting("tls.key")).isEqualTo(sidecarMount.get("mountPath") + "/tls.key");

        Map<String, Object> postfixMount = maps(container(deployment, "postfix"), "volumeMounts").stream()
            .filter(m -> volume.get("name").equals(m.get("name"))).findFirst().orElseThrow();
        assertThat(postfixMount).doesNotContainKey("subPath").containsEntry("mountPath", "/etc/postfix/tls");
        String master = (String) map(only(docs, "ConfigMap", HelmChart.fullname() + "-mta"), "data").get("master.cf");
        assertThat(master).contains("smtpd_tls_cert_file=/etc/postfix/tls/tls.crt")
            .contains("smtpd_tls_key_file=/etc/postfix/tls/tls.key");
    }

    @Test
    void postfixHasAServiceOnTheBackendPortOfEveryListener() {
        List<Map<String, Object>> docs = chart.render(THREE_PORTS);
        Map<String, Object> configMap = only(docs, "ConfigMap", HelmChart.fullname());
        int defaultBackendPort = Manifests.sidecarConfig(configMap).backend().port();
        Map<Integer, List<String>> services = DeployManifestsTest.postfixInetServices(
            (String) map(only(docs, "ConfigMap", HelmChart.fullname() + "-mta"), "data").get("master.cf"));
        for (Listener listener : Manifests.listeners(configMap)) {
            Object port = listener.setting("backend.port");
            int backendPort = port == null ? defaultBackendPort : ((Number) port).intValue();
            assertThat(services).as(listener.name() + " -> " + backendPort).containsKey(backendPort);
        }
        // the client's STARTTLS reaches Postfix on 587; after the sidecar's TLS, 10465 must not ask for it again
        assertThat(services.get(587)).contains("smtpd_tls_security_level=encrypt", "smtpd_tls_auth_only=yes");
        assertThat(services.get(10465)).contains("smtpd_tls_security_level=none", "smtpd_tls_auth_only=no");
    }

    @Test
    void aListenerCanAdmitItsOwnPeers() throws Exception {
        List<Map<String, Object>> docs = chart.render(Files.readString(THREE_PORTS),
            "networkPolicy: {listenerFrom: {submission: [{ipBlock: {cidr: 10.1.0.5/32}}]}}");
        List<Map<String, Object>> rules = maps(only(docs, "NetworkPolicy", null), "spec.ingress");
        assertThat(get(rules.get(1), "from")).isEqualTo(List.of(Map.of("ipBlock", Map.of("cidr", "10.1.0.5/32"))));
        assertThat(maps(rules.get(0), "from")).extracting(p -> string(p, "ipBlock.cidr"))
            .containsExactly("198.51.100.10/32", "198.51.100.11/32");
        assertThat(get(rules.get(2), "from")).isEqualTo(get(rules.get(0), "from"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        sidecar: {config: {listeners: [{name: smtp, port: 2525}, {name: lmtp, port: 2400}]}}            | service.ports.lmtp: set the Service port of listener lmtp
        sidecar: {config: {listeners: [{name: smtp, port: 2525}, {name: smtp, port: 2526}]}}            | the name smtp is used twice
        {sidecar: {config: {listeners: [{name: submissionsplain1, port: 2465}, {name: submissionsplain2, port: 2466}]}}, service: {ports: {submissionsplain1: 465, submissionsplain2: 466}}} | submissionsplain1 and submissionsplain2 would both be the port submissionsplai
        {sidecar: {config: {listeners: [{name: metrics, port: 2525}]}}, service: {ports: {metrics: 25}}} | the name metrics belongs to the operations port
        {sidecar: {config: {listeners: [{name: smtp, port: 2525}]}}, service: {nodePorts: {submision: 30587}}} | service.nodePorts.submision: there is no listener submision (listeners: smtp)
        service: {nodePorts: {smtp: 30025}}                                                              | service.nodePorts is for sidecar.config.listeners: the single-port form takes service.nodePort
        {networkPolicy: {enabled: true, smtpFrom: [{podSelector: {}}], listenerFrom: {smpt: [{podSelector: {}}]}}} | networkPolicy.listenerFrom.smpt: there is no listener smpt
        sidecar: {config: {tls: {mode: terminate, certificate: /etc/smtp-sidecar/tls/tls.crt}}}          | sidecar.config.tls.certificate is /etc/smtp-sidecar/tls/tls.crt, but sidecar.tls.secretName is empty
        sidecar: {config: {listeners: [{name: smtp, port: 2525, tls: {key: /etc/smtp-sidecar/tls/tls.key}}]}} | listener smtp: tls.key is /etc/smtp-sidecar/tls/tls.key, but sidecar.tls.secretName is empty
        """)
    void listenerValuesThatKubernetesOrThePodWouldRefuseFailAtRender(String values, String message) throws Exception {
        Path file = chart.valuesFile(values);
        assertThatThrownBy(() -> chart.template(file)).hasMessageContaining(message);
    }

    @Test
    void listenerPortsAndTlsModesRollThePodsButTheirHotReloadableKeysDoNot() throws Exception {
        String three = Files.readString(THREE_PORTS);
        String restart = "checksum/sidecar-restart-keys";
        Object base = podAnnotations(three, "{}").get(restart);
        String listenersWith = """
            sidecar:
              config:
                listeners:
                  - {name: smtp, port: 2525}
                  - {name: submission, port: 2587, backend: {port: 587}}
                  - {name: submissions, port: %s, backend: {port: 10465}, tls: {mode: %s, %s}}
            """;
        String terminate = "certificate: /etc/smtp-sidecar/tls/tls.crt, key: /etc/smtp-sidecar/tls/tls.key";
        assertThat(podAnnotations(three, listenersWith.formatted(2465, "terminate", terminate)).get(restart))
            .isEqualTo(base);
        assertThat(podAnnotations(three, listenersWith.formatted(2465, "terminate",
            "certificate: /etc/smtp-sidecar/tls/other.crt, key: /etc/smtp-sidecar/tls/tls.key, handshakeTimeout: 5s"))
            .get(restart)).as("certificate files and timeouts are reloaded").isEqualTo(base);
        assertThat(podAnnotations(three, "sidecar: {config: {proxy: {requiredHosts: [10.1.2.3]}}}").get(restart))
            .isEqualTo(base);
        assertThat(podAnnotations(three, listenersWith.formatted(2466, "terminate", terminate)).get(restart))
            .as("a listener's port").isNotEqualTo(base);
        assertThat(podAnnotations(three, listenersWith.formatted(2465, "passthrough", "handshakeTimeout: 10s"))
            .get(restart)).as("a listener's tls.mode").isNotEqualTo(base);
        assertThat(podAnnotations(three, "sidecar: {config: {tls: {mode: passthrough}}}").get(restart))
            .as("the inherited tls.mode").isNotEqualTo(base);
    }

    @Test
    void notesListEveryPortAndTheListenersWithTheirOwnRequiredHosts() throws Exception {
        String three = Files.readString(THREE_PORTS);
        assertThat(chart.notes(three)).contains("one port per listener:")
            .contains("  25 -> sidecar port 2525 (smtp)\n")
            .contains("  587 -> sidecar port 2587 (submission)\n")
            .contains("  465 -> sidecar port 2465 (submissions, TLS terminate)\n")
            .contains("PROXY headers are required from: 198.51.100.10, 198.51.100.11").doesNotContain("WARNING");
        assertThat(chart.notes("""
            sidecar:
              config:
                listeners:
                  - {name: smtp, port: 2525, proxy: {requiredHosts: [10.0.0.1]}}
                  - {name: submission, port: 2587, proxy: {requiredHosts: []}}
            """)).contains("Every listener has its own proxy.requiredHosts:")
            .contains("Listener smtp: PROXY headers are required from: 10.0.0.1")
            .contains("WARNING: listener submission has an empty proxy.requiredHosts")
            .doesNotContain("WARNING: sidecar.config.proxy.requiredHosts is empty");
    }

    @Test
    void anotherMtaIsPluggedInWithEverythingItNeeds() {
        List<Map<String, Object>> docs = chart.render(HelmChart.DIR.resolve("ci/custom-mta-values.yaml"));
        Map<String, Object> deployment = only(docs, "Deployment", null);
        Map<String, Object> exim = container(deployment, "exim");
        assertThat(get(exim, "image")).isEqualTo("registry.example.org/mail/exim4:4.97");
        assertThat(get(exim, "command")).isEqualTo(List.of("/usr/sbin/exim"));
        assertThat(get(exim, "args")).asString().contains("-bdf").contains("2526");
        assertThat(get(exim, "env")).isEqualTo(List.of(Map.of("name", "TZ", "value", "UTC")));
        assertThat(containerPort(exim, "smtp-backend")).isEqualTo(2526);
        assertThat(maps(exim, "volumeMounts")).anySatisfy(m -> assertThat(m)
            .containsEntry("mountPath", "/etc/exim/exim.conf").containsEntry("subPath", "exim.conf"));
        assertThat(maps(exim, "volumeMounts")).anySatisfy(m -> assertThat(m).containsEntry("name", "exim-spool"));
        assertThat(get(exim, "lifecycle.preStop.exec.command")).isEqualTo(List.of("sleep", "25"));
        assertThat(get(exim, "livenessProbe.exec.command")).isEqualTo(List.of("exim", "-bV"));
        assertThat((String) map(only(docs, "ConfigMap", HelmChart.fullname() + "-mta"), "data").get("exim.conf"))
            .contains("daemon_smtp_ports = 2526");

        Map<String, Object> sidecar = container(deployment, "sidecar");
        assertThat(get(sidecar, "image")).isEqualTo("registry.example.org/mail/smtp-sidecar@sha256:"
            + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assertThat(get(sidecar, "env")).isEqualTo(List.of(Map.of("name", "JAVA_TOOL_OPTIONS", "value",
            "-XX:NativeMemoryTracking=summary")));
        Map<String, Object> pod = map(deployment, "spec.template.spec");
        assertThat(get(pod, "nodeSelector")).isEqualTo(Map.of("kubernetes.io/os", "linux"));
        assertThat(maps(pod, "tolerations")).hasSize(1);
        assertThat(get(pod, "affinity.nodeAffinity")).isNotNull();
        assertThat(ofKind(docs, "PodDisruptionBudget")).isEmpty();
        assertThat(integer(deployment, "spec.replicas")).isEqualTo(1);
    }

    @Test
    void withoutAnMtaContainerThePodHoldsOnlyTheSidecar() {
        List<Map<String, Object>> docs = chart.render(HelmChart.DIR.resolve("ci/external-mta-values.yaml"));
        Map<String, Object> deployment = only(docs, "Deployment", null);
        assertThat(maps(deployment, "spec.template.spec.containers")).extracting(c -> c.get("name"))
            .containsExactly("sidecar");
        assertThat(ofKind(docs, "ConfigMap")).hasSize(1);
        assertThat(ofKind(docs, "ServiceAccount")).isEmpty();
        assertThat(string(deployment, "spec.template.spec.serviceAccountName")).isEqualTo("default");
        assertThat(get(deployment, "spec.template.spec.topologySpreadConstraints")).isNull();
    }

    @Test
    void mtaPreStopFollowsTheMetricsPortAndTheGracePeriod() throws Exception {
        Map<String, Object> deployment = only(chart.render("""
            terminationGracePeriodSeconds: 60
            sidecar:
              config:
                metrics: {port: 9300}
                shutdown: {drainTimeout: 50s}
            """), "Deployment", null);
        List<?> command = (List<?>) get(container(deployment, "postfix"), "lifecycle.preStop.exec.command");
        assertThat(command.get(command.size() - 1).toString()).contains("seq 1 58")
            .contains("/dev/tcp/127.0.0.1/9300");
        assertThat(containerPort(container(deployment, "sidecar"), "metrics")).isEqualTo(9300);
    }

    @Test
    void hotReloadableChangesDoNotRollThePodsButStartupOnlyKeysDo() throws Exception {
        Map<String, Object> base = podAnnotations("{}");
        Map<String, Object> requiredHosts = podAnnotations("sidecar: {config: {proxy: {requiredHosts: [10.1.2.3]}}}");
        Map<String, Object> logFormat = podAnnotations("sidecar: {config: {log: {format: text}}}");
        Map<String, Object> rolling = podAnnotations(
            "sidecar: {rollOnConfigChange: true, config: {proxy: {requiredHosts: [10.1.2.3]}}}");
        Map<String, Object> mtaFile = podAnnotations("mta: {configFiles: {main.cf: \"inet_interfaces = 127.0.0.1\\n\"}}");

        assertThat(requiredHosts).isEqualTo(base);
        assertThat(logFormat.get("checksum/sidecar-restart-keys")).isNotEqualTo(base.get("checksum/sidecar-restart-keys"));
        assertThat(base).doesNotContainKey("checksum/sidecar-config");
        assertThat(rolling).containsKey("checksum/sidecar-config");
        assertThat(mtaFile.get("checksum/mta-config")).isNotEqualTo(base.get("checksum/mta-config"));
    }

    @Test
    void notesWarnWhenNoPeerMaySendAHeaderAndListThemOtherwise() throws Exception {
        assertThat(chart.notes("{}")).contains("WARNING: sidecar.config.proxy.requiredHosts is empty")
            .contains("kubectl -n mail logs deployment/mx-smtp-sidecar -c sidecar");
        assertThat(chart.notes("sidecar: {config: {proxy: {requiredHosts: [198.51.100.10, 198.51.100.11]}}}"))
            .contains("PROXY headers are required from: 198.51.100.10, 198.51.100.11").doesNotContain("WARNING");
        assertThat(chart.notes("sidecar: {config: {proxy: {requiredHosts: \"10.0.0.0/8 : 192.0.2.7\"}}}"))
            .contains("PROXY headers are required from: 10.0.0.0/8 : 192.0.2.7");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        service: {port: 70000}                                     | /service/port
        replicas: 2                                                | additional properties 'replicas'
        replicaCount: two                                          | /replicaCount
        sidecar: {config: {proxy: {headerTimeout: 3x}}}            | /sidecar/config/proxy/headerTimeout
        sidecar: {config: {proxy: {requiredHost: 10.0.0.1}}}       | additional properties 'requiredHost'
        sidecar: {config: {listen: {port: "2525"}}}                | /sidecar/config/listen/port
        sidecar: {config: {log: {format: xml}}}                    | /sidecar/config/log/format
        sidecar: {config: {backend: {handshake: proxy}}}           | /sidecar/config/backend/handshake
        metrics: {serviceMonitor: {enabled: "yes"}}                | /metrics/serviceMonitor/enabled
        service: {type: External}                                  | /service/type
        networkPolicy: {enabled: true}                             | /networkPolicy/smtpFrom
        image: {pullPolicy: Sometimes}                             | /image/pullPolicy
        mta: {securityContext: privileged}                         | /mta/securityContext
        sidecar: {config: {tls: {mode: starttls}}}                 | /sidecar/config/tls/mode
        sidecar: {config: {tls: {handshakeTimeout: 10}}}           | /sidecar/config/tls/handshakeTimeout
        sidecar: {config: {tls: {ciphers: all}}}                   | additional properties 'ciphers'
        sidecar: {config: {listeners: [{name: Submission, port: 2587}]}}          | /sidecar/config/listeners/0/name
        sidecar: {config: {listeners: [{name: smtp, port: 2525, servicePort: 25}]}} | additional properties 'servicePort'
        sidecar: {config: {listeners: [{name: smtp}]}}                            | /sidecar/config/listeners/0
        sidecar: {config: {listeners: [{name: smtp, port: 2525, tls: {mode: tls}}]}} | /sidecar/config/listeners/0/tls/mode
        sidecar: {config: {listeners: [{name: smtp, port: 2525, backend: {handshake: proxy}}]}} | /sidecar/config/listeners/0/backend/handshake
        sidecar: {config: {listeners: [{name: smtp, port: 2525, dns: {timeout: 1s}}]}} | additional properties 'dns'
        sidecar: {config: {listeners: []}}                         | /sidecar/config/listeners
        sidecar: {tls: {secretName: My_Cert}}                      | /sidecar/tls/secretName
        service: {ports: {smtp: 0}}                                | /service/ports/smtp
        service: {ports: {Smtp: 25}}                               | invalid propertyName 'Smtp'
        networkPolicy: {listenerFrom: {smtp: []}}                  | /networkPolicy/listenerFrom/smtp
        """)
    void schemaRejectsBadValues(String values, String where) throws Exception {
        Path file = chart.valuesFile(values);
        assertThatThrownBy(() -> chart.template(file))
            .hasMessageContaining("values don't meet the specifications of the schema")
            .hasMessageContaining(where);
    }

    @Test
    void lintFailsOnAValueTheSchemaRejects() throws Exception {
        LintResult result = chart.lint(chart.valuesFile("service: {port: 0}"));
        assertThat(result.isFailed()).isTrue();
        assertThat(String.join("\n", result.getMessages())).contains("/service/port");
    }

    @Test
    void schemaKnowsExactlyTheSidecarsConfigurationKeys() throws Exception {
        JsonObject schema = new JsonObject(Files.readString(HelmChart.DIR.resolve("values.schema.json")));
        JsonObject config = schema.getJsonObject("properties").getJsonObject("sidecar").getJsonObject("properties")
            .getJsonObject("config");
        assertThat(config.getBoolean("additionalProperties")).isFalse();
        JsonObject sections = config.getJsonObject("properties");
        Set<String> expectedSections = new TreeSet<>(ConfigKeys.sections());
        expectedSections.add(ConfigKeys.LISTENERS);
        assertThat(new TreeSet<>(sections.fieldNames())).isEqualTo(expectedSections);
        Set<String> keys = new TreeSet<>();
        for (String section : sections.fieldNames()) {
            if (section.equals("listeners")) {
                continue;
            }
            JsonObject sectionSchema = resolve(schema, sections.getJsonObject(section));
            assertThat(sectionSchema.getBoolean("additionalProperties")).as(section).isFalse();
            sectionSchema.getJsonObject("properties").fieldNames().forEach(k -> keys.add(section + "." + k));
        }
        assertThat(keys).isEqualTo(new TreeSet<>(ConfigKeys.PATHS));
    }

    @Test
    void aListenerTakesTheSameSectionSchemasAsTheTopLevel() throws Exception {
        JsonObject schema = new JsonObject(Files.readString(HelmChart.DIR.resolve("values.schema.json")));
        JsonObject sections = schema.getJsonObject("properties").getJsonObject("sidecar").getJsonObject("properties")
            .getJsonObject("config").getJsonObject("properties");
        JsonObject listener = sections.getJsonObject("listeners").getJsonObject("items");
        assertThat(listener.getBoolean("additionalProperties")).isFalse();
        assertThat(listener.getJsonArray("required").getList()).containsExactlyInAnyOrder("name", "port");
        JsonObject properties = listener.getJsonObject("properties");
        Set<String> expected = new TreeSet<>(ConfigKeys.LISTENER_FIELDS);
        expected.addAll(LISTENER_SECTIONS);
        assertThat(new TreeSet<>(properties.fieldNames())).isEqualTo(expected);
        for (String section : LISTENER_SECTIONS) {
            // one definition for both: a key added to a section is valid in a listener too
            assertThat(properties.getJsonObject(section).getString("$ref")).as(section)
                .isEqualTo("#/definitions/" + section)
                .isEqualTo(sections.getJsonObject(section).getString("$ref"));
        }
        assertThat(resolve(schema, properties.getJsonObject("name")).getString("pattern"))
            .isEqualTo("^[a-z][a-z0-9]{0,31}$");
    }

    /** A schema node, or the definition its $ref names. */
    private static JsonObject resolve(JsonObject schema, JsonObject node) {
        String ref = node.getString("$ref");
        if (ref == null) {
            return node;
        }
        assertThat(ref).startsWith("#/definitions/");
        return schema.getJsonObject("definitions").getJsonObject(ref.substring("#/definitions/".length()));
    }

    @Test
    void chartAndManifestsShipThisVersion() throws Exception {
        String pomVersion = Manifests.version().replace("-SNAPSHOT", "");
        assertThat(appVersion()).isEqualTo(pomVersion);
        Map<String, Object> kustomization = Manifests.document(Manifests.repo().resolve("deploy/kustomization.yaml"));
        assertThat(maps(kustomization, "images")).anySatisfy(i -> assertThat(i)
            .containsEntry("name", "smtp-sidecar").containsEntry("newTag", pomVersion));
        Map<String, Object> chartYaml = Manifests.document(HelmChart.DIR.resolve("Chart.yaml"));
        assertThat(chartYaml).containsEntry("apiVersion", "v2").containsKey("kubeVersion");
    }

    /** What every rendering must give: a pod whose sidecar can run the ConfigMap it mounts, safely. */
    private static void assertValidPod(List<Map<String, Object>> docs) {
        Map<String, Object> deployment = only(docs, "Deployment", HelmChart.fullname());
        Map<String, Object> configMap = only(docs, "ConfigMap", HelmChart.fullname());
        SidecarConfig config = Manifests.sidecarConfig(configMap);

        Map<String, Object> pod = map(deployment, "spec.template.spec");
        Map<String, Object> sidecar = container(deployment, "sidecar");
        List<Listener> listeners = Manifests.listeners(configMap);
        assertThat(maps(sidecar, "ports")).extracting(p -> p.get("name")).filteredOn(n -> !"metrics".equals(n))
            .containsExactlyElementsOf(listeners.stream().map(Listener::portName).toList());
        for (Listener listener : listeners) {
            assertThat(containerPort(sidecar, listener.portName())).as(listener.name()).isEqualTo(listener.port());
        }
        assertThat(containerPort(sidecar, "metrics")).isEqualTo(config.metrics().port());
        assertThat(get(sidecar, "args")).isEqualTo(List.of("--config", "/etc/smtp-sidecar/sidecar.yaml"));
        assertThat(get(sidecar, "livenessProbe.httpGet")).isEqualTo(Map.of("path", "/healthz", "port", "metrics"));
        assertThat(get(sidecar, "readinessProbe.httpGet")).isEqualTo(Map.of("path", "/readyz", "port", "metrics"));
        assertThat(get(sidecar, "startupProbe.httpGet")).isEqualTo(Map.of("path", "/healthz", "port", "metrics"));

        Map<String, Object> sc = map(sidecar, "securityContext");
        assertThat(sc).containsEntry("runAsNonRoot", true).containsEntry("readOnlyRootFilesystem", true)
            .containsEntry("allowPrivilegeEscalation", false);
        assertThat(get(sc, "capabilities.drop")).isEqualTo(List.of("ALL"));
        assertThat(pod).containsEntry("automountServiceAccountToken", false).containsEntry("enableServiceLinks", false);
        assertThat((long) integer(deployment, "spec.template.spec.terminationGracePeriodSeconds"))
            .isGreaterThan(config.shutdown().drainTimeout().toSeconds());

        Map<String, Object> configMount = maps(sidecar, "volumeMounts").stream()
            .filter(m -> "/etc/smtp-sidecar".equals(m.get("mountPath"))).findFirst().orElseThrow();
        assertThat(configMount).doesNotContainKey("subPath");
        List<Map<String, Object>> volumes = maps(pod, "volumes");
        assertThat(volumes).anySatisfy(v -> {
            assertThat(v).containsEntry("name", configMount.get("name"));
            assertThat(get(v, "configMap.name")).isEqualTo(HelmChart.fullname());
        });
        assertThat(volumes).anySatisfy(v -> assertThat(v).containsEntry("name", "sidecar-tmp").containsKey("emptyDir"));
        // every mount has its volume
        for (Map<String, Object> c : maps(pod, "containers")) {
            for (Map<String, Object> m : maps(c, "volumeMounts")) {
                assertThat(volumes).as(c.get("name") + " mounts " + m.get("name"))
                    .anyMatch(v -> v.get("name").equals(m.get("name")));
            }
        }

        Map<String, Object> podLabels = map(deployment, "spec.template.metadata.labels");
        assertThat(podLabels).containsAllEntriesOf(map(deployment, "spec.selector.matchLabels"));
        for (Map<String, Object> service : ofKind(docs, "Service")) {
            assertThat(podLabels).containsAllEntriesOf(map(service, "spec.selector"));
            for (Map<String, Object> port : maps(service, "spec.ports")) {
                String target = string(port, "targetPort");
                assertThat(maps(sidecar, "ports")).anyMatch(p -> target.equals(p.get("name")));
            }
        }
        for (Map<String, Object> doc : docs) {
            assertThat(map(doc, "metadata.labels")).containsKeys("helm.sh/chart", "app.kubernetes.io/name",
                "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by");
        }
    }

    private Map<String, Object> podAnnotations(String... values) throws Exception {
        return map(only(chart.render(values), "Deployment", null), "spec.template.metadata.annotations");
    }

    private static String appVersion() throws Exception {
        return string(Manifests.document(HelmChart.DIR.resolve("Chart.yaml")), "appVersion");
    }

    private static void assertLintClean(LintResult result) {
        assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
        // --strict already fails on warnings; only the icon hint may remain
        assertThat(result.getMessages()).allMatch(m -> m.startsWith("[INFO]"), "only [INFO] messages");
    }
}
