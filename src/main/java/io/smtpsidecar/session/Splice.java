package io.smtpsidecar.session;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

/**
 * Relays client and backend both ways with backpressure (a write queue over its limit pauses the reading side until
 * it drains, as {@code pipeTo} does) and completes when both sockets are closed. A TCP half-close cannot be expressed
 * ({@code NetSocket.end()} is a full close), so when one side ends or fails the other is closed. Byte counts are kept
 * per buffer, not per byte.
 *
 * <p>The bytes are relayed as Netty buffers ({@code messageHandler} / {@code writeMessage}), not as Vert.x
 * {@code Buffer}s: the {@code Buffer} path copies every read out of the pooled direct buffer into a new heap buffer,
 * which Netty then copies back into a direct buffer to write it, two copies and a garbage array per read.
 */
final class Splice {
    private final NetSocketInternal client;
    private final NetSocketInternal backend;
    private final Promise<Void> done = Promise.promise();
    private long fromClient;
    private long toClient;
    private int open = 2;

    Splice(NetSocket client, NetSocket backend) {
        this.client = (NetSocketInternal) client;
        this.backend = (NetSocketInternal) backend;
    }

    /** Starts both directions; call on the sockets' event loop, with no other data handler work pending. */
    Future<Void> start() {
        client.closeHandler(v -> closed(backend));
        backend.closeHandler(v -> closed(client));
        client.endHandler(v -> Sockets.close(backend));
        backend.endHandler(v -> Sockets.close(client));
        client.exceptionHandler(e -> Sockets.close(backend));
        backend.exceptionHandler(e -> Sockets.close(client));
        client.messageHandler(msg -> fromClient += relay(msg, client, backend));
        backend.messageHandler(msg -> toClient += relay(msg, backend, client));
        return done.future();
    }

    /** Writes one read to the other side and pauses the reader while the writer's queue is full. */
    private static int relay(Object msg, NetSocketInternal from, NetSocketInternal to) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return 0;
        }
        int length = buf.readableBytes();
        to.writeMessage(buf);
        if (to.writeQueueFull()) {
            from.pause();
            to.drainHandler(v -> from.resume());
        }
        return length;
    }

    private void closed(NetSocket other) {
        Sockets.close(other);
        if (--open == 0) {
            done.complete();
        }
    }

    long bytesFromClient() {
        return fromClient;
    }

    long bytesToClient() {
        return toClient;
    }
}
