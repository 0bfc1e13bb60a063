package io.smtpsidecar.config;

import io.smtpsidecar.hosts.HostList;
import java.time.Duration;
import java.util.List;

/**
 * One validated, immutable snapshot of the configuration. Sessions read it once when they are accepted, so a later
 * reload never changes a session half-way.
 */
public record SidecarConfig(Listen listen, Proxy proxy, Backend backend, Smtp smtp, Dns dns) {

    /** Where the sidecar accepts connections from the load balancer. */
    public record Listen(String host, int port) {
    }

    /** Which peers must send a PROXY header, and how long they have. */
    public record Proxy(HostList requiredHosts, Duration headerTimeout, int maxHeaderBytes) {
    }

    /** The legacy MTA behind the sidecar. */
    public record Backend(String host, int port, Duration connectTimeout, Duration greetingTimeout,
                          Handshake handshake) {
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
    public record Smtp(String hostname, String banner, int refusalMaxCommands, Duration refusalIdleTimeout) {
    }

    /** Reverse lookups of the real client for XCLIENT NAME. */
    public record Dns(boolean reverseLookup, List<DnsServer> servers, Duration timeout, int cacheSize,
                      Duration cacheTtl) {
    }

    /** A resolver address; {@code host} is an IP literal. */
    public record DnsServer(String host, int port) {
        @Override
        public String toString() {
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }
    }
}
