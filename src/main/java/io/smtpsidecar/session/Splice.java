package io.smtpsidecar.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.smtpsidecar.transport.SocketErrors;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Relays client and backend both ways, as TCP does: with backpressure, with half-closes, and without losing what was
 * read. It works on the Netty channels under the Vert.x sockets (one handler per channel, in front of Vert.x's), for
 * three reasons: Vert.x has no half-close ({@code NetSocket.end()} closes), a Vert.x socket that closes drops the
 * reads it queued while paused and the writes still in its outbound queue, and each Vert.x buffer costs two copies.
 *
 * <ul>
 *   <li>Backpressure: a read is written to the other channel and flushed once per read burst; while the other
 *       channel is not writable (Netty's write-buffer high-water mark) the reading channel stops reading.</li>
 *   <li>Half-close: when one side ends its sending (FIN), what was read from it is flushed and then the write side
 *       toward the other peer is shut ({@code shutdownOutput}). The other direction goes on until it ends too, or
 *       until {@code smtp.halfCloseTimeout}; then both are closed.</li>
 *   <li>A side that fails or closes cannot take more bytes: what was read from it is flushed to the other side,
 *       which is then closed.</li>
 * </ul>
 *
 * Byte counts are of bytes the socket accepted (a successful write), never of bytes that were dropped at a close.
 * Completes, on the session's context, when both channels are closed.
 */
final class Splice {
    private static final String HANDLER = "smtp-sidecar-splice";

    private final Context context;
    private final Channel client;
    private final Channel backend;
    private final NetSocketInternal clientSocket;
    private final NetSocketInternal backendSocket;
    private final Duration halfCloseTimeout;
    private final Promise<Void> done = Promise.promise();
    private final Direction up;
    private final Direction down;
    private ScheduledFuture<?> halfCloseTimer;
    private int open = 2;
    private String problem;

    /** Call on the sockets' event loop, after the last write of the handshake was queued. */
    Splice(Context context, NetSocket client, NetSocket backend, Duration halfCloseTimeout) {
        this.context = context;
        this.clientSocket = (NetSocketInternal) client;
        this.backendSocket = (NetSocketInternal) backend;
        this.client = clientSocket.channelHandlerContext().channel();
        this.backend = backendSocket.channelHandlerContext().channel();
        this.halfCloseTimeout = halfCloseTimeout;
        this.up = new Direction("client", this.client, this.backend);
        this.down = new Direction("backend", this.backend, this.client);
    }

    Future<Void> start() {
        // nothing reaches the sockets' Vert.x handlers from now on: dropping them frees the handshake's objects
        // (reply parser, queues, promises) for the rest of the session; the client keeps its drain handler
        for (NetSocketInternal socket : new NetSocketInternal[] {clientSocket, backendSocket}) {
            socket.handler(null);
            socket.endHandler(null);
            socket.exceptionHandler(null);
            socket.closeHandler(null);
        }
        install(clientSocket, up);
        install(backendSocket, down);
        client.closeFuture().addListener(f -> channelClosed());
        backend.closeFuture().addListener(f -> channelClosed());
        return done.future();
    }

    /** Bytes from the client that the backend socket accepted. */
    long bytesFromClient() {
        return up.delivered;
    }

    /** Bytes from the backend that the client socket accepted. */
    long bytesToClient() {
        return down.delivered;
    }

    /** The first error or timeout that ended the relay, for the session line; null when both sides ended cleanly. */
    String problem() {
        return problem;
    }

    private static void install(NetSocketInternal socket, Direction direction) {
        ChannelHandlerContext vertx = socket.channelHandlerContext();
        vertx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        ChannelPipeline pipeline = vertx.pipeline();
        pipeline.addBefore(vertx.name(), HANDLER, direction);
        if (!vertx.channel().isActive()) {
            // closed before the handler was in place: the handler never sees channelInactive
            direction.from.eventLoop().execute(direction::fromClosed);
        }
        vertx.channel().config().setAutoRead(true);
    }

    private void channelClosed() {
        if (--open == 0) {
            cancelHalfCloseTimer();
            context.runOnContext(v -> done.tryComplete());
        }
    }

    private void noteProblem(String text) {
        if (problem == null) {
            problem = text;
        }
    }

    /** One side has no more to send: the other side learns it once the bytes before the FIN are written. */
    private void inputEnded(Direction d) {
        if (d.ended) {
            return;
        }
        d.ended = true;
        Direction other = d == up ? down : up;
        if (other.ended) {
            cancelHalfCloseTimer();
            closeAfterFlush(client);
            closeAfterFlush(backend);
            return;
        }
        d.to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (f.isSuccess() && d.to instanceof DuplexChannel duplex && !other.ended) {
                duplex.shutdownOutput();
            }
        });
        if (halfCloseTimer == null) {
            halfCloseTimer = client.eventLoop().schedule(() -> {
                noteProblem("half-closed for " + halfCloseTimeout.toMillis() + "ms (smtp.halfCloseTimeout): "
                    + d.side + " had ended, " + other.side + " had not");
                client.close();
                backend.close();
            }, halfCloseTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void cancelHalfCloseTimer() {
        if (halfCloseTimer != null) {
            halfCloseTimer.cancel(false);
        }
    }

    /** Closes a channel once every write queued on it before now has been written (or failed). */
    private static void closeAfterFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * One direction of the relay: reads {@code from}, writes {@code to}. Both channels are on the session's event
     * loop (the backend connection, warm or not, is made from the session's context), so no state here is shared
     * across threads.
     */
    private final class Direction extends ChannelInboundHandlerAdapter {
        final String side;
        final Channel from;
        final Channel to;
        long delivered;
        boolean ended;
        boolean unflushed;

        Direction(String side, Channel from, Channel to) {
            this.side = side;
            this.from = from;
            this.to = to;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf) || ended || !to.isActive()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            int length = buf.readableBytes();
            to.write(buf).addListener(f -> written(f.isSuccess(), f.cause(), length));
            unflushed = true;
            if (!to.isWritable()) {
                from.config().setAutoRead(false);
            }
        }

        private void written(boolean success, Throwable cause, int length) {
            if (success) {
                delivered += length;
            } else if (to.isActive()) {
                // the peer is gone (reset, broken pipe): nothing more can be delivered to it
                noteProblem((side.equals("client") ? "backend" : "client") + " write failed: " + SocketErrors.text(cause));
                to.close();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            flush();
        }

        void flush() {
            if (unflushed) {
                unflushed = false;
                to.flush();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ChannelInputShutdownEvent.INSTANCE) {
                flush();
                inputEnded(this);
            } else if (evt != ChannelInputShutdownReadComplete.INSTANCE) {
                // Vert.x's own events (its graceful-shutdown event for the drain) go on to Vert.x
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // this channel is the target of the other direction: let that one read again
            Direction other = this == up ? down : up;
            if (from.isWritable() && !other.ended) {
                other.from.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a reset or other socket error: reported on the session line, not by Vert.x's logger
            noteProblem(side + " connection error: " + SocketErrors.text(cause));
            from.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fromClosed();
            ctx.fireChannelInactive();
        }

        /** {@code from} is closed: it sends and takes nothing more, so the other side ends once it has our bytes. */
        void fromClosed() {
            flush();
            ended = true;
            Direction other = this == up ? down : up;
            other.ended = true;
            cancelHalfCloseTimer();
            closeAfterFlush(to);
        }
    }
}
