package io.smtpsidecar.config;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig.Backend;
import io.smtpsidecar.config.SidecarConfig.Dns;
import io.smtpsidecar.config.SidecarConfig.DnsServer;
import io.smtpsidecar.config.SidecarConfig.Handshake;
import io.smtpsidecar.config.SidecarConfig.Listen;
import io.smtpsidecar.config.SidecarConfig.Proxy;
import io.smtpsidecar.config.SidecarConfig.Smtp;
import io.smtpsidecar.dns.HostNames;
import io.smtpsidecar.hosts.HostList;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns the merged configuration JSON (YAML file, then {@code SIDECAR_*} environment overrides) into a validated
 * {@link SidecarConfig}. Pure: no I/O. Every problem is a {@link ConfigException} naming the key and the bad value.
 */
public final class ConfigReader {
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(3);
    /**
     * Addresses no real client has: loopback and link-local (which backends commonly trust), "this network"
     * (0.0.0.0/8), limited broadcast, multicast, and IPv6's unspecified address with the deprecated IPv4-compatible
     * block ::/96 ({@code ::127.0.0.1} would reach the backend as {@code IPV6:::7f00:1}). IPv4-mapped sources
     * ({@code ::ffff:a.b.c.d}) are IPv4 by the time they are matched, so the IPv4 entries cover them.
     */
    public static final String DEFAULT_REJECT_SOURCES = "<; 127.0.0.0/8 ; ::1 ; 169.254.0.0/16 ; fe80::/10 ; "
        + "0.0.0.0/8 ; 255.255.255.255 ; 224.0.0.0/4 ; ::/96 ; ff00::/8";
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    private final JsonObject json;

    private ConfigReader(JsonObject json) {
        this.json = json;
    }

    /**
     * @param file the parsed YAML file (empty when there is none)
     * @param env environment variables; only {@code SIDECAR_*} names of known keys are used
     * @param machineHostname the default for {@code smtp.hostname}
     */
    public static SidecarConfig read(JsonObject file, Map<String, String> env, String machineHostname) {
        JsonObject merged = file.copy();
        rejectUnknownKeys(merged, "");
        for (String key : ConfigKeys.ALL) {
            for (String name : ConfigKeys.envNames(key)) {
                String value = env.get(name);
                if (value != null) {
                    ConfigKeys.put(merged, key, value);
                }
            }
        }
        return new ConfigReader(merged).build(machineHostname);
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

    private SidecarConfig build(String machineHostname) {
        Listen listen = new Listen(
            host(ConfigKeys.LISTEN_HOST, "0.0.0.0"),
            integer(ConfigKeys.LISTEN_PORT, 2525, 0, 65535),
            // one per core, like nginx's worker_processes auto: more only adds context switches (docs/BENCHMARKS.md)
            integer(ConfigKeys.LISTEN_EVENT_LOOPS, Runtime.getRuntime().availableProcessors(), 1, 1024),
            transport());
        Proxy proxy = new Proxy(
            hostList(ConfigKeys.REQUIRED_HOSTS),
            duration(ConfigKeys.HEADER_TIMEOUT, DEFAULT_HEADER_TIMEOUT),
            integer(ConfigKeys.MAX_HEADER_BYTES, ProxyHeaderDecoder.DEFAULT_MAX_HEADER,
                ProxyHeaderDecoder.MIN_MAX_HEADER, ProxyHeaderDecoder.MAX_MAX_HEADER),
            raw(ConfigKeys.REJECT_SOURCES) == null ? HostList.parse(DEFAULT_REJECT_SOURCES)
                : hostList(ConfigKeys.REJECT_SOURCES),
            bool(ConfigKeys.REJECT_OWN_ADDRESS, true));
        Handshake handshake = handshake();
        Backend backend = new Backend(
            host(ConfigKeys.BACKEND_HOST, "127.0.0.1"),
            integer(ConfigKeys.BACKEND_PORT, 25, 1, 65535),
            duration(ConfigKeys.BACKEND_CONNECT_TIMEOUT, Duration.ofSeconds(5)),
            duration(ConfigKeys.BACKEND_GREETING_TIMEOUT, Duration.ofSeconds(10)),
            handshake,
            warmConnections(handshake),
            duration(ConfigKeys.BACKEND_WARM_MAX_IDLE, Duration.ofSeconds(60)));
        String hostname = hostname(machineHostname);
        Smtp smtp = new Smtp(
            hostname,
            banner(hostname),
            integer(ConfigKeys.REFUSAL_MAX_COMMANDS, 20, 1, 10_000),
            duration(ConfigKeys.REFUSAL_IDLE_TIMEOUT, Duration.ofSeconds(30)),
            duration(ConfigKeys.HALF_CLOSE_TIMEOUT, Duration.ofMinutes(5)));
        Dns dns = new Dns(
            bool(ConfigKeys.DNS_REVERSE_LOOKUP, true),
            dnsServers(),
            duration(ConfigKeys.DNS_TIMEOUT, Duration.ofSeconds(2)),
            integer(ConfigKeys.DNS_CACHE_SIZE, 10_000, 0, 10_000_000),
            duration(ConfigKeys.DNS_CACHE_TTL, Duration.ofMinutes(5)));
        SidecarConfig.Limits limits = new SidecarConfig.Limits(
            integer(ConfigKeys.LIMITS_MAX_CONNECTIONS, 10_000, 0, 1_000_000),
            integer(ConfigKeys.LIMITS_PER_CLIENT, 100, 0, 1_000_000),
            integer(ConfigKeys.LIMITS_RATE_PER_CLIENT, 1200, 0, 1_000_000),
            integer(ConfigKeys.LIMITS_TRACKED_CLIENTS, 100_000, 100, 10_000_000));
        SidecarConfig.Metrics metrics = new SidecarConfig.Metrics(
            host(ConfigKeys.METRICS_HOST, "0.0.0.0"),
            integer(ConfigKeys.METRICS_PORT, 9100, 0, 65535));
        SidecarConfig.Health health = new SidecarConfig.Health(
            duration(ConfigKeys.HEALTH_BACKEND_CHECK_INTERVAL, Duration.ofSeconds(5)));
        SidecarConfig.Shutdown shutdown = new SidecarConfig.Shutdown(
            duration(ConfigKeys.SHUTDOWN_DRAIN_TIMEOUT, Duration.ofSeconds(25)));
        SidecarConfig.Watch watch = new SidecarConfig.Watch(duration(ConfigKeys.CONFIG_SCAN_PERIOD, Duration.ofSeconds(5)));
        return new SidecarConfig(listen, proxy, backend, smtp, dns, limits, metrics, health, shutdown, watch, logFormat());
    }

    private SidecarConfig.Log logFormat() {
        String v = string(ConfigKeys.LOG_FORMAT, "text");
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "text" -> SidecarConfig.Log.TEXT;
            case "json" -> SidecarConfig.Log.JSON;
            default -> throw new ConfigException(ConfigKeys.LOG_FORMAT, "'" + v + "' is not one of: text, json");
        };
    }

