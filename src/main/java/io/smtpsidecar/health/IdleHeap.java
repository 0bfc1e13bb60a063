package io.smtpsidecar.health;

import io.smtpsidecar.metrics.SidecarMetrics;
import io.vertx.core.Vertx;

/**
 * Gives the heap back when the sidecar goes quiet. The serial collector shrinks the heap, and returns the memory to
 * the system, only at a full collection, which a quiet process never has: the garbage a busy hour promoted would stay
 * resident. Once no connection has arrived for a whole check period and none is open, one {@code System.gc()} runs on
 * a worker thread (not on an event loop); the next only after new traffic. G1's {@code G1PeriodicGCInterval} does the
 * same for G1.
 */
public final class IdleHeap {
    private final Vertx vertx;
    private final SidecarMetrics metrics;
    private final Runnable collect;
    private long seen = -1;
    private boolean collected;
    private long timer = -1;

    public IdleHeap(Vertx vertx, SidecarMetrics metrics) {
        this(vertx, metrics, () -> vertx.executeBlocking(() -> {
            System.gc();
            return null;
        }));
    }

    /** @param collect runs the collection (tests count the calls) */
    IdleHeap(Vertx vertx, SidecarMetrics metrics, Runnable collect) {
        this.vertx = vertx;
        this.metrics = metrics;
        this.collect = collect;
    }

    public void start(long periodMs) {
        timer = vertx.setPeriodic(periodMs, id -> check());
    }

    public void stop() {
        vertx.cancelTimer(timer);
    }

    /** One tick of the period. */
    void check() {
        long started = metrics.sessionsStarted();
        if (started != seen) {
            seen = started;
            collected = false;
        } else if (!collected && metrics.activeSessions() == 0) {
            collected = true;
            collect.run();
        }
    }
}
