package io.smtpsidecar.backend;

import io.netty.util.concurrent.ScheduledFuture;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.metrics.SidecarMetrics;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's backend connections kept ready for XCLIENT ({@code backend.warmConnections}): connected, greeted
 * and past {@code EHLO}, so a session's banner waits for one backend round trip (XCLIENT → 220) instead of four
 * (connect, greeting, EHLO, XCLIENT). Each one is used once. A connection idle for {@code backend.warmMaxIdle} is
 * ended with QUIT and replaced, before the MTA's own idle timeout; one the backend closes or talks on is dropped and
 * replaced. Failed opens back off (1 s doubling to 30 s) while sessions take the normal path. Not thread-safe: it
 * belongs to one event loop, like the sessions that use it.
 */
public final class WarmBackends {
    private static final long FIRST_BACKOFF_MS = 1000;
    private static final long MAX_BACKOFF_MS = 30_000;

    private final BackendConnector connector;
    private final SidecarMetrics metrics;
    private final int index;
    private final int eventLoops;
    private final Deque<BackendHandshake> ready = new ArrayDeque<>();
    private final Map<BackendHandshake, ScheduledFuture<?>> expiry = new HashMap<>();
    private Key key;
    private int opening;
    private long backoffMs = FIRST_BACKOFF_MS;
    private ScheduledFuture<?> retryTimer;
    private boolean closed;

    /** What the connections were opened for; a reload that changes it empties the pool. */
    private record Key(SidecarConfig.Backend backend, String ehloName) {
    }

    /**
     * @param index which of the {@code eventLoops} event loops this is (0-based)
     * @param eventLoops how many event loops split {@code backend.warmConnections} between them
     */
    public WarmBackends(BackendConnector connector, SidecarMetrics metrics, int index, int eventLoops) {
        this.connector = connector;
        this.metrics = metrics;
        this.index = index;
        this.eventLoops = eventLoops;
    }

    /**
     * Fills the pool for this configuration (nothing when {@code backend.warmConnections} is 0); called at start and
     * after each reload, so that a session need not compare configurations.
     */
    public void fill(SidecarConfig.Listener listener) {
        Key wanted = new Key(listener.backend(), listener.smtp().hostname());
        if (!wanted.equals(key)) {
            drop();
            key = wanted;
            backoffMs = FIRST_BACKOFF_MS;
        }
        refill();
    }

    /** A ready connection, or null (the session connects as usual); starts its replacement. */
    public BackendHandshake take() {
        BackendHandshake h = ready.peek();
        if (h != null) {
            unpark(h);
            metrics.warmBackend("used");
            refill();
        }
        return h;
    }

    /** Ends every ready connection with QUIT and opens no more. */
    public void close() {
        closed = true;
        drop();
    }

    private int target() {
        return key == null ? 0 : share(key.backend().warmConnections(), index, eventLoops);
    }

    /**
     * Event loop {@code index}'s part of {@code total}: the parts add up to exactly {@code total} (it is what the MTA
     * must have idle processes for), the first {@code total % eventLoops} loops keeping one more.
     */
    static int share(int total, int index, int eventLoops) {
        return total / eventLoops + (index < total % eventLoops ? 1 : 0);
    }

    private void refill() {
        while (!closed && retryTimer == null && ready.size() + opening < target()) {
            open(key);
        }
    }

    private void open(Key k) {
        opening++;
        SidecarConfig.Backend cfg = k.backend();
        BackendHandshake h = connector.open(cfg, k.ehloName(), null);
        h.opened().onComplete(ar -> {
            opening--;
            if (ar.failed()) {
                h.close();
                metrics.warmBackend("failed");
                if (k.equals(key)) {
                    backOff();
                }
                return;
            }
            if (closed || !k.equals(key) || ready.size() >= target()) {
                h.quit();
                return;
            }
            backoffMs = FIRST_BACKOFF_MS;
            ready.add(h);
            metrics.warmReady(1);
            h.whileIdle(() -> lost(h));
            expiry.put(h, connector.eventLoop().schedule(() -> expired(h), cfg.warmMaxIdle().toMillis(),
                TimeUnit.MILLISECONDS));
        });
    }

    /** Takes a ready connection out of the pool; false if it was no longer there. */
    private boolean unpark(BackendHandshake h) {
        if (!ready.remove(h)) {
            return false;
        }
        expiry.remove(h).cancel(false);
        metrics.warmReady(-1);
        return true;
    }

    private void backOff() {
        if (retryTimer != null || closed) {
            return;
        }
        long delay = backoffMs;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        retryTimer = connector.eventLoop().schedule(() -> {
            retryTimer = null;
            refill();
        }, delay, TimeUnit.MILLISECONDS);
    }

    private void expired(BackendHandshake h) {
        if (unpark(h)) {
            metrics.warmBackend("expired");
            h.quit();
            refill();
        }
    }

    /** The backend closed or talked on an idle connection (its own idle timeout, a restart). */
    private void lost(BackendHandshake h) {
        if (unpark(h)) {
            metrics.warmBackend("lost");
            h.close();
            backOff();
        }
    }

    private void drop() {
        while (!ready.isEmpty()) {
            BackendHandshake h = ready.peek();
            unpark(h);
            h.quit();
        }
        if (retryTimer != null) {
            retryTimer.cancel(false);
            retryTimer = null;
        }
    }
}
