package io.smtpsidecar.config;

import io.smtpsidecar.config.SidecarConfig.DnsServer;
import io.smtpsidecar.config.SidecarConfig.Handshake;
import io.smtpsidecar.config.SidecarConfig.TlsMode;
import io.smtpsidecar.config.SidecarConfig.TlsProvider;
import io.smtpsidecar.config.SidecarConfig.Transport;
import io.smtpsidecar.hosts.HostList;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The table of every configuration key: path, default, parser, printer, whether a listener may override it and
 * whether it needs a restart. The reader, {@code --check-config}, the {@code SIDECAR_*} names, the reload and the
 * tests against the README and the Helm chart's schema all read this table, so a key is added here and only here
 * (plus the record field that carries it).
 */
public final class ConfigKeys {
    public static final String ENV_PREFIX = "SIDECAR_";
    /** The list of listeners; not a key of the table (its items hold {@link #LISTENER_FIELDS} and per-listener keys). */
    public static final String LISTENERS = "listeners";
    /** What a listener item holds besides the per-listener keys' sections. */
    public static final List<String> LISTENER_FIELDS = List.of("name", "host", "port");

    /**
     * Addresses no real client has: loopback and link-local (which backends commonly trust), "this network"
     * (0.0.0.0/8), limited broadcast, multicast, and IPv6's unspecified address with the deprecated IPv4-compatible
     * block ::/96 ({@code ::127.0.0.1} would reach the backend as {@code IPV6:::7f00:1}). IPv4-mapped sources
     * ({@code ::ffff:a.b.c.d}) are IPv4 by the time they are matched, so the IPv4 entries cover them.
     */
    public static final String DEFAULT_REJECT_SOURCES = "<; 127.0.0.0/8 ; ::1 ; 169.254.0.0/16 ; fe80::/10 ; "
        + "0.0.0.0/8 ; 255.255.255.255 ; 224.0.0.0/4 ; ::/96 ; ff00::/8";

    private static final List<ConfigKey<?>> TABLE = new ArrayList<>();
    private static final boolean LISTENER = true;
    private static final boolean PROCESS = false;
    private static final boolean RESTART = true;
    private static final boolean LIVE = false;

    public static final ConfigKey<String> LISTEN_HOST = key("listen.host", "`0.0.0.0`", "0.0.0.0",
        ValueParsers.host(), PROCESS, RESTART);
    public static final ConfigKey<Integer> LISTEN_PORT = key("listen.port", "`2525`", 2525,
        ValueParsers.integer(0, 65535), PROCESS, RESTART);
    public static final ConfigKey<Transport> LISTEN_TRANSPORT = key("listen.transport", "`auto`", Transport.AUTO,
        ValueParsers.choice(Transport.class, Transport::label), Transport::label, PROCESS, RESTART);
    // null: one per core, like nginx's worker_processes auto (docs/BENCHMARKS.md)
    public static final ConfigKey<Integer> LISTEN_EVENT_LOOPS = key("listen.eventLoops",
        "the number of CPUs the JVM sees (in a container: the CPU limit, rounded up)", null,
        ValueParsers.integer(1, 1024), PROCESS, RESTART);

    public static final ConfigKey<TlsMode> TLS_MODE = key("tls.mode", "`none`", TlsMode.NONE,
        ValueParsers.choice(TlsMode.class, TlsMode::label), TlsMode::label, LISTENER, RESTART);
    public static final ConfigKey<String> TLS_CERTIFICATE = key("tls.certificate", "none", null,
        ValueParsers.file(), LISTENER, RESTART);
    public static final ConfigKey<String> TLS_KEY = key("tls.key", "none", null, ValueParsers.file(), LISTENER,
        RESTART);
    public static final ConfigKey<TlsProvider> TLS_PROVIDER = key("tls.provider", "`auto`", TlsProvider.AUTO,
        ValueParsers.choice(TlsProvider.class, TlsProvider::label), TlsProvider::label, LISTENER, RESTART);
    public static final ConfigKey<Duration> TLS_HANDSHAKE_TIMEOUT = key("tls.handshakeTimeout", "`10s`",
        Duration.ofSeconds(10), ValueParsers.duration(), Durations::format, LISTENER, LIVE);

