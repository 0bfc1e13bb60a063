package io.smtpsidecar.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.smtpsidecar.backend.BackendFailure;
import io.smtpsidecar.backend.BackendHandshake;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.config.SidecarConfig.TlsMode;
import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.ListenerMetrics;
import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.proxy.DecodeResult;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.smtpsidecar.relay.Splice;
import io.smtpsidecar.tls.TlsFailures;
import io.smtpsidecar.transport.SocketErrors;
import io.vertx.core.Future;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One client connection, from accept to the log line, as the client channel's handler until the relay starts:
 * PROXY header (required peers only), TLS ({@code tls: terminate}), then refusal mode or the backend handshake,
 * then the {@link Splice}. Every failure before the relay is a {@link Failure}, put on the wire by {@link #fail}.
 * With {@code tls: passthrough} the client's bytes after the header go to the backend untouched, after a PROXY
 * header of the sidecar's. Runs on the channel's event loop.
 */
final class Session extends ChannelInboundHandlerAdapter {
    private enum Phase { HEADER, TLS, REFUSAL, HANDSHAKE, SPLICE, CLOSING, DONE }

    private final Channel channel;
    private final LoopServices loop;
    private final SidecarConfig config;
    private final SidecarConfig.Listener listener;
    private final ListenerState state;
    private final ListenerMetrics metrics;
    private final long startNanos = System.nanoTime();
    private final ClientIdentity identity;
    private Phase phase;
    private ProxyHeaderDecoder decoder;
    private ScheduledFuture<?> timer;
    private long bytesIn;
    private long bytesOut;
    private BackendHandshake backend;
    private Channel passthroughBackend;
    private ByteArrayOutputStream passthroughPending;
    private RefusalSession refusal;
    private Failure.Header refusalAfterTls;
    /** tls terminate, header phase: every byte so far, for the TLS layer if the header fails (the decoder
     *  swallows a failed header, which may be the start of a ClientHello from a peer that sent none). */
    private ByteArrayOutputStream headerPhaseBytes;
    private String tls;
    private Splice splice;
    private ClientLimits.Permit permit;
    private boolean draining;
    private String socketError;

    Session(Channel channel, LoopServices loop, SidecarConfig config, SidecarConfig.Listener listener,
            ListenerState state) {
        this.channel = channel;
        this.loop = loop;
        this.config = config;
        this.listener = listener;
        this.state = state;
        this.metrics = state.metrics();
        this.identity = new ClientIdentity((InetSocketAddress) channel.remoteAddress(),
            (InetSocketAddress) channel.localAddress());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        loop.opened(this);
        metrics.sessionStarted();
        if (listener.proxy().requiredHosts().matches(identity.peer().getAddress())) {
            phase = Phase.HEADER;
            decoder = new ProxyHeaderDecoder(listener.proxy().maxHeaderBytes());
            if (listener.tls().mode() == TlsMode.TERMINATE) {
                headerPhaseBytes = new ByteArrayOutputStream();
            }
            // one absolute deadline from accept: trickled bytes do not extend it
            timer = schedule(listener.proxy().headerTimeout(), () -> onHeader(decoder.timeout(), true));
        } else {
            metrics.proxyHeader("none", "not_required");
            afterHeader(new byte[0]);
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
            if (headerPhaseBytes != null) {
                headerPhaseBytes.writeBytes(data);
            }
            onHeader(decoder.feed(data), false);
        } else if (phase == Phase.HANDSHAKE && passthroughPending != null) {
            // read before reading stopped: goes to the backend after the PROXY header
            passthroughPending.writeBytes(data);
        } else if (phase == Phase.HANDSHAKE) {
            fail(new Failure.EarlyTalker());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (phase != Phase.TLS) {
                return;
            }
            if (!done.isSuccess()) {
                tlsFailed(done.cause());
                return;
            }
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            tls = ssl.engine().getSession().getProtocol() + ":" + ssl.engine().getSession().getCipherSuite();
            if (refusalAfterTls != null) {
                refuse(refusalAfterTls, new byte[0]);
            } else {
                forward();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a reset before the relay (or the TLS handshake's error, which its completion event reports too)
        if (socketError == null) {
            socketError = "client connection error: " + SocketErrors.text(cause);
        }
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
     * header, TLS or handshake when the drain is nearly over gets 421 (where it can be said) and is closed.
     */
    void shutdown(Duration timeout) {
        draining = true;
        if (phase == Phase.REFUSAL) {
            refusal.shutdown();
        } else if (beforeRelay()) {
            // leave the 421 time to be written before the listener force-closes at the timeout, even when loaded
            long margin = Math.min(1000, timeout.toMillis() / 4);
            schedule(Duration.ofMillis(Math.max(1, timeout.toMillis() - margin)), () -> {
                if (beforeRelay()) {
                    fail(new Failure.Shutdown(Outcome.CLOSED_EARLY, "shutdown: closed before the session started", null));
                }
            });
        }
    }

    private boolean beforeRelay() {
        return phase == Phase.HEADER || phase == Phase.TLS || phase == Phase.HANDSHAKE;
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
            metrics.proxyHeader(invalid.version(), timedOut ? "timeout" : "malformed");
            fail(timedOut ? new Failure.HeaderTimeout(invalid) : new Failure.HeaderInvalid(invalid));
            return;
        }
        DecodeResult.Decoded decoded = (DecodeResult.Decoded) result;
        ProxyHeader header = decoded.header();
        String refused = identity.accept(header, listener.proxy());
        metrics.proxyHeader("v" + header.version(), refused != null ? "rejected" : header.local() ? "local" : "ok");
        if (refused != null) {
            fail(new Failure.SourceRejected(new DecodeResult.Invalid(refused, new byte[0], decoded.rest())));
        } else {
            afterHeader(decoded.rest());
        }
    }

    /** The client's identity is settled; {@code rest} is what it sent after the header. */
    private void afterHeader(byte[] rest) {
        TlsMode mode = listener.tls().mode();
        if (mode == TlsMode.TERMINATE) {
            startTls(rest);
        } else if (mode == TlsMode.PASSTHROUGH) {
            passthroughPending = new ByteArrayOutputStream();
            passthroughPending.writeBytes(rest);
            forward();
        } else if (rest.length > 0) {
            fail(new Failure.EarlyTalker());
        } else {
            forward();
        }
    }

    /** tls terminate: the handshake runs in front of this handler; {@code rest} is the start of the ClientHello. */
    private void startTls(byte[] rest) {
        phase = Phase.TLS;
        headerPhaseBytes = null;
        if (timer != null) {
            timer.cancel(false);
        }
        channel.pipeline().addFirst(state.tls().newHandler(channel.alloc(), listener.tls().handshakeTimeout()));
        // from here in= counts the plaintext the TLS layer hands over
        bytesIn -= rest.length;
        if (rest.length > 0) {
            channel.pipeline().fireChannelRead(Unpooled.wrappedBuffer(rest));
            channel.pipeline().fireChannelReadComplete();
        }
    }

    private void tlsFailed(Throwable cause) {
        String reason = TlsFailures.reason(cause);
        metrics.tlsFailure(reason);
        Failure.Header before = refusalAfterTls;
        Outcome outcome = before != null ? before.outcome()
            : reason.equals("closed") ? Outcome.CLOSED_EARLY : Outcome.TLS_FAILED;
        String text = (before != null ? before.reason() + "; " : "") + "TLS handshake failed (" + reason + "): "
            + TlsFailures.describe(cause);
        phase = Phase.CLOSING;
        channel.close();
        channel.closeFuture().addListener(f -> end(outcome, text, before != null ? before.header().head() : null));
    }

    private void forward() {
        ClientLimits.Result limit = state.limits().acquire(identity.client().getAddress(), listener.limits(),
            System.nanoTime());
        if (limit.decision() != ClientLimits.Decision.OK) {
            fail(Failure.Limited.of(limit.decision(), listener.limits()));
            return;
        }
        permit = limit.permit();
        phase = Phase.HANDSHAKE;
        SidecarConfig.Backend cfg = listener.backend();
        if (passthroughPending != null) {
            passthrough(cfg);
            return;
        }
        boolean xclient = cfg.handshake() == SidecarConfig.Handshake.XCLIENT;
        Future<String> name = xclient ? loop.reverseName(identity.client().getAddress(), config)
            : Future.succeededFuture(null);
        BackendHandshake warm = xclient ? loop.warm(listener.name()).take() : null;
        handshake(warm != null ? warm
            : loop.connector().open(cfg, listener.smtp().hostname(), identity.proxyHeader(cfg.handshake())),
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
                handshake(loop.connector().open(listener.backend(), listener.smtp().hostname(), null), name, start,
                    false);
            } else if (result.failed()) {
                fail(new Failure.BackendUnavailable(result.cause() instanceof BackendFailure f ? f
                    : new BackendFailure("greeting", String.valueOf(result.cause()))));
            } else {
                metrics.backendHandshake(Duration.ofNanos(System.nanoTime() - start));
                Channel backendChannel = b.channel();
                // the relay holds this session until the end: what only the handshake needed goes now
                backend = null;
                splice(backendChannel, result.result().relay());
            }
        });
    }

    /**
     * tls passthrough: the client's TLS must reach the backend as it was sent, so nothing is awaited from the
     * backend: connect, send the PROXY header and what the client sent so far, relay.
     */
    private void passthrough(SidecarConfig.Backend cfg) {
        channel.config().setAutoRead(false);
        long start = System.nanoTime();
        ChannelFuture connected = loop.connector().connect(cfg, new HeldReads());
        passthroughBackend = connected.channel();
        connected.addListener(f -> {
            if (phase != Phase.HANDSHAKE) {
                connected.channel().close();
            } else if (!f.isSuccess()) {
                fail(new Failure.BackendUnavailable(new BackendFailure("connect", cfg.host() + ":" + cfg.port() + ": "
                    + f.cause().getMessage())));
            } else {
                metrics.backendHandshake(Duration.ofNanos(System.nanoTime() - start));
                Channel b = connected.channel();
                b.write(Unpooled.wrappedBuffer(identity.proxyHeader(cfg.handshake())));
                b.write(Unpooled.wrappedBuffer(passthroughPending.toByteArray()));
                passthroughPending = null;
                passthroughBackend = null;
                splice(b, null);
            }
        });
    }

    /** Holds a passthrough backend's bytes in the socket until the relay reads them. */
    private static final class HeldReads extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** @param greeting the backend's greeting for the client, or null (passthrough) */
    private void splice(Channel backendChannel, byte[] greeting) {
        phase = Phase.SPLICE;
        if (greeting != null) {
            write(greeting);
        }
        channel.pipeline().remove(this);
        decoder = null;
        splice = new Splice(channel, backendChannel, listener.smtp().halfCloseTimeout(), () -> {
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
        TlsMode mode = listener.tls().mode();
        boolean refuse = failure instanceof Failure.Header && !draining && mode != TlsMode.PASSTHROUGH;
        if (refuse && mode == TlsMode.TERMINATE && phase == Phase.HEADER) {
            // Exim's order on a TLS-on-connect port: the refusal is said inside TLS, after the handshake
            Failure.Header header = (Failure.Header) failure;
            refusalAfterTls = header;
            byte[] all = headerPhaseBytes.toByteArray();
            headerPhaseBytes = null;
            startTls(all);
            return;
        }
        // the phase first: closing a backend that is still connecting fails its handshake at once, and that
        // failure must find the session already decided
        boolean tlsUp = tls != null;
        phase = refuse ? Phase.REFUSAL : Phase.CLOSING;
        closeBackend();
        if (timer != null) {
            timer.cancel(false);
        }
        if (refuse) {
            refuse((Failure.Header) failure, ((Failure.Header) failure).header().pending());
            return;
        }
        Failure last = failure instanceof Failure.Header header
            ? new Failure.Shutdown(header.outcome(), header.reason() + (draining ? "; shutting down"
                : "; passthrough: closed without a reply"), header.header().head())
            : failure;
        if (last instanceof Failure.BackendUnavailable unavailable) {
            metrics.backendFailure(unavailable.cause().reason());
        }
        // no plain SMTP into a client that speaks TLS (passthrough, or a terminated handshake not finished)
        if (mode == TlsMode.NONE || tlsUp) {
            write(last.reply(listener.smtp().hostname()));
        }
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        channel.closeFuture().addListener(f -> end(last.outcome(), last.reason(),
            last instanceof Failure.Shutdown shutdown ? shutdown.failedHeader() : null));
    }

    private void refuse(Failure.Header header, byte[] pending) {
        phase = Phase.REFUSAL;
        refusal = new RefusalSession(channel, listener.smtp());
        refusal.start(pending, syncError -> {
            bytesIn += refusal.bytesIn();
            bytesOut += refusal.bytesOut();
            end(syncError ? Outcome.SYNC_ERROR : header.outcome(), header.reason(), header.header().head());
        });
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
        if (passthroughBackend != null) {
            passthroughBackend.close();
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
            state.limits().release(permit);
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - startNanos);
        metrics.sessionEnded(outcome, duration, bytesIn, bytesOut);
        loop.log(new SessionRecord(identity.peer(), identity.client(), identity.name(), identity.source(), outcome,
            reason, failedHeader, bytesIn, bytesOut, duration, listener.name(), identity.local(), tls));
    }
}