    private static void rejectUnknownKeys(JsonObject obj, String prefix) {
        for (String name : obj.fieldNames()) {
            String path = prefix + name;
            Object value = obj.getValue(name);
            if (ConfigKeys.ALL.contains(path)) {
                continue;
            }
            boolean section = ConfigKeys.ALL.stream().anyMatch(k -> k.startsWith(path + "."));
            if (section && value instanceof JsonObject child) {
                rejectUnknownKeys(child, path + ".");
            } else if (section) {
                throw new ConfigException(path, "expected a section with keys, got '" + value + "'");
            } else {
                throw new ConfigException(path, "unknown key (known keys: " + String.join(", ", ConfigKeys.ALL) + ")");
            }
        }
    }

    private Object raw(String key) {
        String[] parts = key.split("\\.");
        Object value = json;
        for (String part : parts) {
            if (!(value instanceof JsonObject obj)) {
                return null;
            }
            value = obj.getValue(part);
        }
        return value;
    }

    private String string(String key, String def) {
        Object v = raw(key);
        if (v == null) {
            return def;
        }
        if (v instanceof JsonObject || v instanceof JsonArray) {
            throw new ConfigException(key, "expected a single value, got '" + v + "'");
        }
        return v.toString().trim();
    }

    private int integer(String key, int def, int min, int max) {
        Object v = raw(key);
        if (v == null) {
            return def;
        }
        String text = v.toString().trim();
        long n;
        try {
            n = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "'" + v + "' is not a whole number (" + min + ".." + max + ")");
        }
        if (n < min || n > max) {
            throw new ConfigException(key, "'" + v + "' is out of range (" + min + ".." + max + ")");
        }
        return (int) n;
    }

    private Duration duration(String key, Duration def) {
        Object v = raw(key);
        if (v == null) {
            return def;
        }
        Duration d = Durations.parse(v.toString());
        if (d == null) {
            throw new ConfigException(key, "'" + v + "' is not a duration (write e.g. 500ms, 3s, 2m)");
        }
        if (d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
            throw new ConfigException(key, "'" + v + "' is out of range (1ms..1h)");
        }
        return d;
    }

    private boolean bool(String key, boolean def) {
        Object v = raw(key);
        if (v == null) {
            return def;
        }
        return switch (v.toString().trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(key, "'" + v + "' is not a boolean (true or false)");
        };
    }

    private String host(String key, String def) {
        String v = string(key, def);
        if (IpAddresses.parse(v) == null && !HostNames.isValid(v)) {
            throw new ConfigException(key, "'" + v + "' is neither an IP address nor a host name");
        }
        return v;
    }

    private HostList hostList(String key) {
        Object v = raw(key);
        try {
            if (v == null) {
                return HostList.empty();
            }
            if (v instanceof JsonArray array) {
                List<String> items = new ArrayList<>();
                for (Object item : array) {
                    if (item == null || item instanceof JsonObject || item instanceof JsonArray) {
                        throw new IllegalArgumentException("item '" + item + "' is not an address or CIDR");
                    }
                    items.add(item.toString());
                }
                return HostList.of(items);
            }
            if (v instanceof JsonObject) {
                throw new IllegalArgumentException("expected a host-list string or a list, got a section");
            }
            return HostList.parse(v.toString());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }

    /** A PROXY header or a plain connection carries the client from its first byte: nothing can be opened ahead. */
    private int warmConnections(Handshake handshake) {
        int n = integer(ConfigKeys.BACKEND_WARM_CONNECTIONS, 0, 0, 10_000);
        if (n > 0 && handshake != Handshake.XCLIENT) {
            throw new ConfigException(ConfigKeys.BACKEND_WARM_CONNECTIONS, n + " needs backend.handshake: xclient (with "
                + handshake.label() + " the backend learns the client from the connection's first bytes)");
        }
        return n;
    }

    private SidecarConfig.Transport transport() {
        String v = string(ConfigKeys.LISTEN_TRANSPORT, "auto");
        for (SidecarConfig.Transport t : SidecarConfig.Transport.values()) {
            if (t.label().equalsIgnoreCase(v)) {
                return t;
            }
        }
        throw new ConfigException(ConfigKeys.LISTEN_TRANSPORT, "'" + v + "' is not one of: auto, nio, epoll, io_uring");
    }

    private Handshake handshake() {
        String v = string(ConfigKeys.BACKEND_HANDSHAKE, "xclient");
        for (Handshake h : Handshake.values()) {
            if (h.label().equalsIgnoreCase(v)) {
                return h;
            }
        }
        throw new ConfigException(ConfigKeys.BACKEND_HANDSHAKE,
            "'" + v + "' is not one of: xclient, proxy-v1, proxy-v2, none");
    }

    private String hostname(String machineHostname) {
        String v = string(ConfigKeys.SMTP_HOSTNAME, machineHostname);
        if (!HostNames.isValid(v)) {
            throw new ConfigException(ConfigKeys.SMTP_HOSTNAME, "'" + v + "' is not a valid host name");
        }
        return v;
    }

    private String banner(String hostname) {
        String v = string(ConfigKeys.SMTP_BANNER, hostname + " ESMTP");
        if (v.isEmpty() || v.length() > 400 || !v.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new ConfigException(ConfigKeys.SMTP_BANNER,
                "'" + v + "' must be 1..400 printable ASCII characters (it follows '220 ' on the wire)");
        }
        return v;
    }

    private List<DnsServer> dnsServers() {
        String key = ConfigKeys.DNS_SERVERS;
        Object v = raw(key);
        List<String> items = new ArrayList<>();
        if (v instanceof JsonArray array) {
            array.forEach(item -> items.add(String.valueOf(item)));
        } else if (v != null) {
            for (String item : v.toString().split("[,\\s]+")) {
                if (!item.isEmpty()) {
                    items.add(item);
                }
            }
        }
        List<DnsServer> servers = new ArrayList<>();
        for (String item : items) {
            servers.add(dnsServer(key, item.trim()));
        }
        return List.copyOf(servers);
    }

    private static DnsServer dnsServer(String key, String item) {
        String host = item;
        int port = 53;
        if (item.startsWith("[")) {
            int close = item.indexOf(']');
            if (close < 0) {
                throw new ConfigException(key, "'" + item + "' has no closing ']'");
            }
            host = item.substring(1, close);
            String rest = item.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new ConfigException(key, "'" + item + "' must be [ipv6]:port");
                }
                port = port(key, item, rest.substring(1));
            }
        } else if (item.indexOf(':') >= 0 && item.indexOf(':') == item.lastIndexOf(':')) {
            host = item.substring(0, item.indexOf(':'));
            port = port(key, item, item.substring(item.indexOf(':') + 1));
        }
        if (IpAddresses.parse(host) == null) {
            throw new ConfigException(key, "'" + item + "' is not an IP address (write 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53)");
        }
        return new DnsServer(IpAddresses.format(IpAddresses.parse(host)), port);
    }

    private static int port(String key, String item, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(key, "'" + item + "' has a bad port '" + text + "'");
    }
}