    public static final ConfigKey<HostList> REQUIRED_HOSTS = key("proxy.requiredHosts", "empty (no peer)",
        HostList.empty(), ValueParsers.hostList(), HostList::toString, LISTENER, LIVE);
    public static final ConfigKey<Duration> HEADER_TIMEOUT = key("proxy.headerTimeout", "`3s`",
        Duration.ofSeconds(3), ValueParsers.duration(), Durations::format, LISTENER, LIVE);
    public static final ConfigKey<Integer> MAX_HEADER_BYTES = key("proxy.maxHeaderBytes",
        "`" + ProxyHeaderDecoder.DEFAULT_MAX_HEADER + "`", ProxyHeaderDecoder.DEFAULT_MAX_HEADER,
        ValueParsers.integer(ProxyHeaderDecoder.MIN_MAX_HEADER, ProxyHeaderDecoder.MAX_MAX_HEADER), LISTENER, LIVE);
    public static final ConfigKey<HostList> REJECT_SOURCES = key("proxy.rejectSources",
        "`\"" + DEFAULT_REJECT_SOURCES + "\"`", HostList.parse(DEFAULT_REJECT_SOURCES), ValueParsers.hostList(),
        HostList::toString, LISTENER, LIVE);
    public static final ConfigKey<Boolean> REJECT_OWN_ADDRESS = key("proxy.rejectOwnAddress", "`true`", true,
        ValueParsers.bool(), LISTENER, LIVE);

    public static final ConfigKey<String> BACKEND_HOST = key("backend.host", "`127.0.0.1`", "127.0.0.1",
        ValueParsers.host(), LISTENER, LIVE);
    public static final ConfigKey<Integer> BACKEND_PORT = key("backend.port", "`25`", 25,
        ValueParsers.integer(1, 65535), LISTENER, LIVE);
    public static final ConfigKey<Duration> BACKEND_CONNECT_TIMEOUT = key("backend.connectTimeout", "`5s`",
        Duration.ofSeconds(5), ValueParsers.duration(), Durations::format, LISTENER, LIVE);
    public static final ConfigKey<Duration> BACKEND_GREETING_TIMEOUT = key("backend.greetingTimeout", "`10s`",
        Duration.ofSeconds(10), ValueParsers.duration(), Durations::format, LISTENER, LIVE);
    public static final ConfigKey<Integer> BACKEND_WARM_CONNECTIONS = key("backend.warmConnections", "`0`", 0,
        ValueParsers.integer(0, 10_000), LISTENER, LIVE);
    public static final ConfigKey<Duration> BACKEND_WARM_MAX_IDLE = key("backend.warmMaxIdle", "`60s`",
        Duration.ofSeconds(60), ValueParsers.duration(), Durations::format, LISTENER, LIVE);
    public static final ConfigKey<Handshake> BACKEND_HANDSHAKE = key("backend.handshake", "`xclient`",
        Handshake.XCLIENT, ValueParsers.choice(Handshake.class, Handshake::label), Handshake::label, LISTENER, LIVE);

    public static final ConfigKey<String> SMTP_HOSTNAME = key("smtp.hostname",
        "the machine's host name (`HOSTNAME`)", null, ValueParsers.hostName(), LISTENER, LIVE);
    public static final ConfigKey<String> SMTP_BANNER = key("smtp.banner", "`<smtp.hostname> ESMTP`", null,
        ValueParsers.banner(), LISTENER, LIVE);
    public static final ConfigKey<Integer> REFUSAL_MAX_COMMANDS = key("smtp.refusalMaxCommands", "`20`", 20,
        ValueParsers.integer(1, 10_000), LISTENER, LIVE);
    public static final ConfigKey<Duration> REFUSAL_IDLE_TIMEOUT = key("smtp.refusalIdleTimeout", "`30s`",
        Duration.ofSeconds(30), ValueParsers.duration(), Durations::format, LISTENER, LIVE);
    public static final ConfigKey<Duration> HALF_CLOSE_TIMEOUT = key("smtp.halfCloseTimeout", "`5m`",
        Duration.ofMinutes(5), ValueParsers.duration(), Durations::format, LISTENER, LIVE);

    public static final ConfigKey<Boolean> DNS_REVERSE_LOOKUP = key("dns.reverseLookup", "`true`", true,
        ValueParsers.bool(), PROCESS, LIVE);
    public static final ConfigKey<List<DnsServer>> DNS_SERVERS = key("dns.servers", "system resolver", List.of(),
        ValueParsers.dnsServers(), l -> l.stream().map(Object::toString).toList(), PROCESS, LIVE);
    public static final ConfigKey<Duration> DNS_TIMEOUT = key("dns.timeout", "`2s`", Duration.ofSeconds(2),
        ValueParsers.duration(), Durations::format, PROCESS, LIVE);
    public static final ConfigKey<Integer> DNS_CACHE_SIZE = key("dns.cacheSize", "`10000`", 10_000,
        ValueParsers.integer(0, 10_000_000), PROCESS, LIVE);
    public static final ConfigKey<Duration> DNS_CACHE_TTL = key("dns.cacheTtl", "`5m`", Duration.ofMinutes(5),
        ValueParsers.duration(), Durations::format, PROCESS, LIVE);

