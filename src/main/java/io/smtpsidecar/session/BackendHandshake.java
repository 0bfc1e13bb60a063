package io.smtpsidecar.session;

import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.smtp.EhloCapabilities;
import io.smtpsidecar.smtp.SmtpProtocolException;
import io.smtpsidecar.smtp.SmtpReply;
import io.smtpsidecar.smtp.SmtpReplyParser;
import io.smtpsidecar.smtp.XclientRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The sidecar's dialogue with the backend before the client is connected through, in two stages. {@link #open}: the
 * greeting and, for XCLIENT, {@code EHLO} with the XCLIENT attributes checked; it needs no client, so a warm
 * connection ({@link WarmBackends}) runs it ahead of time. {@link #identify}: one or more {@code XCLIENT} commands,
 * each answered with 220 (Postfix XCLIENT_README). Completes with the backend's last 220 greeting, which is what the
 * client sees; fails with a {@link BackendFailure}.
 */
final class BackendHandshake {
    private static final int MAX_REPLY_LINE = 4096;
    private static final int MAX_REPLY_LINES = 200;

    /** The bytes to relay to the client: the fresh greeting, then anything the backend sent after it. */
    record Greeting(SmtpReply reply, Buffer relay) {
    }

    private final Vertx vertx;
    private final NetSocket backend;
    private final SidecarConfig.Backend config;
    private final String ehloName;
    private final SmtpReplyParser parser = new SmtpReplyParser(MAX_REPLY_LINE, MAX_REPLY_LINES);
    private final Deque<SmtpReply> replies = new ArrayDeque<>();
    private Promise<SmtpReply> waiting;
    private String waitingFor;
    private long timer = -1;
    private BackendFailure failure;
    private SmtpReply greeting;
    private Set<String> advertised;
    private Runnable idleBreak;

    BackendHandshake(Vertx vertx, NetSocket backend, SidecarConfig.Backend config, String ehloName) {
        this.vertx = vertx;
        this.backend = backend;
        this.config = config;
        this.ehloName = ehloName;
    }

    NetSocket socket() {
        return backend;
    }

    /**
     * Greeting, then for XCLIENT the {@code EHLO} whose reply must advertise XCLIENT with ADDR and NAME.
     *
     * @param preamble bytes to send before anything else (a PROXY header for the proxy-v1/v2 modes), or null
     */
    Future<Void> open(Buffer preamble) {
        backend.handler(this::onData);
        if (preamble != null) {
            backend.write(preamble);
        }
        backend.exceptionHandler(err -> fail(new BackendFailure("greeting", "backend connection error: " + err)));
        backend.closeHandler(v -> fail(new BackendFailure("greeting", "backend closed the connection during the handshake")));
        return next("greeting").compose(reply -> {
            greeting = reply;
            if (config.handshake().relaysFirstGreeting()) {
                return Future.succeededFuture();
            }
            if (reply.code() != 220) {
                return Future.failedFuture(new BackendFailure("greeting", describe(reply)));
            }
            return command("EHLO " + ehloName, "EHLO").compose(this::checkEhlo);
        });
    }

    /**
     * After {@link #open}: hands over the client's identity (XCLIENT only) and completes with what the client sees.
     *
     * @param request the client identity for XCLIENT, available once reverse DNS has answered
     */
    Future<Greeting> identify(Function<Set<String>, Future<XclientRequest>> request) {
        idleBreak = null;
        if (failure != null) {
            return Future.failedFuture(failure);
        }
        if (config.handshake().relaysFirstGreeting()) {
            return Future.succeededFuture(finish(greeting));
        }
        if (!replies.isEmpty()) {
            return Future.failedFuture(new BackendFailure("greeting", "unexpected reply before XCLIENT: "
                + describe(replies.peek())));
        }
        return request.apply(advertised).compose(req -> sendAll(req.commands(advertised), 0)).map(this::finish);
    }

    /**
     * While the connection waits unused after {@link #open}: {@code broken} runs once if the backend sends anything
     * (Postfix's 421 on its idle timeout) or closes. Cleared by {@link #identify}.
     */
    void whileIdle(Runnable broken) {
        idleBreak = broken;
    }

    /** Ends an unused connection politely: QUIT, then close once the backend has answered or closed. */
    void quit() {
        idleBreak = null;
        if (failure != null) {
            Sockets.close(backend);
            return;
        }
        command("QUIT", "QUIT").onComplete(ar -> Sockets.close(backend));
    }

    private Future<Void> checkEhlo(SmtpReply ehlo) {
        if (ehlo.code() != 250) {
            return Future.failedFuture(new BackendFailure("greeting", "EHLO: " + describe(ehlo)));
        }
        Set<String> attributes = EhloCapabilities.xclientAttributes(ehlo).orElse(null);
        if (attributes == null || !attributes.contains("ADDR") || !attributes.contains("NAME")) {
            return Future.failedFuture(new BackendFailure("no_xclient",
                attributes == null ? "XCLIENT not advertised in the EHLO reply" : "XCLIENT lacks ADDR or NAME: " + attributes));
        }
        advertised = attributes;
        return Future.succeededFuture();
    }

    /** Postfix answers each XCLIENT with a 220 greeting; the last one is the client's. */
    private Future<SmtpReply> sendAll(List<String> commands, int index) {
        return command(commands.get(index), "XCLIENT").compose(reply -> {
            if (reply.code() != 220) {
                return Future.failedFuture(new BackendFailure("xclient_rejected", describe(reply)));
            }
            return index + 1 < commands.size() ? sendAll(commands, index + 1) : Future.succeededFuture(reply);
        });
    }

    private Future<SmtpReply> command(String line, String what) {
        if (failure != null) {
            return Future.failedFuture(failure);
        }
        backend.write(Buffer.buffer(line + "\r\n"));
        return next(what);
    }

    private Future<SmtpReply> next(String what) {
        if (failure != null) {
            return Future.failedFuture(failure);
        }
        if (!replies.isEmpty()) {
            return Future.succeededFuture(replies.poll());
        }
        waiting = Promise.promise();
        waitingFor = what;
        timer = vertx.setTimer(config.greetingTimeout().toMillis(), id -> fail(new BackendFailure("timeout",
            "no " + waitingFor + " reply within " + config.greetingTimeout().toMillis() + "ms")));
        return waiting.future();
    }

    private void onData(Buffer data) {
        try {
            replies.addAll(parser.feed(data.getBytes()));
        } catch (SmtpProtocolException e) {
            fail(new BackendFailure("greeting", "bad reply: " + e.getMessage()));
            return;
        }
        if (waiting == null && !replies.isEmpty()) {
            breakIdle();
        } else if (waiting != null && !replies.isEmpty()) {
            Promise<SmtpReply> p = waiting;
            waiting = null;
            vertx.cancelTimer(timer);
            p.complete(replies.poll());
        }
    }

    private void fail(BackendFailure f) {
        if (failure != null) {
            return;
        }
        failure = f;
        breakIdle();
        if (waiting != null) {
            Promise<SmtpReply> p = waiting;
            waiting = null;
            vertx.cancelTimer(timer);
            p.fail(f);
        }
    }

    private void breakIdle() {
        Runnable r = idleBreak;
        idleBreak = null;
        if (r != null) {
            r.run();
        }
    }

    private static String describe(SmtpReply reply) {
        return reply.code() + " " + reply.text();
    }

    private Greeting finish(SmtpReply greeting) {
        Buffer relay = Buffer.buffer(greeting.raw());
        for (SmtpReply extra : replies) {
            relay.appendBytes(extra.raw());
        }
        relay.appendBytes(parser.remainder());
        backend.exceptionHandler(null);
        return new Greeting(greeting, relay);
    }
}
