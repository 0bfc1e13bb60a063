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
 * The sidecar's dialogue with the backend before the client is connected through: greeting, {@code EHLO}, one or more
 * {@code XCLIENT} commands, each answered with 220 (Postfix XCLIENT_README). Completes with the backend's last 220
 * greeting, which is what the client sees; fails with a {@link BackendFailure}.
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

    BackendHandshake(Vertx vertx, NetSocket backend, SidecarConfig.Backend config, String ehloName) {
        this.vertx = vertx;
        this.backend = backend;
        this.config = config;
        this.ehloName = ehloName;
    }

    /**
     * @param preamble bytes to send before anything else (a PROXY header for the proxy-v1/v2 modes), or null
     * @param request the client identity for XCLIENT, available once reverse DNS has answered
     */
    Future<Greeting> run(Buffer preamble, Function<Set<String>, Future<XclientRequest>> request) {
        backend.handler(this::onData);
        if (preamble != null) {
            backend.write(preamble);
        }
        backend.exceptionHandler(err -> fail(new BackendFailure("greeting", "backend connection error: " + err)));
        backend.closeHandler(v -> fail(new BackendFailure("greeting", "backend closed the connection during the handshake")));
        Future<SmtpReply> greeting = next("greeting").compose(reply -> {
            if (config.handshake().relaysFirstGreeting()) {
                return Future.succeededFuture(reply);
            }
            if (reply.code() != 220) {
                return Future.failedFuture(new BackendFailure("greeting", "greeting: " + describe(reply)));
            }
            return command("EHLO " + ehloName, "EHLO").compose(ehlo -> xclient(ehlo, request));
        });
        return greeting.map(this::finish);
    }

    private Future<SmtpReply> xclient(SmtpReply ehlo, Function<Set<String>, Future<XclientRequest>> request) {
        if (ehlo.code() != 250) {
            return Future.failedFuture(new BackendFailure("greeting", "EHLO: " + describe(ehlo)));
        }
        Set<String> advertised = EhloCapabilities.xclientAttributes(ehlo).orElse(null);
        if (advertised == null || !advertised.contains("ADDR") || !advertised.contains("NAME")) {
            return Future.failedFuture(new BackendFailure("no_xclient",
                advertised == null ? "XCLIENT not advertised in the EHLO reply" : "XCLIENT lacks ADDR or NAME: " + advertised));
        }
        return request.apply(advertised).compose(req -> sendAll(req.commands(advertised), 0));
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
        if (waiting != null && !replies.isEmpty()) {
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
        if (waiting != null) {
            Promise<SmtpReply> p = waiting;
            waiting = null;
            vertx.cancelTimer(timer);
            p.fail(f);
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
