package io.smtpsidecar.config;

import io.smtpsidecar.hosts.HostList;
import java.time.Duration;
import java.util.List;

/**
 * One validated, immutable snapshot of the configuration. Sessions read it once when they are accepted, so a later
 * reload never changes a session half-way.
 */
public record SidecarConfig(Listen listen, Proxy proxy, Backend backend, Smtp smtp, Dns dns, Limits limits,
                            Metrics metrics, Health health, Shutdown shutdown, Watch watch, Log log) {

    /** The same configuration with another backend (the demo points the sidecar at its own). */
    public SidecarConfig withBackend(Backend other) {
        return new SidecarConfig(listen, proxy, other, smtp, dns, limits, metrics, health, shutdown, watch, log);
    }

    /** The same configuration with other PROXY settings. */
    public SidecarConfig withProxy(Proxy other) {
        return new SidecarConfig(listen, other, backend, smtp, dns, limits, metrics, health, shutdown, watch, log);
    }

    /** Keys that only take effect at start: the listeners. A reload keeps the running values of these. */
    public SidecarConfig withStartupKeysOf(SidecarConfig running) {
        return new SidecarConfig(running.listen, proxy, backend, smtp, dns, limits, running.metrics, health, shutdown,
            running.watch, running.log);
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
        /** The same settings with another list of required hosts. */
        public Proxy withRequiredHosts(HostList hosts) {
            return new Proxy(hosts, headerTimeout, maxHeaderBytes, rejectSources, rejectOwnAddress);
        }
    }

    /**
     * The legacy MTA behind the sidecar. {@code warmConnections} (XCLIENT only) are kept connected and past EHLO,
     * shared out over the event loops, each ended after {@code warmMaxIdle} unused.
     */
    public record Backend(String host, int port, Duration connectTimeout, Duration greetingTimeout,
                          Handshake handshake, int warmConnections, Duration warmMaxIdle) {
        /** The same backend at another address (the demo points the sidecar at its own). */
        public Backend at(String otherHost, int otherPort) {
            return new Backend(otherHost, otherPort, connectTimeout, greetingTimeout, handshake, warmConnections,
                warmMaxIdle);
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

    /** What the sidecar says itself: in refusal mode and in its own error replies. */
    /**
     * @param halfCloseTimeout how long a relayed session may stay half-closed (one side has ended its sending, the
     *                         other has not) before both sides are closed
     */
    public record Smtp(String hostname, String banner, int refusalMaxCommands, Duration refusalIdleTimeout,
                       Duration halfCloseTimeout) {
    }

    /** Reverse lookups of the real client for XCLIENT NAME. */
    public record Dns(boolean reverseLookup, List<DnsServer> servers, Duration timeout, int cacheSize,
                      Duration cacheTtl) {
    }

    /** Per-client limits, enforced on the real client after the header; 0 turns a limit off. */
    public record Limits(int maxConnections, int maxConnectionsPerClient, int connectionRatePerClient,
                         int maxTrackedClients) {
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
