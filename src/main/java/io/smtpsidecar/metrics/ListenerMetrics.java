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

/**
 * The session meters of one listener: each series carries {@code listener=<name>}, a configured name, so the series
 * count stays bounded. Every known label value is registered up front (dashboards see zeros, not gaps).
 */
public final class ListenerMetrics {
    /** Why a TLS handshake failed (tls terminate), the {@code reason} label. */
    public static final String[] TLS_FAILURE_REASONS = {
        "not_tls", "protocol_version", "no_shared_cipher", "certificate_rejected", "timeout", "closed", "other"};
    private static final String PREFIX = "smtp.sidecar.";

    private final String name;
    private final MeterRegistry registry;
    private final SidecarMetrics process;
    private final Map<Outcome, Counter> connections = new EnumMap<>(Outcome.class);
    private final Map<String, Counter> labelled = new ConcurrentHashMap<>();
    private final AtomicInteger active = new AtomicInteger();
    private final Timer sessionDuration;
    private final Timer backendHandshake;
    private final Counter bytesIn;
    private final Counter bytesOut;

    ListenerMetrics(String name, MeterRegistry registry, SidecarMetrics process) {
        this.name = name;
        this.registry = registry;
        this.process = process;
        for (Outcome o : Outcome.values()) {
            connections.put(o, Counter.builder(PREFIX + "connections").tag("listener", name).tag("outcome", o.label())
                .description("Connections by how they ended").register(registry));
        }
        for (String version : new String[] {"v1", "v2"}) {
            for (String result : new String[] {"ok", "local", "malformed", "timeout", "rejected"}) {
                counter("proxy.headers", "version", version, "result", result);
            }
        }
        counter("proxy.headers", "version", "none", "result", "not_required");
        counter("proxy.headers", "version", "none", "result", "malformed");
        counter("proxy.headers", "version", "none", "result", "timeout");
        for (String reason : new String[] {"connect", "timeout", "greeting", "no_xclient", "xclient_rejected"}) {
            counter("backend.failures", "reason", reason, null, null);
        }
        Gauge.builder(PREFIX + "sessions.active", active, AtomicInteger::get).tag("listener", name)
            .description("Connections open now").register(registry);
        sessionDuration = Timer.builder(PREFIX + "session.duration").tag("listener", name)
            .description("Connection lifetime").publishPercentileHistogram().register(registry);
        backendHandshake = Timer.builder(PREFIX + "backend.handshake").tag("listener", name)
            .description("Backend connect, greeting, EHLO and XCLIENT (XCLIENT only on a warm connection)")
            .publishPercentileHistogram().register(registry);
        bytesIn = Counter.builder(PREFIX + "bytes").tag("listener", name).tag("direction", "in").baseUnit("bytes")
            .description("Bytes from clients").register(registry);
        bytesOut = Counter.builder(PREFIX + "bytes").tag("listener", name).tag("direction", "out").baseUnit("bytes")
            .description("Bytes to clients").register(registry);
    }

    /** Registers the TLS series (listeners with tls terminate only, so the others show none). */
    public void tlsEnabled() {
        for (String reason : TLS_FAILURE_REASONS) {
            counter("tls.handshake.failures", "reason", reason, null, null);
        }
        counter("tls.certificate.reloads", "result", "ok", null, null);
        counter("tls.certificate.reloads", "result", "invalid", null, null);
    }

    public String name() {
        return name;
    }

    public void sessionStarted() {
        active.incrementAndGet();
        process.sessionStarted();
    }

    /** Called once per connection, with the byte counts of the whole session. */
    public void sessionEnded(Outcome outcome, Duration duration, long in, long out) {
        active.decrementAndGet();
        process.sessionEnded();
        connections.get(outcome).increment();
        sessionDuration.record(duration);
        bytesIn.increment(in);
        bytesOut.increment(out);
    }

    /** @param version v1, v2, or none when no header was read */
    public void proxyHeader(String version, String result) {
        counter("proxy.headers", "version", version, "result", result).increment();
    }

    public void backendHandshake(Duration duration) {
        backendHandshake.record(duration);
    }

    public void backendFailure(String reason) {
        counter("backend.failures", "reason", reason, null, null).increment();
    }

    /** @param reason one of {@link #TLS_FAILURE_REASONS} */
    public void tlsFailure(String reason) {
        counter("tls.handshake.failures", "reason", reason, null, null).increment();
    }

    /** A changed certificate pair on disk: {@code ok} (now in use) or {@code invalid} (the old one stays). */
    public void certificateReload(String result) {
        counter("tls.certificate.reloads", "result", result, null, null).increment();
    }

    private Counter counter(String meter, String k1, String v1, String k2, String v2) {
        String key = meter + '|' + v1 + '|' + v2;
        return labelled.computeIfAbsent(key, k -> {
            Counter.Builder b = Counter.builder(PREFIX + meter).tag("listener", name).tag(k1, v1);
            if (k2 != null) {
                b.tag(k2, v2);
            }
            return b.register(registry);
        });
    }
}
