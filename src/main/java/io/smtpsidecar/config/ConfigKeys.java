package io.smtpsidecar.config;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/** Every configuration key, with the environment variable names that override it. */
public final class ConfigKeys {
    public static final String LISTEN_HOST = "listen.host";
    public static final String LISTEN_PORT = "listen.port";
    public static final String LISTEN_EVENT_LOOPS = "listen.eventLoops";
    public static final String LISTEN_TRANSPORT = "listen.transport";
    public static final String REQUIRED_HOSTS = "proxy.requiredHosts";
    public static final String HEADER_TIMEOUT = "proxy.headerTimeout";
    public static final String MAX_HEADER_BYTES = "proxy.maxHeaderBytes";
    public static final String REJECT_SOURCES = "proxy.rejectSources";
    public static final String REJECT_OWN_ADDRESS = "proxy.rejectOwnAddress";
    public static final String BACKEND_HOST = "backend.host";
    public static final String BACKEND_PORT = "backend.port";
    public static final String BACKEND_CONNECT_TIMEOUT = "backend.connectTimeout";
    public static final String BACKEND_GREETING_TIMEOUT = "backend.greetingTimeout";
    public static final String BACKEND_HANDSHAKE = "backend.handshake";
    public static final String BACKEND_WARM_CONNECTIONS = "backend.warmConnections";
    public static final String BACKEND_WARM_MAX_IDLE = "backend.warmMaxIdle";
    public static final String SMTP_HOSTNAME = "smtp.hostname";
    public static final String SMTP_BANNER = "smtp.banner";
    public static final String REFUSAL_MAX_COMMANDS = "smtp.refusalMaxCommands";
    public static final String REFUSAL_IDLE_TIMEOUT = "smtp.refusalIdleTimeout";
    public static final String HALF_CLOSE_TIMEOUT = "smtp.halfCloseTimeout";
    public static final String DNS_REVERSE_LOOKUP = "dns.reverseLookup";
    public static final String DNS_SERVERS = "dns.servers";
    public static final String DNS_TIMEOUT = "dns.timeout";
    public static final String DNS_CACHE_SIZE = "dns.cacheSize";
    public static final String DNS_CACHE_TTL = "dns.cacheTtl";
    public static final String LIMITS_MAX_CONNECTIONS = "limits.maxConnections";
    public static final String LIMITS_PER_CLIENT = "limits.maxConnectionsPerClient";
    public static final String LIMITS_RATE_PER_CLIENT = "limits.connectionRatePerClient";
    public static final String LIMITS_TRACKED_CLIENTS = "limits.maxTrackedClients";
    public static final String METRICS_HOST = "metrics.host";
    public static final String METRICS_PORT = "metrics.port";
    public static final String HEALTH_BACKEND_CHECK_INTERVAL = "health.backendCheckInterval";
    public static final String SHUTDOWN_DRAIN_TIMEOUT = "shutdown.drainTimeout";
    public static final String CONFIG_SCAN_PERIOD = "config.scanPeriod";
    public static final String LOG_FORMAT = "log.format";

    public static final List<String> ALL = List.of(
        LISTEN_HOST, LISTEN_PORT, LISTEN_EVENT_LOOPS, LISTEN_TRANSPORT,
        REQUIRED_HOSTS, HEADER_TIMEOUT, MAX_HEADER_BYTES, REJECT_SOURCES, REJECT_OWN_ADDRESS,
        BACKEND_HOST, BACKEND_PORT, BACKEND_CONNECT_TIMEOUT, BACKEND_GREETING_TIMEOUT, BACKEND_HANDSHAKE,
        BACKEND_WARM_CONNECTIONS, BACKEND_WARM_MAX_IDLE,
        SMTP_HOSTNAME, SMTP_BANNER, REFUSAL_MAX_COMMANDS, REFUSAL_IDLE_TIMEOUT, HALF_CLOSE_TIMEOUT,
        DNS_REVERSE_LOOKUP, DNS_SERVERS, DNS_TIMEOUT, DNS_CACHE_SIZE, DNS_CACHE_TTL,
        LIMITS_MAX_CONNECTIONS, LIMITS_PER_CLIENT, LIMITS_RATE_PER_CLIENT, LIMITS_TRACKED_CLIENTS,
        METRICS_HOST, METRICS_PORT, HEALTH_BACKEND_CHECK_INTERVAL, SHUTDOWN_DRAIN_TIMEOUT, CONFIG_SCAN_PERIOD,
        LOG_FORMAT);

    public static final String ENV_PREFIX = "SIDECAR_";

    private ConfigKeys() {
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
    public static List<String> envNames(String key) {
        String plain = ENV_PREFIX + key.replace('.', '_').toUpperCase(Locale.ROOT);
        String split = ENV_PREFIX + key.replace('.', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2")
            .toUpperCase(Locale.ROOT);
        return plain.equals(split) ? List.of(plain) : List.of(plain, split);
    }
}
