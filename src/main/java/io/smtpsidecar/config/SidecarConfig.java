package io.smtpsidecar.config;

import io.smtpsidecar.hosts.HostList;
import java.time.Duration;
import java.util.List;

/**
 * One validated, immutable snapshot of the configuration. Sessions read it once when they are accepted, so a later
 * reload never changes a session half-way. The records are views of {@link #values()} (the top-level keys, which
 * listeners inherit); each {@link Listener} has its own effective proxy, backend, smtp, limits and tls settings.
 */
public record SidecarConfig(ConfigValues values, List<Listener> listeners, Listen listen, Proxy proxy,
                            Backend backend, Smtp smtp, Tls tls, Dns dns, Limits limits, Metrics metrics,
                            Health health, Shutdown shutdown, Watch watch, Log log) {

    /**
     * Builds the records from the top-level values and the listeners' own settings.
     *
     * @param values every key of {@link ConfigKeys#ALL}; {@code smtp.banner} may be null (follows the host name)
     * @param listeners the listeners, each with the keys it sets itself
     */
    public static SidecarConfig of(ConfigValues values, List<ListenerSpec> listeners) {
        List<Listener> resolved = listeners.stream().map(l -> Listener.of(l, values)).toList();
        return new SidecarConfig(values, resolved,
            new Listen(values.get(ConfigKeys.LISTEN_HOST), values.get(ConfigKeys.LISTEN_PORT),
                values.get(ConfigKeys.LISTEN_EVENT_LOOPS), values.get(ConfigKeys.LISTEN_TRANSPORT)),
            Proxy.of(values), Backend.of(values), Smtp.of(values), Tls.of(values),
            new Dns(values.get(ConfigKeys.DNS_REVERSE_LOOKUP), values.get(ConfigKeys.DNS_SERVERS),
                values.get(ConfigKeys.DNS_TIMEOUT), values.get(ConfigKeys.DNS_CACHE_SIZE),
                values.get(ConfigKeys.DNS_CACHE_TTL)),
            Limits.of(values),
            new Metrics(values.get(ConfigKeys.METRICS_HOST), values.get(ConfigKeys.METRICS_PORT)),
            new Health(values.get(ConfigKeys.HEALTH_BACKEND_CHECK_INTERVAL)),
            new Shutdown(values.get(ConfigKeys.SHUTDOWN_DRAIN_TIMEOUT)),
            new Watch(values.get(ConfigKeys.CONFIG_SCAN_PERIOD)),
            values.get(ConfigKeys.LOG_FORMAT));
    }

    /** The same configuration with {@code key} set at the top level (listeners that set it themselves keep theirs). */
    public <T> SidecarConfig with(ConfigKey<T> key, T value) {
        return of(values.with(key, value), listeners.stream().map(Listener::spec).toList());
    }

    /** The same configuration with another backend address everywhere (the demo points the sidecar at its own). */
    public SidecarConfig withBackendAt(String host, int port) {
        ConfigValues top = values.with(ConfigKeys.BACKEND_HOST, host).with(ConfigKeys.BACKEND_PORT, port);
        return of(top, listeners.stream().map(l -> l.spec().without(ConfigKeys.BACKEND_HOST, ConfigKeys.BACKEND_PORT))
            .toList());
    }

    /** Whether the listeners are the single-port form's one ({@code listen.port}, named smtp). */
    public boolean singlePortForm() {
        if (listeners.size() != 1) {
            return false;
        }
        Listener l = listeners.get(0);
        return l.name().equals(ConfigReader.DEFAULT_LISTENER) && l.spec().host() == null
            && l.spec().settings().keys().isEmpty() && l.port() == listen.port();
    }

    /** The key that sets the port of listener {@code index}: {@code listen.port} or {@code listeners[i].port}. */
    public String portKey(int index) {
        return singlePortForm() ? ConfigKeys.LISTEN_PORT.path() : ConfigKeys.LISTENERS + "[" + index + "].port";
    }

    /** The listener named {@code name}, or null. Called per accepted connection: a loop over a few, no stream. */
    public Listener listener(String name) {
        for (Listener l : listeners) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        return null;
    }

    /**
     * A reloaded configuration with the running values of the keys that need a restart, and the running set of
     * listeners (name, address, TLS mode and files); a listener of the new file with a running listener's name
     * brings its other settings along.
     */
    public SidecarConfig withStartupKeysOf(SidecarConfig running) {
        ConfigValues top = values;
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            if (key.restart()) {
                top = copy(top, key, running.values);
            }
        }
        List<ListenerSpec> kept = new java.util.ArrayList<>();
        for (Listener old : running.listeners) {
            Listener fresh = listener(old.name());
            ListenerSpec spec = fresh == null ? old.spec() : fresh.spec();
            ConfigValues own = spec.settings();
            for (ConfigKey<?> key : ConfigKeys.ALL) {
                if (key.restart() && key.perListener()) {
                    own = old.spec().settings().has(key) ? copy(own, key, old.spec().settings()) : own.without(key);
                }
            }
            kept.add(new ListenerSpec(old.name(), old.host(), old.port(), own));
        }
        return of(top, kept);
    }

    private static <T> ConfigValues copy(ConfigValues into, ConfigKey<T> key, ConfigValues from) {
        return into.with(key, from.get(key));
    }

    /**
     * One listener as configured: its name, address and the keys it sets itself.
     *
     * @param host null: {@code listen.host}
     * @param settings the per-listener keys this listener sets; the rest it inherits
     */
    public record ListenerSpec(String name, String host, int port, ConfigValues settings) {
        ListenerSpec without(ConfigKey<?>... keys) {
            ConfigValues s = settings;
            for (ConfigKey<?> key : keys) {
                s = s.without(key);
            }
            return new ListenerSpec(name, host, port, s);
        }
    }

    /**
     * A port the sidecar accepts SMTP on, with its effective settings (its own, else the top level's).
     *
     * @param name a lower-case word: the {@code listener} metric label and the JSON log field
     * @param values every key as this listener has it (its own, else the top level's)
     */
    public record Listener(String name, String host, int port, Tls tls, Proxy proxy, Backend backend, Smtp smtp,
                           Limits limits, ListenerSpec spec, ConfigValues values) {
        static Listener of(ListenerSpec spec, ConfigValues top) {
            ConfigValues v = top.overriddenBy(spec.settings());
            String host = spec.host() != null ? spec.host() : top.get(ConfigKeys.LISTEN_HOST);
            return new Listener(spec.name(), host, spec.port(), Tls.of(v), Proxy.of(v), Backend.of(v), Smtp.of(v),
                Limits.of(v), spec, v);
        }
    }

    /** Where the sidecar accepts connections from the load balancer, and with which threads and I/O transport. */
    public record Listen(String host, int port, int eventLoops, Transport transport) {
    }

    /** Netty's I/O transport for every socket. */
    public enum Transport {
        /** epoll where its native library loads (Linux), else NIO. io_uring only when asked for: containerd's and
         *  Docker's default seccomp profiles refuse its system calls. */
        AUTO("auto"),
        NIO("nio"),
        EPOLL("epoll"),
        IO_URING("io_uring");

        private final String label;

        Transport(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * Which peers must send a PROXY header, how long they have, and which claimed sources are refused: many backends
     * trust loopback or their own address for XCLIENT, so a header must not be able to claim them.
     */
    public record Proxy(HostList requiredHosts, Duration headerTimeout, int maxHeaderBytes, HostList rejectSources,
                        boolean rejectOwnAddress) {
        static Proxy of(ConfigValues v) {
            return new Proxy(v.get(ConfigKeys.REQUIRED_HOSTS), v.get(ConfigKeys.HEADER_TIMEOUT),
                v.get(ConfigKeys.MAX_HEADER_BYTES), v.get(ConfigKeys.REJECT_SOURCES),
                v.get(ConfigKeys.REJECT_OWN_ADDRESS));
        }

    }

    /**
     * The legacy MTA behind the sidecar. {@code warmConnections} (XCLIENT only) are kept connected and past EHLO,
     * shared out over the event loops, each ended after {@code warmMaxIdle} unused.
     */
    public record Backend(String host, int port, Duration connectTimeout, Duration greetingTimeout,
                          Handshake handshake, int warmConnections, Duration warmMaxIdle) {
        static Backend of(ConfigValues v) {
            return new Backend(v.get(ConfigKeys.BACKEND_HOST), v.get(ConfigKeys.BACKEND_PORT),
                v.get(ConfigKeys.BACKEND_CONNECT_TIMEOUT), v.get(ConfigKeys.BACKEND_GREETING_TIMEOUT),
                v.get(ConfigKeys.BACKEND_HANDSHAKE), v.get(ConfigKeys.BACKEND_WARM_CONNECTIONS),
                v.get(ConfigKeys.BACKEND_WARM_MAX_IDLE));
        }

    }

    /** How the real client's identity is handed to the backend. */
    public enum Handshake {
        /** Postfix XCLIENT (ADDR, PORT, NAME, DESTADDR, DESTPORT). */
        XCLIENT("xclient"),
        /** A PROXY v1 header, for backends that take PROXY but not XCLIENT. */
        PROXY_V1("proxy-v1"),
        /** A PROXY v2 header, for backends that take PROXY but not XCLIENT. */
        PROXY_V2("proxy-v2"),
        /** Plain pass-through: the backend sees the sidecar as the client. */
        NONE("none");

        private final String label;

        Handshake(String label) {
            this.label = label;
        }

        /** The configuration value. */
        public String label() {
            return label;
        }

        /** True when the backend's first greeting goes to the client unchanged (no EHLO/XCLIENT dialogue). */
        public boolean relaysFirstGreeting() {
            return this != XCLIENT;
        }
    }

    /**
     * What the sidecar says itself: in refusal mode and in its own error replies.
     *
     * @param halfCloseTimeout how long a relayed session may stay half-closed (one side has ended its sending, the
     *                         other has not) before both sides are closed
     */
    public record Smtp(String hostname, String banner, int refusalMaxCommands, Duration refusalIdleTimeout,
                       Duration halfCloseTimeout) {
        static Smtp of(ConfigValues v) {
            String hostname = v.get(ConfigKeys.SMTP_HOSTNAME);
            String banner = v.get(ConfigKeys.SMTP_BANNER);
            return new Smtp(hostname, banner != null ? banner : hostname + " ESMTP",
                v.get(ConfigKeys.REFUSAL_MAX_COMMANDS), v.get(ConfigKeys.REFUSAL_IDLE_TIMEOUT),
                v.get(ConfigKeys.HALF_CLOSE_TIMEOUT));
        }
    }

    /**
     * TLS on a listener's client side.
     *
     * @param certificate the PEM certificate chain (terminate), or null
     * @param key the PEM private key (terminate), or null
     * @param provider the TLS implementation
     * @param handshakeTimeout terminate: how long the TLS handshake may take after the PROXY header
     */
    public record Tls(TlsMode mode, String certificate, String key, TlsProvider provider, Duration handshakeTimeout) {
        static Tls of(ConfigValues v) {
            return new Tls(v.get(ConfigKeys.TLS_MODE), v.get(ConfigKeys.TLS_CERTIFICATE), v.get(ConfigKeys.TLS_KEY),
                v.get(ConfigKeys.TLS_PROVIDER), v.get(ConfigKeys.TLS_HANDSHAKE_TIMEOUT));
        }
    }

    /** Whose TLS a terminating listener runs. */
    public enum TlsProvider {
        /** BoringSSL (netty-tcnative) where its library loads, else the JDK's. */
        AUTO("auto"),
        JDK("jdk"),
        /** BoringSSL; a start-up error where its library does not load. */
        OPENSSL("openssl");

        private final String label;

        TlsProvider(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** What a listener does with TLS from the client. */
    public enum TlsMode {
        /** Bytes pass through: STARTTLS, if any, stays between the client and the MTA. */
        NONE("none"),
        /** Implicit TLS carried to the MTA untouched; the identity goes ahead as a PROXY header. */
        PASSTHROUGH("passthrough"),
        /** The sidecar does the TLS handshake and talks plain SMTP (with XCLIENT) to the MTA. */
        TERMINATE("terminate");

        private final String label;

        TlsMode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Reverse lookups of the real client for XCLIENT NAME. */
    public record Dns(boolean reverseLookup, List<DnsServer> servers, Duration timeout, int cacheSize,
                      Duration cacheTtl) {
    }

    /** Per-client limits, enforced on the real client after the header, counted per listener; 0 turns one off. */
    public record Limits(int maxConnections, int maxConnectionsPerClient, int connectionRatePerClient,
                         int maxTrackedClients) {
        static Limits of(ConfigValues v) {
            return new Limits(v.get(ConfigKeys.LIMITS_MAX_CONNECTIONS), v.get(ConfigKeys.LIMITS_PER_CLIENT),
                v.get(ConfigKeys.LIMITS_RATE_PER_CLIENT), v.get(ConfigKeys.LIMITS_TRACKED_CLIENTS));
        }
    }

    /** The HTTP port for /metrics, /healthz and /readyz. */
    public record Metrics(String host, int port) {
    }

    /** Readiness: how recently the backend must have accepted a TCP connection. */
    public record Health(Duration backendCheckInterval) {
    }

    /** SIGTERM: how long sessions in progress may run before they are closed. */
    public record Shutdown(Duration drainTimeout) {
    }

    /** How often the configuration file is re-read. */
    public record Watch(Duration scanPeriod) {
    }

    /** Log line format. */
    public enum Log {
        TEXT, JSON
    }

    /** A resolver address; {@code host} is an IP literal. */
    public record DnsServer(String host, int port) {
        @Override
        public String toString() {
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }
    }
}
