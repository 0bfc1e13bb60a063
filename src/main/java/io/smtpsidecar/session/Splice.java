package io.smtpsidecar.session;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.streams.WriteStream;

/**
 * Pipes client and backend both ways with backpressure ({@code pipeTo} pauses the reader while the writer's queue is
 * full) and completes when both sockets are closed. A TCP half-close cannot be expressed ({@code NetSocket.end()} is a
 * full close), so when one side ends or fails the other is closed. Byte counts are kept per buffer, not per byte.
 */
final class Splice {
    private final NetSocket client;
    private final NetSocket backend;
    private final Counting toBackend;
    private final Counting toClient;
    private final Promise<Void> done = Promise.promise();
    private int open = 2;

    Splice(NetSocket client, NetSocket backend) {
        this.client = client;
        this.backend = backend;
        this.toBackend = new Counting(backend);
        this.toClient = new Counting(client);
    }

    /** Starts both pipes; the sockets must be paused or have no pending data handler work left. */
    Future<Void> start() {
        client.closeHandler(v -> closed(backend));
        backend.closeHandler(v -> closed(client));
        client.pipeTo(toBackend);
        backend.pipeTo(toClient);
        return done.future();
    }

    private void closed(NetSocket other) {
        Sockets.close(other);
        if (--open == 0) {
            done.complete();
        }
    }

    long bytesFromClient() {
        return toBackend.bytes;
    }

    long bytesToClient() {
        return toClient.bytes;
    }

    /** Forwards to a socket and adds up the buffer sizes. */
    private static final class Counting implements WriteStream<Buffer> {
        private final NetSocket target;
        private long bytes;

        Counting(NetSocket target) {
            this.target = target;
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            target.exceptionHandler(handler);
            return this;
        }

        @Override
        public Future<Void> write(Buffer data) {
            bytes += data.length();
            return target.write(data);
        }

        @Override
        public Future<Void> end() {
            return Sockets.close(target);
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            target.setWriteQueueMaxSize(maxSize);
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            return target.writeQueueFull();
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            target.drainHandler(handler);
            return this;
        }
    }
}
