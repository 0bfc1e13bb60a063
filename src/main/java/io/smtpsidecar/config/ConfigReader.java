package io.smtpsidecar.config;

import io.smtpsidecar.config.SidecarConfig.Handshake;
import io.smtpsidecar.config.SidecarConfig.ListenerSpec;
import io.smtpsidecar.config.SidecarConfig.TlsMode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Turns the merged configuration JSON (YAML file, then {@code SIDECAR_*} environment overrides) into a validated
 * {@link SidecarConfig}, key by key from {@link ConfigKeys}. Pure: no I/O. Every problem is a {@link ConfigException}
 * naming the key ({@code listeners[2].tls.key} inside a listener) and the bad value.
 */
public final class ConfigReader {
    /** The name of the one listener of the single-port form ({@code listen.port}). */
    public static final String DEFAULT_LISTENER = "smtp";
    private static final Pattern LISTENER_NAME = Pattern.compile("[a-z][a-z0-9]{0,31}");

    private ConfigReader() {
    }

    /**
     * @param file the parsed YAML file (empty when there is none)
     * @param env environment variables; only {@code SIDECAR_*} names of known keys are used
     * @param machineHostname the default for {@code smtp.hostname}
     */
    public static SidecarConfig read(JsonObject file, Map<String, String> env, String machineHostname) {
        JsonObject merged = file.copy();
        rejectUnknownKeys(merged);
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            for (String name : ConfigKeys.envNames(key)) {
                String value = env.get(name);
                if (value != null) {
                    ConfigKeys.put(merged, key.path(), value);
                }
            }
        }
        Map<ConfigKey<?>, Object> top = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            top.put(key, parse(key, raw(merged, key.path()), ""));
        }
        if (top.get(ConfigKeys.LISTEN_EVENT_LOOPS) == null) {
            top.put(ConfigKeys.LISTEN_EVENT_LOOPS, Runtime.getRuntime().availableProcessors());
        }
        if (top.get(ConfigKeys.SMTP_HOSTNAME) == null) {
            top.put(ConfigKeys.SMTP_HOSTNAME, parse(ConfigKeys.SMTP_HOSTNAME, machineHostname, ""));
        }
        ConfigValues values = new ConfigValues(top);
        List<ListenerSpec> listeners = listeners(merged.getValue(ConfigKeys.LISTENERS), values,
            raw(merged, ConfigKeys.LISTEN_PORT.path()) != null);
        SidecarConfig config = SidecarConfig.of(values, listeners);
        for (int i = 0; i < config.listeners().size(); i++) {
            check(config.listeners().get(i), merged.containsKey(ConfigKeys.LISTENERS) ? "listeners[" + i + "]." : "");
        }
        return config;
    }

    /** The {@code SIDECAR_*} variables that name no key (Kubernetes injects some for a Service named "sidecar"). */
    public static Set<String> unknownEnvNames(Map<String, String> env) {
        Set<String> known = new TreeSet<>();
        ConfigKeys.ALL.forEach(k -> known.addAll(ConfigKeys.envNames(k)));
        Set<String> unknown = new TreeSet<>();
        for (String name : env.keySet()) {
            if (name.startsWith(ConfigKeys.ENV_PREFIX) && !known.contains(name)) {
                unknown.add(name);
            }
        }
        return unknown;
    }

    private static Object parse(ConfigKey<?> key, Object raw, String prefix) {
        if (raw == null) {
            return key.defaultValue();
        }
        try {
            return key.parser().parse(raw);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(prefix + key.path(), e.getMessage());
        }
    }

    private static void rejectUnknownKeys(JsonObject root) {
        for (String section : root.fieldNames()) {
            if (section.equals(ConfigKeys.LISTENERS)) {
                continue;
            }
            rejectUnknownSection(root.getValue(section), section, "", false);
        }
    }

    /** A section of the file or of a listener: known, a mapping, and holding only known (per-listener) keys. */
    private static void rejectUnknownSection(Object value, String section, String prefix, boolean listener) {
        List<String> known = ConfigKeys.ALL.stream().filter(k -> k.section().equals(section))
            .filter(k -> !listener || k.perListener()).map(ConfigKey::path).toList();
        if (known.isEmpty()) {
            List<String> all = ConfigKeys.ALL.stream().filter(k -> !listener || k.perListener())
                .map(ConfigKey::path).toList();
            String what = listener && ConfigKeys.sections().contains(section)
                ? "cannot be set per listener (per-listener sections: tls, proxy, backend, smtp, limits)"
                : "unknown key (known keys: " + (listener ? String.join(", ", ConfigKeys.LISTENER_FIELDS) + ", " : "")
                    + String.join(", ", all) + (listener ? "" : ", listeners") + ")";
            throw new ConfigException(prefix + section, what);
        }
        if (!(value instanceof JsonObject obj)) {
            throw new ConfigException(prefix + section, "expected a section with keys, got '" + value + "'");
        }
        for (String name : obj.fieldNames()) {
            String path = section + "." + name;
            if (!known.contains(path)) {
                ConfigKey<?> key = ConfigKeys.byPath(path);
                throw new ConfigException(prefix + path, key != null ? "cannot be set per listener"
                    : "unknown key (known keys: " + String.join(", ", known) + ")");
            }
        }
    }

    private static Object raw(JsonObject root, String path) {
        Object value = root;
        for (String part : path.split("\\.")) {
            if (!(value instanceof JsonObject obj)) {
                return null;
            }
            value = obj.getValue(part);
        }
        return value;
    }

    private static List<ListenerSpec> listeners(Object list, ConfigValues top, boolean portSet) {
        ConfigValues none = new ConfigValues(Map.of());
        if (list == null) {
            return List.of(new ListenerSpec(DEFAULT_LISTENER, null, top.get(ConfigKeys.LISTEN_PORT), none));
        }
        if (portSet) {
            throw new ConfigException(ConfigKeys.LISTEN_PORT.path(),
                "not used with listeners (each listener has its own port; listen.host stays their default host)");
        }
        if (!(list instanceof JsonArray array) || array.isEmpty()) {
            throw new ConfigException(ConfigKeys.LISTENERS, "expected a list of listeners (name, port, ...), got '"
                + list + "'");
        }
        List<ListenerSpec> specs = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        for (int i = 0; i < array.size(); i++) {
            String prefix = ConfigKeys.LISTENERS + "[" + i + "]";
            if (!(array.getValue(i) instanceof JsonObject item)) {
                throw new ConfigException(prefix, "expected a listener (name, port, ...), got '"
                    + array.getValue(i) + "'");
            }
            ListenerSpec spec = listener(item, prefix + ".");
            Integer before = names.putIfAbsent(spec.name(), i);
            if (before != null) {
                throw new ConfigException(prefix + ".name", "'" + spec.name() + "' is already the name of listeners["
                    + before + "]");
            }
            for (int j = 0; j < specs.size(); j++) {
                if (sameAddress(specs.get(j), spec, top)) {
                    throw new ConfigException(prefix + ".port", host(spec, top) + ":" + spec.port()
                        + " is already the address of listeners[" + j + "] (" + specs.get(j).name() + ")");
                }
            }
            specs.add(spec);
        }
        return specs;
    }

    private static ListenerSpec listener(JsonObject item, String prefix) {
        for (String field : item.fieldNames()) {
            if (!ConfigKeys.LISTENER_FIELDS.contains(field)) {
                rejectUnknownSection(item.getValue(field), field, prefix, true);
            }
        }
        Object name = item.getValue("name");
        if (name == null || !LISTENER_NAME.matcher(ValueParsers.scalar(name)).matches()) {
            throw new ConfigException(prefix + "name", (name == null ? "missing" : "'" + name + "' is not")
                + " a lower-case word of letters and digits, starting with a letter, at most 32 (e.g. submission)");
        }
        String host = null;
        if (item.getValue("host") != null) {
            try {
                host = ValueParsers.host().parse(item.getValue("host"));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(prefix + "host", e.getMessage());
            }
        }
        if (item.getValue("port") == null) {
            throw new ConfigException(prefix + "port", "missing (every listener needs its port)");
        }
        int port;
        try {
            port = ValueParsers.integer(0, 65535).parse(item.getValue("port"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(prefix + "port", e.getMessage());
        }
        Map<ConfigKey<?>, Object> settings = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            Object raw = raw(item, key.path());
            if (key.perListener() && raw != null) {
                settings.put(key, parse(key, raw, prefix));
            }
        }
        return new ListenerSpec(ValueParsers.scalar(name), host, port, new ConfigValues(settings));
    }

    private static String host(ListenerSpec spec, ConfigValues top) {
        return spec.host() != null ? spec.host() : top.get(ConfigKeys.LISTEN_HOST);
    }

    /** Both would bind the same port on one address (a wildcard address overlaps every other); port 0 never. */
    private static boolean sameAddress(ListenerSpec a, ListenerSpec b, ConfigValues top) {
        if (a.port() != b.port() || a.port() == 0) {
            return false;
        }
        String ha = host(a, top);
        String hb = host(b, top);
        return ha.equalsIgnoreCase(hb) || isWildcard(ha) || isWildcard(hb);
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    /** The rules between keys, on a listener's effective values; an error names the key where it was set. */
    private static void check(SidecarConfig.Listener l, String prefix) {
        ConfigValues own = l.spec().settings();
        SidecarConfig.Backend backend = l.backend();
        if (backend.warmConnections() > 0 && backend.handshake() != Handshake.XCLIENT) {
            // a PROXY header or a plain connection carries the client from its first byte: nothing can be opened ahead
            throw new ConfigException(where(prefix, own, ConfigKeys.BACKEND_WARM_CONNECTIONS),
                backend.warmConnections() + " needs backend.handshake: xclient (with " + backend.handshake().label()
                    + " the backend learns the client from the connection's first bytes)");
        }
        SidecarConfig.Tls tls = l.tls();
        if (tls.key() != null && tls.certificate() == null) {
            throw new ConfigException(where(prefix, own, ConfigKeys.TLS_KEY),
                "a key without tls.certificate (both are PEM files)");
        }
        if (tls.mode() == TlsMode.TERMINATE && tls.certificate() == null) {
            throw new ConfigException(where(prefix, own, ConfigKeys.TLS_CERTIFICATE),
                "missing: tls.mode terminate needs tls.certificate and tls.key (PEM files)");
        }
        if (tls.mode() == TlsMode.TERMINATE && tls.key() == null) {
            throw new ConfigException(where(prefix, own, ConfigKeys.TLS_KEY),
                "missing: tls.mode terminate needs tls.certificate and tls.key (PEM files)");
        }
        if (tls.mode() == TlsMode.PASSTHROUGH && backend.handshake() != Handshake.PROXY_V1
            && backend.handshake() != Handshake.PROXY_V2) {
            throw new ConfigException(where(prefix, own, ConfigKeys.TLS_MODE), "passthrough needs backend.handshake: "
                + "proxy-v1 or proxy-v2, not " + backend.handshake().label() + " (the client's TLS starts with its "
                + "first byte, so the identity can only go ahead of it as a PROXY header)");
        }
    }

    private static String where(String prefix, ConfigValues own, ConfigKey<?> key) {
        return (own.has(key) ? prefix : "") + key.path();
    }
}
