package io.smtpsidecar.deploy;

import io.smtpsidecar.config.ConfigKeys;
import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.config.YamlConfigFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Kubernetes YAML as plain maps and lists, with dotted-path access, so that the tests read like the manifests.
 * Parsing only: nothing here needs kubectl, helm or a cluster.
 */
final class Manifests {
    private Manifests() {
    }

    /** The repository root: Maven runs tests there and sets {@code basedir}. */
    static Path repo() {
        return Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    }

    /** The jar's name as pom.xml sets it (build/finalName). */
    static String finalName() throws Exception {
        return pomElement("finalName");
    }

    /** The project version, e.g. 0.1.0-SNAPSHOT. */
    static String version() throws Exception {
        return pomElement("version");
    }

    /** The first element of that name in pom.xml, which for these two is the project's own. */
    private static String pomElement(String name) throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(repo().resolve("pom.xml").toFile());
        return pom.getDocumentElement().getElementsByTagName(name).item(0).getTextContent().strip();
    }

    /** Every non-empty document of a (multi-document) YAML text. */
    static List<Map<String, Object>> documents(String yaml) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
            if (doc != null) {
                docs.add(asMap(doc));
            }
        }
        return docs;
    }

    static Map<String, Object> document(Path file) throws IOException {
        List<Map<String, Object>> docs = documents(Files.readString(file));
        if (docs.size() != 1) {
            throw new AssertionError(file + ": expected one document, found " + docs.size());
        }
        return docs.get(0);
    }

    static Map<String, Object> load(String yaml) {
        return asMap(new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml));
    }

    /** The one document of this kind (and name, when given). */
    static Map<String, Object> only(List<Map<String, Object>> docs, String kind, String name) {
        List<Map<String, Object>> found = docs.stream()
            .filter(d -> kind.equals(d.get("kind")))
            .filter(d -> name == null || name.equals(get(d, "metadata.name")))
            .toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + (name == null ? "" : " " + name) + ", found "
                + found.size());
        }
        return found.get(0);
    }

    static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    /** Follows a dotted path of map keys; null when a step is missing. */
    static Object get(Object node, String path) {
        Object current = node;
        for (String key : path.split("\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(key);
        }
        return current;
    }

    static Map<String, Object> map(Object node, String path) {
        Object value = get(node, path);
        if (value == null) {
            throw new AssertionError("no " + path);
        }
        return asMap(value);
    }

    static List<Map<String, Object>> maps(Object node, String path) {
        Object value = get(node, path);
        if (!(value instanceof List<?> list)) {
            throw new AssertionError("no list at " + path);
        }
        return list.stream().map(Manifests::asMap).toList();
    }

    static String string(Object node, String path) {
        return Objects.toString(get(node, path), null);
    }

    static int integer(Object node, String path) {
        Object value = get(node, path);
        if (!(value instanceof Number n)) {
            throw new AssertionError(path + " is not a number: " + value);
        }
        return n.intValue();
    }

    static Map<String, Object> container(Map<String, Object> workload, String name) {
        return maps(workload, "spec.template.spec.containers").stream()
            .filter(c -> name.equals(c.get("name")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no container " + name));
    }

    /** The containerPort of a named port of a container. */
    static int containerPort(Map<String, Object> container, String portName) {
        return maps(container, "ports").stream()
            .filter(p -> portName.equals(p.get("name")))
            .map(p -> ((Number) p.get("containerPort")).intValue())
            .findFirst()
            .orElseThrow(() -> new AssertionError("no port " + portName + " in " + container.get("name")));
    }

    /** The sidecar YAML of a ConfigMap, read by the product's own loader (as the pod would at start). */
    static SidecarConfig sidecarConfig(Map<String, Object> configMap) {
        return ConfigReader.read(YamlConfigFile.parse(sidecarYaml(configMap)), Map.of(), "test-host");
    }

    /** The sidecar YAML of a ConfigMap as plain maps and lists. */
    static Map<String, Object> sidecarFile(Map<String, Object> configMap) {
        return load(sidecarYaml(configMap));
    }

    private static String sidecarYaml(Map<String, Object> configMap) {
        // the key has a dot in it, so no dotted path
        String yaml = (String) map(configMap, "data").get("sidecar.yaml");
        if (yaml == null) {
            throw new AssertionError("ConfigMap " + get(configMap, "metadata.name") + " has no sidecar.yaml");
        }
        return yaml;
    }

    /** A listener of the sidecar: its name, its port, and its sections merged over the top-level ones. */
    record Listener(String name, int port, Map<String, Object> effective) {
        /** A key of a section, the listener's own or inherited: {@code setting("backend.port")}. */
        Object setting(String path) {
            return get(effective, path);
        }

        /** The Kubernetes port name: a listener name cut to the 15 characters an IANA_SVC_NAME may have. */
        String portName() {
            return name.length() <= 15 ? name : name.substring(0, 15);
        }
    }

    /**
     * The listeners of a sidecar ConfigMap as the sidecar will run them: the {@code listeners:} list, or in the
     * single-port form one listener "smtp" on listen.port (its value as the product's loader reads it).
     */
    static List<Listener> listeners(Map<String, Object> configMap) {
        Map<String, Object> file = sidecarFile(configMap);
        Map<String, Object> top = new LinkedHashMap<>();
        for (String section : ConfigKeys.ALL.stream().filter(io.smtpsidecar.config.ConfigKey::perListener)
            .map(io.smtpsidecar.config.ConfigKey::section).distinct().toList()) {
            top.put(section, file.getOrDefault(section, Map.of()));
        }
        if (!(file.get("listeners") instanceof List<?> list)) {
            return List.of(new Listener("smtp", sidecarConfig(configMap).listen().port(), top));
        }
        List<Listener> result = new ArrayList<>();
        for (Object item : list) {
            Map<String, Object> listener = asMap(item);
            Map<String, Object> effective = new LinkedHashMap<>();
            top.forEach((section, values) -> {
                Map<String, Object> merged = new LinkedHashMap<>(asMap(values));
                if (listener.get(section) != null) {
                    merged.putAll(asMap(listener.get(section)));
                }
                effective.put(section, merged);
            });
            result.add(new Listener((String) listener.get("name"), ((Number) listener.get("port")).intValue(),
                effective));
        }
        // the product reads the same listeners from the same file (names, ports, TLS modes)
        SidecarConfig product = sidecarConfig(configMap);
        if (!product.listeners().stream().map(l -> l.name() + ":" + l.port() + ":" + l.tls().mode().label()).toList()
            .equals(result.stream().map(l -> l.name() + ":" + l.port() + ":"
                + java.util.Objects.requireNonNullElse(l.setting("tls.mode"), "none")).toList())) {
            throw new AssertionError("the sidecar reads other listeners: " + product.listeners());
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object node) {
        if (!(node instanceof Map<?, ?>)) {
            throw new AssertionError("expected a mapping, got " + node);
        }
        return (Map<String, Object>) node;
    }
}
