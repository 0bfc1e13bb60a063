package io.smtpsidecar.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The product's meters, prefix {@code smtp_sidecar_}. Label values come from fixed sets (outcomes, reasons,
 * versions), never from addresses, so the series count is bounded. Every known label value is registered up front,
 * so dashboards see zeros rather than missing series.
 */
public final class SidecarMetrics {
    private static final String PREFIX = "smtp.sidecar.";

    private final MeterRegistry registry;
    private final Map<Outcome, Counter> connections = new EnumMap<>(Outcome.class);
    private final Map<String, Counter> labelled = new ConcurrentHashMap<>();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();
    private final AtomicInteger warmReady = new AtomicInteger();
    private final Timer sessionDuration;
    private final Timer backendHandshake;
    private final Timer dnsLookup;
    private final Counter bytesIn;
    private final Counter bytesOut;

    public SidecarMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Outcome o : Outcome.values()) {
            connections.put(o, Counter.builder(PREFIX + "connections").tag("outcome", o.label())
                .description("Connections by how they ended").register(registry));
        }
        for (String version : new String[] {"v1", "v2"}) {
            for (String result : new String[] {"ok", "local", "malformed", "timeout", "rejected"}) {
                proxyHeader(version, result, 0);
            }
        }
        proxyHeader("none", "not_required", 0);
        proxyHeader("none", "malformed", 0);
        proxyHeader("none", "timeout", 0);
        for (String reason : new String[] {"connect", "timeout", "greeting", "no_xclient", "xclient_rejected"}) {
            backendFailure(reason, 0);
        }
        for (String result : new String[] {"confirmed", "unavailable", "tempunavail", "cached", "disabled"}) {
            dnsLookup(result, 0);
        }
        for (String result : new String[] {"ok", "invalid"}) {
            configReload(result, 0);
        }
        for (String event : new String[] {"used", "expired", "lost", "failed"}) {
            warmBackend(event, 0);
        }
        Gauge.builder(PREFIX + "sessions.active", active, AtomicInteger::get)
            .description("Connections open now").register(registry);
        Gauge.builder(PREFIX + "backend.warm.ready", warmReady, AtomicInteger::get)
            .description("Warm backend connections ready now (backend.warmConnections)").register(registry);
        sessionDuration = Timer.builder(PREFIX + "session.duration").description("Connection lifetime")
            .publishPercentileHistogram().register(registry);
        backendHandshake = Timer.builder(PREFIX + "backend.handshake")
            .description("Backend connect, greeting, EHLO and XCLIENT (XCLIENT only on a warm connection)")
            .publishPercentileHistogram().register(registry);
        dnsLookup = Timer.builder(PREFIX + "dns.lookup").description("Reverse lookups with forward confirmation")
            .publishPercentileHistogram().register(registry);
        bytesIn = Counter.builder(PREFIX + "bytes").tag("direction", "in").baseUnit("bytes")
            .description("Bytes from clients").register(registry);
        bytesOut = Counter.builder(PREFIX + "bytes").tag("direction", "out").baseUnit("bytes")
            .description("Bytes to clients").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A one-value gauge whose label names the I/O transport in use (listen.transport). */
    public void transport(String name) {
        Gauge.builder(PREFIX + "transport", () -> 1).tag("transport", name)
            .description("The Netty transport in use (value always 1)").register(registry);
    }

    public int activeSessions() {
        return active.get();
    }

    public void sessionStarted() {
        active.incrementAndGet();
        started.incrementAndGet();
    }

    /** Connections accepted since start. */
    public long sessionsStarted() {
        return started.get();
    }

    /** Called once per connection, with the byte counts of the whole session. */
    public void sessionEnded(Outcome outcome, Duration duration, long in, long out) {
        active.decrementAndGet();
        connections.get(outcome).increment();
        sessionDuration.record(duration);
        bytesIn.increment(in);
        bytesOut.increment(out);
    }

    /** @param version v1, v2, or none when no header was read */
    public void proxyHeader(String version, String result) {
        proxyHeader(version, result, 1);
    }

    public void backendHandshake(Duration duration) {
        backendHandshake.record(duration);
    }

    public void backendFailure(String reason) {
        backendFailure(reason, 1);
    }

    public void dnsLookup(String result, Duration duration) {
        dnsLookup(result, 1);
        if (duration != null) {
            dnsLookup.record(duration);
        }
    }

    public void configReload(String result) {
        configReload(result, 1);
    }

    /** A warm backend connection was used by a session, expired unused, lost (closed by the backend) or failed to open. */
    public void warmBackend(String event) {
        warmBackend(event, 1);
    }

    /** @param delta +1 when a warm connection becomes ready, -1 when it leaves the pool */
    public void warmReady(int delta) {
        warmReady.addAndGet(delta);
    }

    private void warmBackend(String event, int n) {
        counter("backend.warm", "event", event, null, null).increment(n);
    }

    private void proxyHeader(String version, String result, int n) {
        counter("proxy.headers", "version", version, "result", result).increment(n);
    }

    private void backendFailure(String reason, int n) {
        counter("backend.failures", "reason", reason, null, null).increment(n);
    }

    private void dnsLookup(String result, int n) {
        counter("dns.lookups", "result", result, null, null).increment(n);
    }

    private void configReload(String result, int n) {
        counter("config.reloads", "result", result, null, null).increment(n);
    }

    private Counter counter(String name, String k1, String v1, String k2, String v2) {
        String key = name + '|' + v1 + '|' + v2;
        return labelled.computeIfAbsent(key, k -> {
            Counter.Builder b = Counter.builder(PREFIX + name).tag(k1, v1);
            if (k2 != null) {
                b.tag(k2, v2);
            }
            return b.register(registry);
        });
    }
}
