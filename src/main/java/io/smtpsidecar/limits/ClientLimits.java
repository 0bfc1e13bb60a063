package io.smtpsidecar.limits;

import io.smtpsidecar.config.SidecarConfig;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connection limits on the real client (after the PROXY header), shared by all event loops. Behind a proxy Exim's
 * {@code smtp_accept_max_per_host} counts the proxy; the sidecar knows the client, so it counts that.
 *
 * <p>Per client it keeps the open connections and a token bucket for the rate ({@code connectionRatePerClient} per
 * minute, bursts up to that many). Updates of one client are atomic through {@link ConcurrentHashMap#compute}.
 * Memory is bounded: idle entries (no open connection, full bucket) are swept, and past {@code maxTrackedClients}
 * new clients are let through untracked rather than letting the map grow (a sweep runs at most once a second).
 */
public final class ClientLimits {
    /** Why a connection was refused, or OK. */
    public enum Decision { OK, TOTAL, PER_CLIENT, RATE }

    /** What one accepted connection holds; hand it back with {@link #release}. */
    public static final class Permit {
        private final InetAddress client;
        private final boolean tracked;

        private Permit(InetAddress client, boolean tracked) {
            this.client = client;
            this.tracked = tracked;
        }
    }

    /** The outcome of {@link #acquire}: a permit, or the limit that refused. */
    public record Result(Decision decision, Permit permit) {
    }

    private static final class Client {
        int active;
        double tokens;
        long refilledAt;
    }

    private static final long SWEEP_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ConcurrentHashMap<InetAddress, Client> clients = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicLong lastSweep = new AtomicLong(System.nanoTime() - SWEEP_EVERY_NANOS);

    public Result acquire(InetAddress client, SidecarConfig.Limits limits, long nowNanos) {
        int open = total.incrementAndGet();
        if (limits.maxConnections() > 0 && open > limits.maxConnections()) {
            total.decrementAndGet();
            return new Result(Decision.TOTAL, null);
        }
        boolean perClient = limits.maxConnectionsPerClient() > 0 || limits.connectionRatePerClient() > 0;
        if (!perClient) {
            return new Result(Decision.OK, new Permit(client, false));
        }
        if (clients.size() >= limits.maxTrackedClients() && !clients.containsKey(client)) {
            sweepIfDue(limits, nowNanos);
            if (clients.size() >= limits.maxTrackedClients()) {
                return new Result(Decision.OK, new Permit(client, false));
            }
        }
        Decision[] decision = {Decision.OK};
        clients.compute(client, (k, c) -> {
            if (c == null) {
                c = new Client();
                c.tokens = limits.connectionRatePerClient();
                c.refilledAt = nowNanos;
            }
            refill(c, limits, nowNanos);
            if (limits.maxConnectionsPerClient() > 0 && c.active >= limits.maxConnectionsPerClient()) {
                decision[0] = Decision.PER_CLIENT;
            } else if (limits.connectionRatePerClient() > 0 && c.tokens < 1) {
                decision[0] = Decision.RATE;
            } else {
                c.tokens -= limits.connectionRatePerClient() > 0 ? 1 : 0;
                c.active++;
            }
            return c;
        });
        if (decision[0] != Decision.OK) {
            total.decrementAndGet();
            return new Result(decision[0], null);
        }
        return new Result(Decision.OK, new Permit(client, true));
    }

    public void release(Permit permit) {
        total.decrementAndGet();
        if (permit.tracked) {
            clients.computeIfPresent(permit.client, (k, c) -> {
                c.active--;
                return c;
            });
        }
    }

    /** Drops clients with no open connection whose bucket has refilled; call it periodically. */
    public void sweep(SidecarConfig.Limits limits, long nowNanos) {
        lastSweep.set(nowNanos);
        for (InetAddress key : clients.keySet()) {
            clients.computeIfPresent(key, (k, c) -> {
                refill(c, limits, nowNanos);
                return c.active == 0 && c.tokens >= limits.connectionRatePerClient() ? null : c;
            });
        }
    }

    public int trackedClients() {
        return clients.size();
    }

    public int openConnections() {
        return total.get();
    }

    private void sweepIfDue(SidecarConfig.Limits limits, long nowNanos) {
        long last = lastSweep.get();
        if (nowNanos - last >= SWEEP_EVERY_NANOS && lastSweep.compareAndSet(last, nowNanos)) {
            sweep(limits, nowNanos);
        }
    }

    private static void refill(Client c, SidecarConfig.Limits limits, long nowNanos) {
        int rate = limits.connectionRatePerClient();
        if (rate <= 0) {
            c.tokens = 0;
            return;
        }
        double elapsedMinutes = (nowNanos - c.refilledAt) / 60e9;
        c.tokens = Math.min(rate, c.tokens + elapsedMinutes * rate);
        c.refilledAt = nowNanos;
    }
}
