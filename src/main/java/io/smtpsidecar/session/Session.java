package io.smtpsidecar.session;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.dns.ReverseDns;
import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.proxy.DecodeResult;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.smtpsidecar.proxy.ProxyHeaderEncoder;
import io.smtpsidecar.smtp.XclientRequest;
import io.smtpsidecar.transport.SocketErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One client connection, from accept to the log line: PROXY header (required peers only), then either refusal mode
 * or the backend handshake, then the splice. This is the one place that decides what the client is told when
 * something fails (554, 503 mode, 421).
 */
final class Session {
    private enum Phase { HEADER, REFUSAL, HANDSHAKE, SPLICE, CLOSING, DONE }

    private final Vertx vertx;
    private final NetSocket socket;
    private final SidecarConfig config;
    private final NetClient backendClient;
    private final WarmBackends warm;
    private final ReverseDns dns;
    private final SidecarServices services;
    private final Consumer<SessionRecord> log;
    private final long startNanos = System.nanoTime();
    private final InetSocketAddress peer;

    private Phase phase;
    private InetSocketAddress client;
    private InetSocketAddress destination;
    private IdentitySource source = IdentitySource.DIRECT;
    private String clientName;
    private long headerTimer = -1;
    private long bytesIn;
    private long bytesOut;
    private NetSocket backend;
    private RefusalSession refusal;
    private ClientLimits.Permit permit;
    private boolean draining;
    private String socketError;

    Session(Vertx vertx, NetSocket socket, SidecarConfig config, NetClient backendClient, WarmBackends warm,
            ReverseDns dns, SidecarServices services, Consumer<SessionRecord> log) {
        this.vertx = vertx;
        this.socket = socket;
        this.config = config;
        this.backendClient = backendClient;
        this.warm = warm;
        this.dns = dns;
        this.services = services;
        this.log = log;
        this.peer = socketAddress(socket.remoteAddress());
        this.client = peer;
    }

    void start() {
        services.metrics().sessionStarted();
        // without a shutdown handler NetServer.shutdown would close the socket at once instead of draining it
        socket.shutdownHandler(this::onShutdown);
        // a reset before the relay runs: noted on the session line, not logged by Vert.x without context
        socket.exceptionHandler(e -> socketError = "client connection error: " + SocketErrors.text(e));
        if (config.proxy().requiredHosts().matches(peer.getAddress())) {
            readHeader();
        } else {
            services.metrics().proxyHeader("none", "not_required");
            forward();
        }
    }

    /**
     * SIGTERM: spliced sessions run on until the drain timeout; refusal sessions end now; a session still in the
     * header or handshake when the drain is nearly over gets 421 instead of a silent close.
     */
    private void onShutdown(Duration timeout) {
        draining = true;
        if (phase == Phase.REFUSAL) {
            refusal.shutdown();
        } else if (phase == Phase.HEADER || phase == Phase.HANDSHAKE) {
            // leave the 421 time to be written before Vert.x force-closes at the timeout, even on a loaded machine
            long margin = Math.min(1000, timeout.toMillis() / 4);
            vertx.setTimer(Math.max(1, timeout.toMillis() - margin), id -> {
                if (phase == Phase.HEADER || phase == Phase.HANDSHAKE) {
                    closeBackend();
                    closeWith(Replies.shuttingDown(config.smtp().hostname()), Outcome.CLOSED_EARLY,
                        "shutdown: closed before the session started", null);
                }
            });
        }
    }

    private void readHeader() {
        phase = Phase.HEADER;
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(config.proxy().maxHeaderBytes());
        // one absolute deadline from accept: trickled bytes do not extend it
        headerTimer = vertx.setTimer(config.proxy().headerTimeout().toMillis(), id -> {
            if (phase == Phase.HEADER) {
                onHeader(decoder.timeout(), true);
            }
        });
        socket.handler(data -> {
            bytesIn += data.length();
            if (phase == Phase.HEADER) {
                onHeader(decoder.feed(data.getBytes()), false);
            } else {
                earlyTalker();
            }
        });
        socket.closeHandler(v -> {
            if (phase == Phase.HEADER) {
                vertx.cancelTimer(headerTimer);
                end(Outcome.CLOSED_EARLY, closedReason("connection closed during the PROXY header"), null);
            }
        });
    }

