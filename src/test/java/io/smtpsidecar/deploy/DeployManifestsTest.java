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
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.deploy.Manifests.Listener;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
    private static List<Listener> listeners;

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
        listeners = Manifests.listeners(only(resources, "ConfigMap", "smtp-sidecar"));
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
        assertThat(listeners).extracting(Listener::name, Listener::port)
            .containsExactly(tuple("smtp", 2525), tuple("submission", 2587), tuple("submissions", 2465));
        // listen.port beside listeners is a configuration error
        assertThat(Manifests.sidecarFile(only(resources, "ConfigMap", "smtp-sidecar"))).doesNotContainKey("listen");
        assertThat(listeners.get(2).setting("tls.mode")).isEqualTo("terminate");
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
        assertThat(maps(sidecar, "ports")).extracting(p -> p.get("name")).filteredOn(n -> !"metrics".equals(n))
            .containsExactlyElementsOf(listeners.stream().map(Listener::portName).toList());
        for (Listener listener : listeners) {
            assertThat(containerPort(sidecar, listener.portName())).as(listener.name()).isEqualTo(listener.port());
        }
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
    void theTlsSecretIsMountedAsADirectoryWhereTheTerminatingListenerAndPostfixReadIt() throws Exception {
        Map<String, Object> secretVolume = maps(deployment, "spec.template.spec.volumes").stream()
            .filter(v -> v.containsKey("secret")).findFirst().orElseThrow();
        String secretName = string(secretVolume, "secret.secretName");
        Map<String, Object> sidecarMount = mountOf(sidecar, string(secretVolume, "name"));
        // subPath mounts never see a renewed Secret
        assertThat(sidecarMount).doesNotContainKey("subPath").containsEntry("readOnly", true);
        String dir = string(sidecarMount, "mountPath");
        List<Listener> terminating = listeners.stream().filter(l -> "terminate".equals(l.setting("tls.mode")))
            .toList();
        assertThat(terminating).extracting(Listener::name).containsExactly("submissions");
        for (Listener listener : terminating) {
            // the two keys of a kubernetes.io/tls Secret
            assertThat(listener.setting("tls.certificate")).isEqualTo(dir + "/tls.crt");
            assertThat(listener.setting("tls.key")).isEqualTo(dir + "/tls.key");
        }

        Map<String, Object> postfixMount = mountOf(postfix, string(secretVolume, "name"));
        assertThat(postfixMount).doesNotContainKey("subPath");
        String postfixDir = string(postfixMount, "mountPath");
        Map<Integer, List<String>> services = postfixInetServices(postfixFile("master.cf"));
        for (int port : List.of(25, 587)) {
            assertThat(services.get(port)).as("port " + port).contains("smtpd_tls_cert_file=" + postfixDir + "/tls.crt",
                "smtpd_tls_key_file=" + postfixDir + "/tls.key");
        }

        // the optional cert-manager Certificate fills that Secret, for the name the sidecar announces
        Map<String, Object> certificate = Manifests.document(DEPLOY.resolve("cert-manager/certificate.yaml"));
        assertThat(string(certificate, "kind")).isEqualTo("Certificate");
        assertThat(string(certificate, "spec.secretName")).isEqualTo(secretName);
        assertThat(stringList(get(certificate, "spec.dnsNames"))).contains(config.smtp().hostname());
        assertThat(string(certificate, "spec.privateKey.encoding")).isEqualTo("PKCS8");
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
    void postfixHasAServiceOnTheBackendPortOfEveryListener() {
        Map<Integer, List<String>> services = postfixInetServices(postfixFile("master.cf"));
        for (Listener listener : listeners) {
            Object port = listener.setting("backend.port");
            int backendPort = port == null ? config.backend().port() : ((Number) port).intValue();
            assertThat(services).as(listener.name() + " -> " + backendPort).containsKey(backendPort);
            if ("terminate".equals(listener.setting("tls.mode"))) {
                // the client's TLS ended at the sidecar: Postfix must not ask for STARTTLS before AUTH
                assertThat(services.get(backendPort)).contains("smtpd_tls_security_level=none")
                    .doesNotContain("smtpd_tls_auth_only=yes");
            }
        }
        assertThat(services.keySet()).containsExactlyInAnyOrder(25, 587, 10465);
        assertThat(services.get(587)).contains("smtpd_tls_security_level=encrypt");
    }

    @Test
    void postfixFilesAreMountedOneByOneAndMatchTheChart() throws Exception {
        for (String file : List.of("main.cf", "master.cf")) {
            Map<String, Object> m = mount(postfix, "/etc/postfix/" + file);
            assertThat(m).containsEntry("subPath", file);
            assertThat(get(volume(string(m, "name")), "configMap.name")).isEqualTo("smtp-sidecar-postfix");
        }
        // main.cf is the chart's default, master.cf the one of the chart's three-port example
        Map<String, Object> values = Manifests.document(Manifests.repo().resolve("helm/smtp-sidecar/values.yaml"));
        Map<String, Object> threePorts = Manifests.document(
            Manifests.repo().resolve("helm/smtp-sidecar/ci/three-ports-values.yaml"));
        assertThat(postfixFile("main.cf")).isEqualTo(map(values, "mta.configFiles").get("main.cf"));
        assertThat(postfixFile("master.cf")).isEqualTo(map(threePorts, "mta.configFiles").get("master.cf"));
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
    void servicesMapTheThreeSmtpPortsToTheSidecarAndKeepMetricsInside() {
        Map<String, Object> smtp = only(resources, "Service", "smtp-sidecar");
        assertThat(maps(smtp, "spec.ports"))
            .extracting(p -> p.get("name"), p -> p.get("port"), p -> p.get("targetPort"), p -> p.get("nodePort"))
            .containsExactly(tuple("smtp", 25, "smtp", 30025), tuple("submission", 587, "submission", 30587),
                tuple("submissions", 465, "submissions", 30465));
        // every target is a listener's container port
        assertThat(maps(smtp, "spec.ports")).extracting(p -> p.get("targetPort"))
            .containsExactlyElementsOf(listeners.stream().map(Listener::portName).toList());
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
        Object topLevelProxy = Manifests.sidecarFile(only(resources, "ConfigMap", "smtp-sidecar")).get("proxy");
        for (Listener listener : listeners) {
            List<Map<String, Object>> portRules = rules.stream()
                .filter(r -> maps(r, "ports").stream().anyMatch(p -> listener.portName().equals(p.get("port"))))
                .toList();
            assertThat(portRules).as(listener.name()).hasSize(1);
            // no listener has a proxy section of its own, so the top-level matcher is every listener's
            assertThat(listener.setting("proxy")).isEqualTo(topLevelProxy);
            for (Map<String, Object> peer : maps(portRules.get(0), "from")) {
                String cidr = string(peer, "ipBlock.cidr");
                assertThat(cidr).as("SMTP peers are load-balancer addresses").endsWith("/32");
                InetAddress lb = InetAddress.getByName(cidr.substring(0, cidr.indexOf('/')));
                assertThat(config.proxy().requiredHosts().matches(lb)).as(cidr + " in proxy.requiredHosts").isTrue();
            }
        }
        assertThat(rules).anyMatch(r -> maps(r, "ports").stream().anyMatch(p -> "metrics".equals(p.get("port"))));
    }

    @Test
    void haproxyHasAFrontendPerServicePortSendingProxyV2ToItsNodePort() throws Exception {
        Map<Integer, Integer> nodePortOf = new TreeMap<>();
        for (Map<String, Object> port : maps(only(resources, "Service", "smtp-sidecar"), "spec.ports")) {
            nodePortOf.put(integer(port, "port"), integer(port, "nodePort"));
        }
        Map<String, List<String>> sections = haproxySections(
            Files.readAllLines(DEPLOY.resolve("haproxy/haproxy.cfg")));
        assertThat(sections.get("defaults")).contains("mode tcp");
        Map<Integer, Integer> routed = new TreeMap<>();
        for (Map.Entry<String, List<String>> frontend : sections.entrySet()) {
            if (!frontend.getKey().startsWith("frontend ")) {
                continue;
            }
            int bindPort = frontend.getValue().stream().filter(l -> l.startsWith("bind "))
                .map(l -> Integer.parseInt(l.substring(l.lastIndexOf(':') + 1))).findFirst().orElseThrow();
            String backendName = frontend.getValue().stream().filter(l -> l.startsWith("default_backend "))
                .map(l -> l.split("\\s+")[1]).findFirst().orElseThrow();
            List<String> backend = sections.get("backend " + backendName);
            assertThat(backend).as(backendName).isNotNull().anyMatch(l -> l.startsWith("option smtpchk"));
            List<String> servers = backend.stream().filter(l -> l.startsWith("server ")).toList();
            assertThat(servers).as(backendName).isNotEmpty().allSatisfy(server -> {
                List<String> words = List.of(server.split("\\s+"));
                assertThat(words).contains("send-proxy-v2", "check");
                assertThat(words.get(2)).endsWith(":" + nodePortOf.get(bindPort));
            });
            routed.put(bindPort, nodePortOf.get(bindPort));
        }
        // one frontend per Service port: 25, 587 and 465
        assertThat(routed.keySet()).isEqualTo(nodePortOf.keySet());
        // the sidecar terminates TLS on 465: its check has to do TLS after the header, or it fails
        int submissionsNodePort = nodePortOf.get(465);
        assertThat(sections.values().stream().flatMap(List::stream)
            .filter(l -> l.startsWith("server ") && l.contains(":" + submissionsNodePort + " ")))
            .isNotEmpty().allSatisfy(l -> assertThat(List.of(l.split("\\s+"))).contains("check-ssl"));
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

    /** haproxy.cfg as its sections ("global", "defaults", "frontend smtp", ...) with their stripped lines. */
    private static Map<String, List<String>> haproxySections(List<String> lines) {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : lines) {
            if (line.isBlank() || line.strip().startsWith("#")) {
                continue;
            }
            if (!Character.isWhitespace(line.charAt(0))) {
                current = new ArrayList<>();
                sections.put(line.strip(), current);
            } else if (current != null) {
                current.add(line.strip());
            }
        }
        return sections;
    }

    /**
     * The inet services of a master.cf by port (the "smtp" and "submission" service names as 25 and 587), each with
     * its -o options ("name=value").
     */
    static Map<Integer, List<String>> postfixInetServices(String masterCf) {
        Map<Integer, List<String>> services = new TreeMap<>();
        List<String> current = null;
        for (String line : masterCf.lines().toList()) {
            if (line.isBlank() || line.strip().startsWith("#")) {
                continue;
            }
            List<String> words = List.of(line.strip().split("\\s+"));
            if (Character.isWhitespace(line.charAt(0))) {
                if (current != null) {
                    for (int i = 0; i + 1 < words.size(); i++) {
                        if (words.get(i).equals("-o")) {
                            current.add(words.get(i + 1));
                        }
                    }
                }
                continue;
            }
            current = null;
            if (words.size() > 1 && words.get(1).equals("inet")) {
                String service = words.get(0).substring(words.get(0).lastIndexOf(':') + 1);
                int port = switch (service) {
                    case "smtp" -> 25;
                    case "submission" -> 587;
                    case "submissions", "smtps" -> 465;
                    default -> Integer.parseInt(service);
                };
                current = new ArrayList<>();
                services.put(port, current);
            }
        }
        return services;
    }

    private static Map<String, Object> mountOf(Map<String, Object> container, String volumeName) {
        return maps(container, "volumeMounts").stream().filter(m -> volumeName.equals(m.get("name")))
            .findFirst().orElseThrow(() -> new AssertionError(container.get("name") + " does not mount " + volumeName));
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
