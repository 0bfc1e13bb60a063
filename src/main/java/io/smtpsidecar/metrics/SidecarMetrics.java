package io.smtpsidecar.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The product's meters, prefix {@code smtp_sidecar_}: the process-wide ones here, the session ones per listener
 * ({@link ListenerMetrics}). Label values come from fixed sets (outcomes, reasons, versions, configured listener
 * names), never from addresses, so the series count is bounded. Every known label value is registered up front,
 * so dashboards see zeros rather than missing series.
 */
public final class SidecarMetrics {
    private static final String PREFIX = "smtp.sidecar.";

    private final MeterRegistry registry;
    private final Map<String, ListenerMetrics> listeners = new ConcurrentHashMap<>();
    private final Map<String, Counter> labelled = new ConcurrentHashMap<>();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();
    private final AtomicInteger warmReady = new AtomicInteger();
    private final Timer dnsLookup;

    public SidecarMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String result : new String[] {"confirmed", "unavailable", "tempunavail", "cached", "disabled"}) {
            dnsLookup(result, 0);
        }
        for (String result : new String[] {"ok", "invalid"}) {
            configReload(result, 0);
        }
        for (String event : new String[] {"used", "expired", "lost", "failed"}) {
            warmBackend(event, 0);
        }
        Gauge.builder(PREFIX + "backend.warm.ready", warmReady, AtomicInteger::get)
            .description("Warm backend connections ready now (backend.warmConnections)").register(registry);
        dnsLookup = Timer.builder(PREFIX + "dns.lookup").description("Reverse lookups with forward confirmation")
            .publishPercentileHistogram().register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A one-value gauge whose label names the I/O transport in use (listen.transport). */
    public void transport(String name) {
        Gauge.builder(PREFIX + "transport", () -> 1).tag("transport", name)
            .description("The Netty transport in use (value always 1)").register(registry);
    }

    /** The meters of the listener {@code name}, registered on first use. */
    public ListenerMetrics listener(String name) {
        return listeners.computeIfAbsent(name, n -> new ListenerMetrics(n, registry, this));
    }

    /** Connections open now, on every listener. */
    public int activeSessions() {
        return active.get();
    }

    void sessionStarted() {
        active.incrementAndGet();
        started.incrementAndGet();
    }

    void sessionEnded() {
        active.decrementAndGet();
    }

    /** Connections accepted since start. */
    public long sessionsStarted() {
        return started.get();
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
