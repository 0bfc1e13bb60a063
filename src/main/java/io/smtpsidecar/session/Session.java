package io.smtpsidecar.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.smtpsidecar.backend.BackendFailure;
import io.smtpsidecar.backend.BackendHandshake;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.proxy.DecodeResult;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.smtpsidecar.relay.Splice;
import io.smtpsidecar.transport.SocketErrors;
import io.vertx.core.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One client connection, from accept to the log line, as the client channel's handler until the relay starts:
 * PROXY header (required peers only), then refusal mode or the backend handshake, then the {@link Splice}. Every
 * failure before the relay is a {@link Failure}, put on the wire by {@link #fail}. Runs on the channel's event loop.
 */
final class Session extends ChannelInboundHandlerAdapter {
    private enum Phase { HEADER, REFUSAL, HANDSHAKE, SPLICE, CLOSING, DONE }

    private final Channel channel;
    private final LoopServices loop;
    private final SidecarConfig config;
    private final long startNanos = System.nanoTime();
    private final ClientIdentity identity;
    private Phase phase;
    private ProxyHeaderDecoder decoder;
    private ScheduledFuture<?> timer;
    private long bytesIn;
    private long bytesOut;
    private BackendHandshake backend;
    private RefusalSession refusal;
    private Splice splice;
    private ClientLimits.Permit permit;
    private boolean draining;
    private String socketError;

    Session(Channel channel, LoopServices loop, SidecarConfig config) {
        this.channel = channel;
        this.loop = loop;
        this.config = config;
        this.identity = new ClientIdentity((InetSocketAddress) channel.remoteAddress(),
            (InetSocketAddress) channel.localAddress());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        loop.opened(this);
        loop.services().metrics().sessionStarted();
        if (config.proxy().requiredHosts().matches(identity.peer().getAddress())) {
            phase = Phase.HEADER;
            decoder = new ProxyHeaderDecoder(config.proxy().maxHeaderBytes());
            // one absolute deadline from accept: trickled bytes do not extend it
            timer = schedule(config.proxy().headerTimeout(), () -> onHeader(decoder.timeout(), true));
        } else {
            loop.services().metrics().proxyHeader("none", "not_required");
            forward();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        byte[] data = ByteBufUtil.getBytes((ByteBuf) msg);
        ReferenceCountUtil.release(msg);
        if (phase == Phase.REFUSAL) {
            refusal.onData(data);
            return;
        }
        bytesIn += data.length;
        if (phase == Phase.HEADER) {
            onHeader(decoder.feed(data), false);
        } else if (phase == Phase.HANDSHAKE) {
            fail(new Failure.EarlyTalker());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a reset before the relay: noted on the session line
        socketError = "client connection error: " + SocketErrors.text(cause);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (phase == Phase.HEADER || phase == Phase.HANDSHAKE) {
            String what = phase == Phase.HEADER ? "connection closed during the PROXY header"
                : "client closed the connection during the backend handshake";
            end(Outcome.CLOSED_EARLY, socketError == null ? what : what + " (" + socketError + ")", null);
            closeBackend();
        }
    }

    /**
     * SIGTERM: relayed sessions run on until the drain timeout; refusal sessions end now; a session still in the
     * header or handshake when the drain is nearly over gets 421 instead of a silent close.
     */
    void shutdown(Duration timeout) {
        draining = true;
        if (phase == Phase.REFUSAL) {
            refusal.shutdown();
        } else if (phase == Phase.HEADER || phase == Phase.HANDSHAKE) {
            // leave the 421 time to be written before the listener force-closes at the timeout, even when loaded
            long margin = Math.min(1000, timeout.toMillis() / 4);
            schedule(Duration.ofMillis(Math.max(1, timeout.toMillis() - margin)), () -> {
                if (phase == Phase.HEADER || phase == Phase.HANDSHAKE) {
                    fail(new Failure.Shutdown(Outcome.CLOSED_EARLY, "shutdown: closed before the session started", null));
                }
            });
        }
    }

    /** The drain timeout passed: whatever is still open is closed (a relay flushes what it read first). */
    void forceClose() {
        closeBackend();
        channel.close();
    }

    private void onHeader(DecodeResult result, boolean timedOut) {
        if (phase != Phase.HEADER || result instanceof DecodeResult.NeedMore) {
            return;
        }
        timer.cancel(false);
        if (result instanceof DecodeResult.Invalid invalid) {
            loop.services().metrics().proxyHeader(invalid.version(), timedOut ? "timeout" : "malformed");
            fail(timedOut ? new Failure.HeaderTimeout(invalid) : new Failure.HeaderInvalid(invalid));
            return;
        }
        DecodeResult.Decoded decoded = (DecodeResult.Decoded) result;
        ProxyHeader header = decoded.header();
        String refused = identity.accept(header, config.proxy());
        loop.services().metrics().proxyHeader("v" + header.version(),
            refused != null ? "rejected" : header.local() ? "local" : "ok");
        if (refused != null) {
            fail(new Failure.SourceRejected(new DecodeResult.Invalid(refused, new byte[0], decoded.rest())));
        } else if (decoded.rest().length > 0) {
            fail(new Failure.EarlyTalker());
        } else {
            forward();
        }
    }

    private void forward() {
        ClientLimits.Result limit = loop.services().limits().acquire(identity.client().getAddress(), config.limits(),
            System.nanoTime());
        if (limit.decision() != ClientLimits.Decision.OK) {
            fail(Failure.Limited.of(limit.decision(), config.limits()));
            return;
        }
        permit = limit.permit();
        phase = Phase.HANDSHAKE;
        SidecarConfig.Backend cfg = config.backend();
        boolean xclient = cfg.handshake() == SidecarConfig.Handshake.XCLIENT;
        Future<String> name = xclient ? loop.reverseName(identity.client().getAddress(), config) : Future.succeededFuture(null);
        BackendHandshake warm = xclient ? loop.warm().take() : null;
        handshake(warm != null ? warm : loop.connector().open(cfg, config.smtp().hostname(), identity.proxyHeader(cfg.handshake())),
            name, System.nanoTime(), warm != null);
    }

    /**
     * Waits for the backend's greeting for the client. A warm connection that fails (the backend closed it or timed
     * it out just as it was taken) is replaced once by a new connection, which then decides.
     */
    private void handshake(BackendHandshake b, Future<String> name, long start, boolean warm) {
        backend = b;
        b.opened().compose(v -> b.identify(advertised -> name.map(identity::xclient))).onComplete(result -> {
            if (phase != Phase.HANDSHAKE) {
                b.close();
            } else if (result.failed() && warm) {
                b.close();
                handshake(loop.connector().open(config.backend(), config.smtp().hostname(), null), name, start, false);
            } else if (result.failed()) {
                fail(new Failure.BackendUnavailable(result.cause() instanceof BackendFailure f ? f
                    : new BackendFailure("greeting", String.valueOf(result.cause()))));
            } else {
                loop.services().metrics().backendHandshake(Duration.ofNanos(System.nanoTime() - start));
                splice(result.result());
            }
        });
    }

    private void splice(BackendHandshake.Greeting greeting) {
        phase = Phase.SPLICE;
        write(greeting.relay());
        channel.pipeline().remove(this);
        Channel backendChannel = backend.channel();
        // the relay holds this session until the end: what only the handshake needed goes now (a held session's heap)
        backend = null;
        decoder = null;
        splice = new Splice(channel, backendChannel, config.smtp().halfCloseTimeout(), () -> {
            bytesIn += splice.bytesFromClient();
            bytesOut += splice.bytesToClient();
            end(Outcome.FORWARDED, splice.problem(), null);
        });
        splice.start();
    }

    /** The one place a failure reaches the wire: a refusal session, or the last reply and a close. */
    void fail(Failure failure) {
        if (phase == Phase.DONE || phase == Phase.CLOSING || phase == Phase.REFUSAL) {
            return;
        }
        boolean refuse = failure instanceof Failure.Header && !draining;
        // the phase first: closing a backend that is still connecting fails its handshake at once, and that
        // failure must find the session already decided
        phase = refuse ? Phase.REFUSAL : Phase.CLOSING;
        closeBackend();
        if (timer != null) {
            timer.cancel(false);
        }
        if (refuse) {
            Failure.Header header = (Failure.Header) failure;
            refusal = new RefusalSession(channel, config.smtp());
            refusal.start(header.header().pending(), syncError -> {
                bytesIn += refusal.bytesIn();
                bytesOut += refusal.bytesOut();
                end(syncError ? Outcome.SYNC_ERROR : header.outcome(), header.reason(), header.header().head());
            });
            return;
        }
        Failure last = failure instanceof Failure.Header header
            ? new Failure.Shutdown(header.outcome(), header.reason() + "; shutting down", header.header().head())
            : failure;
        if (last instanceof Failure.BackendUnavailable unavailable) {
            loop.services().metrics().backendFailure(unavailable.cause().reason());
        }
        write(last.reply(config.smtp().hostname()));
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        channel.closeFuture().addListener(f -> end(last.outcome(), last.reason(),
            last instanceof Failure.Shutdown shutdown ? shutdown.failedHeader() : null));
    }

    /** Writes to the client; {@code out=} counts the bytes once the socket has taken them. */
    private void write(byte[] data) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(data)).addListener(f -> {
            if (f.isSuccess()) {
                bytesOut += data.length;
            }
        });
    }

    private void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    private ScheduledFuture<?> schedule(Duration delay, Runnable task) {
        return channel.eventLoop().schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void end(Outcome outcome, String reason, byte[] failedHeader) {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        loop.closed(this);
        if (permit != null) {
            loop.services().limits().release(permit);
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - startNanos);
        loop.services().metrics().sessionEnded(outcome, duration, bytesIn, bytesOut);
        loop.log(new SessionRecord(identity.peer(), identity.client(), identity.name(), identity.source(), outcome,
            reason, failedHeader, bytesIn, bytesOut, duration));
    }

}