    private void onHeader(DecodeResult result, boolean timedOut) {
        if (result instanceof DecodeResult.NeedMore) {
            return;
        }
        vertx.cancelTimer(headerTimer);
        if (result instanceof DecodeResult.Decoded decoded) {
            ProxyHeader header = decoded.header();
            String refusal = refusedSource(header);
            if (refusal != null) {
                services.metrics().proxyHeader("v" + header.version(), "rejected");
                refuse(new DecodeResult.Invalid(refusal, new byte[0], decoded.rest()), Outcome.REFUSED_MALFORMED);
                return;
            }
            services.metrics().proxyHeader("v" + header.version(), header.local() ? "local" : "ok");
            if (header.local()) {
                source = IdentitySource.LOCAL;
            } else {
                source = header.version() == 1 ? IdentitySource.PROXY_V1 : IdentitySource.PROXY_V2;
                client = header.source();
                destination = header.destination();
            }
            if (decoded.rest().length > 0) {
                earlyTalker();
            } else {
                forward();
            }
        } else if (result instanceof DecodeResult.Invalid invalid) {
            services.metrics().proxyHeader(versionOf(invalid.head()), timedOut ? "timeout" : "malformed");
            refuse(invalid, timedOut ? Outcome.REFUSED_TIMEOUT : Outcome.REFUSED_MALFORMED);
        }
    }

    /** Why a valid header's source must not be used (see {@code proxy.rejectSources}), or null. */
    private String refusedSource(ProxyHeader header) {
        if (header.local()) {
            return null;
        }
        InetAddress claimed = header.source().getAddress();
        if (config.proxy().rejectSources().matches(claimed)) {
            return "claimed source " + IpAddresses.format(claimed) + " is in proxy.rejectSources";
        }
        if (config.proxy().rejectOwnAddress() && claimed.equals(socketAddress(socket.localAddress()).getAddress())) {
            return "claimed source " + IpAddresses.format(claimed) + " is the sidecar's own address";
        }
        return null;
    }

    private void refuse(DecodeResult.Invalid invalid, Outcome outcome) {
        if (draining) {
            // no refusal session that would hold the exit: the load balancer retries elsewhere on 421
            closeWith(Replies.shuttingDown(config.smtp().hostname()), outcome, invalid.reason() + "; shutting down",
                invalid.head());
            return;
        }
        phase = Phase.REFUSAL;
        refusal = new RefusalSession(vertx, socket, config.smtp());
        refusal.start(invalid.pending()).onComplete(ar -> {
            bytesIn += refusal.bytesIn();
            bytesOut += refusal.bytesOut();
            boolean syncError = ar.succeeded() && ar.result();
            end(syncError ? Outcome.SYNC_ERROR : outcome, invalid.reason(), invalid.head());
        });
    }

    private void forward() {
        ClientLimits.Result limit = services.limits().acquire(client.getAddress(), config.limits(), System.nanoTime());
        if (limit.decision() != ClientLimits.Decision.OK) {
            closeWith(Replies.tooManyConnections(config.smtp().hostname()), Outcome.LIMITED,
                "limit: " + limitText(limit.decision()), null);
            return;
        }
        permit = limit.permit();
        phase = Phase.HANDSHAKE;
        socket.handler(data -> {
            bytesIn += data.length();
            earlyTalker();
        });
        socket.closeHandler(v -> {
            if (phase == Phase.HANDSHAKE) {
                closeBackend();
                end(Outcome.CLOSED_EARLY, closedReason("client closed the connection during the backend handshake"),
                    null);
            }
        });
        boolean xclient = config.backend().handshake() == SidecarConfig.Handshake.XCLIENT;
        Future<String> name = xclient ? dns.name(client.getAddress()) : Future.succeededFuture(null);
        long handshakeStart = System.nanoTime();
        BackendHandshake ready = xclient ? warm.take() : null;
        if (ready != null) {
            identify(ready, ready.identify(xclientRequest(name)), name, handshakeStart, true);
        } else {
            connect(name, handshakeStart);
        }
    }

    private void connect(Future<String> name, long handshakeStart) {
        SidecarConfig.Backend cfg = config.backend();
        ConnectOptions target = new ConnectOptions().setHost(cfg.host()).setPort(cfg.port())
            .setTimeout((int) cfg.connectTimeout().toMillis());
        backendClient.connect(target).onComplete(ar -> {
            if (ar.failed()) {
                if (phase == Phase.HANDSHAKE) {
                    backendFailed(new BackendFailure("connect", cfg.host() + ":" + cfg.port() + ": " + ar.cause().getMessage()));
                }
                return;
            }
            backend = ar.result();
            services.readiness().backendAccepted();
            if (phase != Phase.HANDSHAKE) {
                closeBackend();
                return;
            }
            BackendHandshake h = new BackendHandshake(vertx, backend, cfg, config.smtp().hostname());
            identify(h, h.open(proxyHeader(cfg.handshake())).compose(v -> h.identify(xclientRequest(name))), name,
                handshakeStart, false);
        });
    }