    public static final ConfigKey<Integer> LIMITS_MAX_CONNECTIONS = key("limits.maxConnections", "`10000`", 10_000,
        ValueParsers.integer(0, 1_000_000), LISTENER, LIVE);
    public static final ConfigKey<Integer> LIMITS_PER_CLIENT = key("limits.maxConnectionsPerClient", "`100`", 100,
        ValueParsers.integer(0, 1_000_000), LISTENER, LIVE);
    public static final ConfigKey<Integer> LIMITS_RATE_PER_CLIENT = key("limits.connectionRatePerClient", "`1200`",
        1200, ValueParsers.integer(0, 1_000_000), LISTENER, LIVE);
    public static final ConfigKey<Integer> LIMITS_TRACKED_CLIENTS = key("limits.maxTrackedClients", "`100000`",
        100_000, ValueParsers.integer(100, 10_000_000), LISTENER, LIVE);

    public static final ConfigKey<String> METRICS_HOST = key("metrics.host", "`0.0.0.0`", "0.0.0.0",
        ValueParsers.host(), PROCESS, RESTART);
    public static final ConfigKey<Integer> METRICS_PORT = key("metrics.port", "`9100`", 9100,
        ValueParsers.integer(0, 65535), PROCESS, RESTART);
    public static final ConfigKey<Duration> HEALTH_BACKEND_CHECK_INTERVAL = key("health.backendCheckInterval", "`5s`",
        Duration.ofSeconds(5), ValueParsers.duration(), Durations::format, PROCESS, LIVE);
    public static final ConfigKey<Duration> SHUTDOWN_DRAIN_TIMEOUT = key("shutdown.drainTimeout", "`25s`",
        Duration.ofSeconds(25), ValueParsers.duration(), Durations::format, PROCESS, LIVE);
    public static final ConfigKey<Duration> CONFIG_SCAN_PERIOD = key("config.scanPeriod", "`5s`",
        Duration.ofSeconds(5), ValueParsers.duration(), Durations::format, PROCESS, RESTART);
    public static final ConfigKey<SidecarConfig.Log> LOG_FORMAT = key("log.format", "`text`", SidecarConfig.Log.TEXT,
        ValueParsers.choice(SidecarConfig.Log.class, l -> l.name().toLowerCase(Locale.ROOT)),
        l -> l.name().toLowerCase(Locale.ROOT), PROCESS, RESTART);

    /** Every key, in the README's order. */
    public static final List<ConfigKey<?>> ALL = List.copyOf(TABLE);
    /** Every key's path. */
    public static final List<String> PATHS = ALL.stream().map(ConfigKey::path).toList();
    private static final Map<String, ConfigKey<?>> BY_PATH = ALL.stream()
        .collect(Collectors.toUnmodifiableMap(ConfigKey::path, k -> k));

    private ConfigKeys() {
    }

    private static <T> ConfigKey<T> key(String path, String defaultText, T defaultValue, ConfigKey.Parser<T> parser,
                                        boolean perListener, boolean restart) {
        return key(path, defaultText, defaultValue, parser, v -> v, perListener, restart);
    }

    private static <T> ConfigKey<T> key(String path, String defaultText, T defaultValue, ConfigKey.Parser<T> parser,
                                        Function<T, Object> printer, boolean perListener, boolean restart) {
        ConfigKey<T> key = new ConfigKey<>(path, defaultText, defaultValue, parser, printer, perListener, restart);
        TABLE.add(key);
        return key;
    }

    /** The key at {@code path}, or null. */
    public static ConfigKey<?> byPath(String path) {
        return BY_PATH.get(path);
    }

    /** The sections that hold keys, in order ({@code listen}, {@code tls}, {@code proxy}, ...). */
    public static List<String> sections() {
        return ALL.stream().map(ConfigKey::section).distinct().toList();
    }

    /** Puts {@code value} at a dotted key path in a configuration tree, making (or replacing) sections on the way. */
    public static void put(JsonObject root, String key, Object value) {
        String[] parts = key.split("\\.", -1);
        JsonObject obj = root;
        for (int i = 0; i < parts.length - 1; i++) {
            Object child = obj.getValue(parts[i]);
            if (!(child instanceof JsonObject)) {
                child = new JsonObject();
                obj.put(parts[i], child);
            }
            obj = (JsonObject) child;
        }
        obj.put(parts[parts.length - 1], value);
    }

    /**
     * The environment names of a key: the path upper-cased with dots as underscores
     * ({@code SIDECAR_PROXY_HEADERTIMEOUT}), and the same with camel-case words split
     * ({@code SIDECAR_PROXY_HEADER_TIMEOUT}).
     */
    public static List<String> envNames(ConfigKey<?> key) {
        String plain = ENV_PREFIX + key.path().replace('.', '_').toUpperCase(Locale.ROOT);
        String split = ENV_PREFIX + key.path().replace('.', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2")
            .toUpperCase(Locale.ROOT);
        return plain.equals(split) ? List.of(plain) : List.of(plain, split);
    }
}
