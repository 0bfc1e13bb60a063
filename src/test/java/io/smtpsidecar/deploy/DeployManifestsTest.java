package io.smtpsidecar.deploy;

import static io.smtpsidecar.deploy.Manifests.container;
import static io.smtpsidecar.deploy.Manifests.containerPort;
import static io.smtpsidecar.deploy.Manifests.get;
import static io.smtpsidecar.deploy.Manifests.integer;
import static io.smtpsidecar.deploy.Manifests.map;
import static io.smtpsidecar.deploy.Manifests.maps;
import static io.smtpsidecar.deploy.Manifests.only;
import static io.smtpsidecar.deploy.Manifests.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/ as an operator applies it with {@code kubectl apply -k deploy/}: every file parsed and checked against
 * the others and against the product (the ConfigMap goes through the sidecar's own loader). kubectl, postconf and
 * haproxy add their own checks where they are installed.
 */
class DeployManifestsTest {
    private static final Path DEPLOY = Manifests.repo().resolve("deploy");
    /** Capabilities the Pod Security Standard "baseline" lets a container add. */
    private static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE",
        "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
        "SYS_CHROOT");

    private static List<Map<String, Object>> resources;
    private static Map<String, Object> deployment;
    private static Map<String, Object> sidecar;
    private static Map<String, Object> postfix;
    private static SidecarConfig config;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        resources = new ArrayList<>();
        for (String file : kustomizationResources()) {
            resources.add(Manifests.document(DEPLOY.resolve(file)));
        }
        deployment = only(resources, "Deployment", "smtp-sidecar");
        sidecar = container(deployment, "sidecar");
        postfix = container(deployment, "postfix");
        config = Manifests.sidecarConfig(only(resources, "ConfigMap", "smtp-sidecar"));
    }

    private static List<String> kustomizationResources() throws Exception {
        return stringList(Manifests.document(DEPLOY.resolve("kustomization.yaml")).get("resources"));
    }

    @SuppressWarnings("unchecked")
    private static List<String> stringList(Object node) {
        return (List<String>) node;
    }

    @Test
    void kustomizationListsEveryManifestOnceAndEachFileHoldsOneResource() throws Exception {
        Set<String> files;
        try (Stream<Path> list = Files.list(DEPLOY)) {
            files = list.map(p -> p.getFileName().toString())
                .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                .collect(Collectors.toSet());
        }
        assertThat(kustomizationResources()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(files);
        assertThat(resources).extracting(r -> r.get("kind")).containsExactlyInAnyOrder("ServiceAccount",
            "ConfigMap", "ConfigMap", "Deployment", "Service", "Service", "PodDisruptionBudget", "NetworkPolicy");
        for (Map<String, Object> r : resources) {
            assertThat(map(r, "metadata.labels")).containsEntry("app.kubernetes.io/name", "smtp-sidecar");
        }
    }

    @Test
    void sidecarConfigMapIsAcceptedByTheProductsLoader() {
        assertThat(config.listen().port()).isEqualTo(2525);
        assertThat(config.backend().host()).isEqualTo("127.0.0.1");
        assertThat(config.backend().port()).isEqualTo(25);
        assertThat(config.proxy().requiredHosts().isEmpty()).isFalse();
        assertThat(config.log()).isEqualTo(SidecarConfig.Log.JSON);
        assertThat(config.smtp().hostname()).isEqualTo("mx.example.org");
        // the drain must end before the kubelet's SIGKILL
        assertThat((long) integer(deployment, "spec.template.spec.terminationGracePeriodSeconds"))
            .isGreaterThan(config.shutdown().drainTimeout().toSeconds());
    }

    @Test
    void sidecarContainerListensWhereItsConfigurationSaysAndIsProbedOnTheOperationsPort() {
        assertThat(containerPort(sidecar, "smtp")).isEqualTo(config.listen().port());
        assertThat(containerPort(sidecar, "metrics")).isEqualTo(config.metrics().port());
        assertThat(get(sidecar, "livenessProbe.httpGet")).isEqualTo(Map.of("path", "/healthz", "port", "metrics"));
        assertThat(get(sidecar, "startupProbe.httpGet")).isEqualTo(Map.of("path", "/healthz", "port", "metrics"));
        assertThat(get(sidecar, "readinessProbe.httpGet")).isEqualTo(Map.of("path", "/readyz", "port", "metrics"));
        assertThat(get(sidecar, "resources.limits.memory")).isNotNull();
    }

    @Test
    void configMapIsMountedAsADirectoryWhereTheImageLooksForIt() throws Exception {
        List<String> cmd = Dockerfile.parse(Manifests.repo().resolve("Dockerfile")).runtime().last("CMD")
            .orElseThrow().execForm();
        assertThat(stringList(sidecar.get("args"))).isEqualTo(cmd);
        String configDir = Path.of(cmd.get(1)).getParent().toString();
        Map<String, Object> mount = mount(sidecar, configDir);
        // subPath mounts never see ConfigMap updates, and hot reload depends on them
        assertThat(mount).doesNotContainKey("subPath").containsEntry("readOnly", true);
        assertThat(get(volume(string(mount, "name")), "configMap.name")).isEqualTo("smtp-sidecar");
        assertThat(volume(string(mount(sidecar, "/tmp"), "name"))).containsKey("emptyDir");
    }

    @Test
    void podAndContainersAreLockedDown() throws Exception {
        Map<String, Object> pod = map(deployment, "spec.template.spec");
        assertThat(pod).containsEntry("automountServiceAccountToken", false).containsEntry("enableServiceLinks", false);
        assertThat(get(pod, "securityContext.seccompProfile.type")).isEqualTo("RuntimeDefault");
        assertThat(get(only(resources, "ServiceAccount", null), "automountServiceAccountToken")).isEqualTo(false);

        Map<String, Object> sc = map(sidecar, "securityContext");
        String user = Dockerfile.parse(Manifests.repo().resolve("Dockerfile")).runtime().last("USER").orElseThrow()
            .args().split(":")[0];
        assertThat(sc).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", Integer.valueOf(user))
            .containsEntry("readOnlyRootFilesystem", true).containsEntry("allowPrivilegeEscalation", false);
        assertThat(get(sc, "capabilities.drop")).isEqualTo(List.of("ALL"));

        Map<String, Object> mta = map(postfix, "securityContext");
        assertThat(mta).containsEntry("allowPrivilegeEscalation", false);
        assertThat(get(mta, "capabilities.drop")).isEqualTo(List.of("ALL"));
        assertThat(stringList(get(mta, "capabilities.add"))).isSubsetOf(BASELINE_CAPABILITIES);
    }

    @Test
    void postfixListensOnLoopbackOnlyAndAuthorizesOnlyTheSidecarForXclient() {
        Map<String, String> main = postfixMain(postfixFile("main.cf"));
        assertThat(main.get("inet_interfaces")).isIn("loopback-only", "127.0.0.1");
        assertThat(main.get("inet_protocols")).isEqualTo("all");
        assertThat(main.get("smtpd_authorized_xclient_hosts")).isEqualTo(config.backend().host());
        // addresses only: a host name there lets a client keep the sidecar's name and send a second XCLIENT
        for (String item : main.get("smtpd_authorized_xclient_hosts").split("[,\\s]+")) {
            assertThat(IpAddresses.parse(item)).as(item).isNotNull();
        }
        assertThat(main.get("mynetworks")).isEmpty();
        assertThat(main.get("maillog_file")).isEqualTo("/dev/stdout");
        // the sidecar's backend.port: the "smtp" service is port 25
        assertThat(config.backend().port()).isEqualTo(25);
        assertThat(postfixFile("master.cf").lines()).anyMatch(l -> l.matches("smtp\\s+inet\\s+n\\s+-\\s+n\\s.*smtpd"));
        assertThat(postfixFile("master.cf").lines()).anyMatch(l -> l.startsWith("postlog "));
    }

    @Test
    void postfixFilesAreMountedOneByOneAndMatchTheChartDefaults() throws Exception {
        for (String file : List.of("main.cf", "master.cf")) {
            Map<String, Object> m = mount(postfix, "/etc/postfix/" + file);
            assertThat(m).containsEntry("subPath", file);
            assertThat(get(volume(string(m, "name")), "configMap.name")).isEqualTo("smtp-sidecar-postfix");
        }
        Map<String, Object> values = Manifests.document(Manifests.repo().resolve("helm/smtp-sidecar/values.yaml"));
        assertThat(map(values, "mta.configFiles"))
            .isEqualTo(map(only(resources, "ConfigMap", "smtp-sidecar-postfix"), "data"));
    }

    @Test
    void postfixOutlivesTheSidecarsDrain() {
        List<String> preStop = stringList(get(postfix, "lifecycle.preStop.exec.command"));
        String script = preStop.get(preStop.size() - 1);
        assertThat(script).contains("/dev/tcp/127.0.0.1/" + config.metrics().port());
        Matcher seconds = Pattern.compile("seq 1 (\\d+)").matcher(script);
        assertThat(seconds.find()).isTrue();
        int grace = integer(deployment, "spec.template.spec.terminationGracePeriodSeconds");
        assertThat(Integer.parseInt(seconds.group(1))).isGreaterThan((int) config.shutdown().drainTimeout().toSeconds())
            .isLessThan(grace);
        assertThat(stringList(get(postfix, "livenessProbe.exec.command"))).containsExactly("postfix", "status");
    }

    @Test
    void servicesMapPort25ToTheSidecarAndKeepMetricsInside() {
        Map<String, Object> smtp = only(resources, "Service", "smtp-sidecar");
        Map<String, Object> port = maps(smtp, "spec.ports").get(0);
        assertThat(port).containsEntry("port", 25).containsEntry("targetPort", "smtp");
        assertThat(string(smtp, "spec.externalTrafficPolicy")).isEqualTo("Local");
        assertThat(maps(smtp, "spec.ports")).noneMatch(p -> "metrics".equals(p.get("targetPort")));

        Map<String, Object> metrics = only(resources, "Service", "smtp-sidecar-metrics");
        assertThat(string(metrics, "spec.type")).isEqualTo("ClusterIP");
        assertThat(maps(metrics, "spec.ports").get(0)).containsEntry("port", 9100).containsEntry("targetPort", "metrics");

        Map<String, Object> podLabels = map(deployment, "spec.template.metadata.labels");
        assertThat(podLabels).containsAllEntriesOf(map(deployment, "spec.selector.matchLabels"));
        for (Map<String, Object> service : List.of(smtp, metrics)) {
            assertThat(podLabels).containsAllEntriesOf(map(service, "spec.selector"));
        }
        Map<String, Object> pdb = only(resources, "PodDisruptionBudget", null);
        assertThat(podLabels).containsAllEntriesOf(map(pdb, "spec.selector.matchLabels"));
        assertThat(integer(pdb, "spec.maxUnavailable")).isEqualTo(1);
        assertThat(integer(deployment, "spec.replicas")).isGreaterThan(1);
    }

    @Test
    void networkPolicyAdmitsOnlyTheListedLoadBalancersToSmtp() throws Exception {
        Map<String, Object> policy = only(resources, "NetworkPolicy", null);
        assertThat(map(deployment, "spec.template.metadata.labels"))
            .containsAllEntriesOf(map(policy, "spec.podSelector.matchLabels"));
        List<Map<String, Object>> rules = maps(policy, "spec.ingress");
        // a rule without "from" would admit everyone
        assertThat(rules).allMatch(r -> r.get("from") instanceof List<?> l && !l.isEmpty());
        Map<String, Object> smtpRule = rules.stream()
            .filter(r -> maps(r, "ports").stream().anyMatch(p -> "smtp".equals(p.get("port"))))
            .findFirst().orElseThrow();
        for (Map<String, Object> peer : maps(smtpRule, "from")) {
            String cidr = string(peer, "ipBlock.cidr");
            assertThat(cidr).as("SMTP peers are load-balancer addresses").endsWith("/32");
            InetAddress lb = InetAddress.getByName(cidr.substring(0, cidr.indexOf('/')));
            assertThat(config.proxy().requiredHosts().matches(lb)).as(cidr + " in proxy.requiredHosts").isTrue();
        }
        assertThat(rules).anyMatch(r -> maps(r, "ports").stream().anyMatch(p -> "metrics".equals(p.get("port"))));
    }

    @Test
    void haproxySendsProxyV2AndChecksEveryServerOnTheNodePort() throws Exception {
        Map<String, Object> smtp = only(resources, "Service", "smtp-sidecar");
        int nodePort = integer(maps(smtp, "spec.ports").get(0), "nodePort");
        List<String> lines = Files.readAllLines(DEPLOY.resolve("haproxy/haproxy.cfg")).stream().map(String::strip)
            .toList();
        List<String> servers = lines.stream().filter(l -> l.startsWith("server ")).toList();
        assertThat(servers).isNotEmpty().allSatisfy(server -> {
            List<String> words = List.of(server.split("\\s+"));
            assertThat(words).contains("send-proxy-v2", "check");
            assertThat(words.get(2)).endsWith(":" + nodePort);
        });
        assertThat(lines).contains("mode tcp").anyMatch(l -> l.startsWith("option smtpchk"));
    }

    @Test
    void haproxyAcceptsTheConfiguration() throws Exception {
        assumeTrue(Tools.locate("haproxy").isPresent(), "haproxy is not installed");
        Tools.Result r = Tools.run(DEPLOY, "haproxy", "-c", "-f", DEPLOY.resolve("haproxy/haproxy.cfg").toString());
        assertThat(r.exit()).as(r.output()).isZero();
    }

    @Test
    void postconfReadsThePostfixFilesWithoutWarnings() throws Exception {
        assumeTrue(Tools.locate("postconf").isPresent(), "postconf (Postfix) is not installed");
        Files.writeString(tmp.resolve("main.cf"), postfixFile("main.cf"));
        Files.writeString(tmp.resolve("master.cf"), postfixFile("master.cf"));
        Tools.Result main = Tools.run(tmp, "postconf", "-c", tmp.toString(), "-n");
        assertThat(main.exit()).as(main.output()).isZero();
        assertThat(main.output()).doesNotContain("warning").contains("smtpd_authorized_xclient_hosts = 127.0.0.1");
        Tools.Result master = Tools.run(tmp, "postconf", "-c", tmp.toString(), "-M");
        assertThat(master.exit()).as(master.output()).isZero();
        assertThat(master.output()).doesNotContain("warning");
    }

    @Test
    void kubectlKustomizeBuildsTheSameResourcesWithTheImagesReplaced() throws Exception {
        assumeTrue(Tools.locate("kubectl").isPresent(), "kubectl is not installed");
        Tools.Result r = Tools.run(Manifests.repo(), "kubectl", "kustomize", "deploy");
        assertThat(r.exit()).as(r.output()).isZero();
        List<Map<String, Object>> built = Manifests.documents(r.output());
        assertThat(built).extracting(d -> d.get("kind") + "/" + get(d, "metadata.name"))
            .containsExactlyInAnyOrderElementsOf(resources.stream()
                .map(d -> d.get("kind") + "/" + get(d, "metadata.name")).toList());
        Map<String, Object> kustomization = Manifests.document(DEPLOY.resolve("kustomization.yaml"));
        Map<String, Object> builtDeployment = only(built, "Deployment", "smtp-sidecar");
        for (Map<String, Object> image : maps(kustomization, "images")) {
            String expected = image.get("newName") + ":" + image.get("newTag");
            assertThat(maps(builtDeployment, "spec.template.spec.containers"))
                .anyMatch(c -> expected.equals(c.get("image")));
        }
    }

    private static String postfixFile(String name) {
        return (String) map(only(resources, "ConfigMap", "smtp-sidecar-postfix"), "data").get(name);
    }

    /** main.cf as Postfix reads it: "name = value", comments, continuation lines starting with white space. */
    static Map<String, String> postfixMain(String text) {
        Map<String, String> params = new LinkedHashMap<>();
        String last = null;
        for (String line : text.lines().toList()) {
            if (line.isBlank() || line.strip().startsWith("#")) {
                continue;
            }
            if (Character.isWhitespace(line.charAt(0)) && last != null) {
                params.put(last, (params.get(last) + " " + line.strip()).strip());
                continue;
            }
            int eq = line.indexOf('=');
            last = line.substring(0, eq).strip();
            params.put(last, line.substring(eq + 1).strip());
        }
        return params;
    }

    private static Map<String, Object> mount(Map<String, Object> container, String mountPath) {
        return maps(container, "volumeMounts").stream().filter(m -> mountPath.equals(m.get("mountPath")))
            .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + mountPath));
    }

    private static Map<String, Object> volume(String name) {
        return maps(deployment, "spec.template.spec.volumes").stream().filter(v -> name.equals(v.get("name")))
            .findFirst().orElseThrow(() -> new AssertionError("no volume " + name));
    }
}