    /**
     * Waits for the backend's greeting for the client. A warm connection that fails (the backend closed it or timed
     * it out just as it was taken) is replaced once by a new connection, which then decides.
     */
    private void identify(BackendHandshake h, Future<BackendHandshake.Greeting> greeting, Future<String> name,
                          long handshakeStart, boolean warmConnection) {
        backend = h.socket();
        greeting.onComplete(handshake -> {
            if (phase != Phase.HANDSHAKE) {
                return;
            }
            if (handshake.failed() && warmConnection) {
                closeBackend();
                connect(name, handshakeStart);
            } else if (handshake.failed()) {
                backendFailed(handshake.cause() instanceof BackendFailure f ? f
                    : new BackendFailure("greeting", String.valueOf(handshake.cause())));
            } else {
                services.metrics().backendHandshake(Duration.ofNanos(System.nanoTime() - handshakeStart));
                splice(handshake.result());
            }
        });
    }

    private Function<Set<String>, Future<XclientRequest>> xclientRequest(Future<String> name) {
        return advertised -> name.map(n -> {
            clientName = n;
            return new XclientRequest(client.getAddress(), client.getPort(), n,
                destination == null ? null : destination.getAddress(),
                destination == null ? 0 : destination.getPort());
        });
    }

    /** The PROXY header for the proxy-v1/v2 handshakes: the session's identity, to where the client connected. */
    private Buffer proxyHeader(SidecarConfig.Handshake handshake) {
        if (handshake != SidecarConfig.Handshake.PROXY_V1 && handshake != SidecarConfig.Handshake.PROXY_V2) {
            return null;
        }
        InetSocketAddress to = destination != null ? destination : socketAddress(socket.localAddress());
        return Buffer.buffer(handshake == SidecarConfig.Handshake.PROXY_V1
            ? ProxyHeaderEncoder.v1(client, to) : ProxyHeaderEncoder.v2(client, to));
    }

    private void splice(BackendHandshake.Greeting greeting) {
        phase = Phase.SPLICE;
        write(greeting.relay());
        Splice splice = new Splice(vertx.getOrCreateContext(), socket, backend, config.smtp().halfCloseTimeout());
        splice.start().onComplete(v -> {
            bytesIn += splice.bytesFromClient();
            bytesOut += splice.bytesToClient();
            end(Outcome.FORWARDED, splice.problem(), null);
        });
    }

    /** Exim's rule: a client that talks before the greeting is dropped (protocol notes b2.6). */
    private void earlyTalker() {
        if (phase == Phase.DONE || phase == Phase.REFUSAL || phase == Phase.CLOSING) {
            return;
        }
        closeBackend();
        closeWith(Replies.syncError(), Outcome.SYNC_ERROR, "input sent without waiting for greeting", null);
    }

    private void backendFailed(BackendFailure failure) {
        services.metrics().backendFailure(failure.reason());
        closeBackend();
        closeWith(Replies.serviceUnavailable(config.smtp().hostname()), Outcome.BACKEND_UNAVAILABLE,
            failure.describe(), null);
    }

    /** Sends the sidecar's last reply, closes, then logs: the session line counts the reply once it was written. */
    private void closeWith(Buffer reply, Outcome outcome, String reason, byte[] failedHeader) {
        phase = Phase.CLOSING;
        vertx.cancelTimer(headerTimer);
        socket.handler(null);
        write(reply).onComplete(ar -> Sockets.close(socket).onComplete(v -> end(outcome, reason, failedHeader)));
    }

    /** Writes to the client; {@code out=} counts the bytes once the socket has taken them. */
    private Future<Void> write(Buffer data) {
        int length = data.length();
        return socket.write(data).onSuccess(v -> bytesOut += length);
    }

    private String closedReason(String what) {
        return socketError == null ? what : what + " (" + socketError + ")";
    }

    private void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    private void end(Outcome outcome, String reason, byte[] failedHeader) {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        if (permit != null) {
            services.limits().release(permit);
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - startNanos);
        services.metrics().sessionEnded(outcome, duration, bytesIn, bytesOut);
        log.accept(new SessionRecord(peer, client, clientName, source, outcome, reason, failedHeader,
            bytesIn, bytesOut, duration));
    }

    private String limitText(ClientLimits.Decision decision) {
        SidecarConfig.Limits l = config.limits();
        return switch (decision) {
            case TOTAL -> "maxConnections " + l.maxConnections();
            case PER_CLIENT -> "maxConnectionsPerClient " + l.maxConnectionsPerClient();
            case RATE -> "connectionRatePerClient " + l.connectionRatePerClient() + "/min";
            case OK -> "none";
        };
    }

    /** The header version a failed input was heading for, for the metrics label. */
    private static String versionOf(byte[] head) {
        if (head.length == 0) {
            return "none";
        }
        return head[0] == 'P' ? "v1" : head[0] == 0x0D ? "v2" : "none";
    }

    private static InetSocketAddress socketAddress(SocketAddress socketAddress) {
        String host = socketAddress.hostAddress();
        int zone = host.indexOf('%');
        InetAddress address = IpAddresses.parse(zone < 0 ? host : host.substring(0, zone));
        return new InetSocketAddress(IpAddresses.canonical(address), socketAddress.port());
    }
}
