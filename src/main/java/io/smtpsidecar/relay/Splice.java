package io.smtpsidecar.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.smtpsidecar.transport.SocketErrors;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Relays client and backend both ways, as TCP does: with backpressure, with half-closes, and without losing what was
 * read. It works on the Netty channels directly (one handler per channel, the last in its pipeline): Vert.x's
 * sockets have no half-close, drop what they queued when they close, and cost a copy and a queue per read.
 *
 * <ul>
 *   <li>Backpressure: a read is written to the other channel and flushed once per read burst, or at once when the
 *       write buffer passes Netty's high-water mark; while the other channel's socket cannot take the bytes (the
 *       buffer stays over the mark) the reading channel stops reading.</li>
 *   <li>Half-close: when one side ends its sending (FIN, or a TLS close_notify), what was read from it is flushed
 *       and then the write side toward the other peer is shut ({@code shutdownOutput}, after a close_notify of our
 *       own toward a TLS client). The other direction goes on until it ends too, or
 *       until {@code smtp.halfCloseTimeout}; then both are closed.</li>
 *   <li>A side that fails or closes cannot take more bytes: what was read from it is flushed to the other side,
 *       which is then closed.</li>
 * </ul>
 *
 * Byte counts are of bytes the socket accepted (a successful write), never of bytes that were dropped at a close.
 * Ends, on the channels' event loop, when both channels are closed.
 */
public final class Splice {
    private static final String HANDLER = "smtp-sidecar-splice";

    private final Channel client;
    private final Channel backend;
    private final Duration halfCloseTimeout;
    private final Runnable done;
    private final Direction up;
    private final Direction down;
    private ScheduledFuture<?> halfCloseTimer;
    private int open = 2;
    private String problem;

    /**
     * @param done runs once, on the event loop, when both channels are closed
     */
    public Splice(Channel client, Channel backend, Duration halfCloseTimeout, Runnable done) {
        this.client = client;
        this.backend = backend;
        this.halfCloseTimeout = halfCloseTimeout;
        this.done = done;
        this.up = new Direction("client", client, backend);
        this.down = new Direction("backend", backend, client);
    }

    /**
     * Starts relaying. Call on the channels' event loop (both are on the same one), with nothing else left in their
     * pipelines that reads, after the last write of the handshake was queued.
     */
    public void start() {
        install(up);
        install(down);
        client.closeFuture().addListener(f -> channelClosed());
        backend.closeFuture().addListener(f -> channelClosed());
    }

    /** Bytes from the client that the backend socket accepted. */
    public long bytesFromClient() {
        return up.delivered;
    }

    /** Bytes from the backend that the client socket accepted. */
    public long bytesToClient() {
        return down.delivered;
    }

    /** The first error or timeout that ended the relay, for the session line; null when both sides ended cleanly. */
    public String problem() {
        return problem;
    }

    private static void install(Direction direction) {
        Channel channel = direction.from;
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        channel.pipeline().addLast(HANDLER, direction);
        if (!channel.isActive()) {
            // closed before the handler was in place: the handler never sees channelInactive
            channel.eventLoop().execute(direction::fromClosed);
        }
        channel.config().setAutoRead(true);
    }

    private void channelClosed() {
        if (--open == 0) {
            cancelHalfCloseTimer();
            done.run();
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
                SslHandler tls = d.to.pipeline().get(SslHandler.class);
                if (tls != null) {
                    // TLS ends its sending with close_notify before the FIN, or the client sees a truncation
                    tls.closeOutbound().addListener(c -> shutdownOutput(duplex));
                } else {
                    shutdownOutput(duplex);
                }
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

    private static void shutdownOutput(DuplexChannel channel) {
        if (!channel.isActive()) {
            return;
        }
        channel.shutdownOutput();
        // its FIN will end the relay: closed at once, not half-closed (a shutdown of the input of a socket that has
        // sent and received its FIN fails with ENOTCONN and an exception per session)
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
    }

    private void cancelHalfCloseTimer() {
        if (halfCloseTimer != null) {
            halfCloseTimer.cancel(false);
        }
    }

    /** Closes a channel once every write queued on it before now has been written (or failed). */
    private static void closeAfterFlush(Channel channel) {
        if (channel instanceof DuplexChannel duplex && duplex.isOutputShutdown()) {
            // nothing can be written any more (and a write would fail with an exception): close now
            channel.close();
        } else if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * One direction of the relay: reads {@code from}, writes {@code to}. Both channels are on the session's event
     * loop (the backend connection, warm or not, is made on the session's event loop), so no state here is shared
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
                // over the high-water mark: hand the socket what it takes now, and stop reading only if it cannot
                // take it all (each stop and restart is an epoll_ctl; flushing once per burst alone made ~19 per MB)
                flush();
                if (!to.isWritable()) {
                    from.config().setAutoRead(false);
                }
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
            // a TLS client's close_notify ends its sending as a FIN does (it may wait for ours before its FIN)
            if (evt == ChannelInputShutdownEvent.INSTANCE || evt instanceof SslCloseCompletionEvent) {
                flush();
                inputEnded(this);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // this channel is the target of the other direction: let that one read again
            Direction other = this == up ? down : up;
            if (from.isWritable() && !other.ended) {
                other.from.config().setAutoRead(true);
            }
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
