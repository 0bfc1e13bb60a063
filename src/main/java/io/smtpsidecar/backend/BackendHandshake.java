package io.smtpsidecar.backend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.smtp.EhloCapabilities;
import io.smtpsidecar.smtp.SmtpProtocolException;
import io.smtpsidecar.smtp.SmtpReply;
import io.smtpsidecar.smtp.SmtpReplyParser;
import io.smtpsidecar.smtp.XclientRequest;
import io.smtpsidecar.transport.SocketErrors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The sidecar's dialogue with the backend before the client is connected through, as the backend channel's handler,
 * in two stages. {@link #opened()}: the greeting and, for XCLIENT, {@code EHLO} with the XCLIENT attributes checked;
 * it needs no client, so a warm connection ({@link WarmBackends}) runs it ahead of time. {@link #identify}: one or
 * more {@code XCLIENT} commands, each answered with 220 (Postfix XCLIENT_README). Completes with the backend's last
 * 220 greeting, which is what the client sees, and leaves the channel's pipeline empty for the relay; fails with a
 * {@link BackendFailure}. Runs on the channel's event loop only.
 */
public final class BackendHandshake extends ChannelInboundHandlerAdapter {
    private static final int MAX_REPLY_LINE = 4096;
    private static final int MAX_REPLY_LINES = 200;

    /** The bytes to relay to the client: the fresh greeting, then anything the backend sent after it. */
    public record Greeting(SmtpReply reply, byte[] relay) {
    }

    private final SidecarConfig.Backend config;
    private final String ehloName;
    private final SmtpReplyParser parser = new SmtpReplyParser(MAX_REPLY_LINE, MAX_REPLY_LINES);
    private final Deque<SmtpReply> replies = new ArrayDeque<>();
    private final Promise<Void> opened = Promise.promise();
    private Channel channel;
    private Promise<SmtpReply> waiting;
    private String waitingFor;
    private ScheduledFuture<?> timer;
    private BackendFailure failure;
    private SmtpReply greeting;
    private Set<String> advertised;
    private Runnable idleBreak;

    BackendHandshake(SidecarConfig.Backend config, String ehloName) {
        this.config = config;
        this.ehloName = ehloName;
    }

    public Channel channel() {
        return channel;
    }

    /** Completes once the backend greeted (and, for XCLIENT, answered EHLO as needed); fails with a BackendFailure. */
    public Future<Void> opened() {
        return opened.future();
    }

    void connecting(Channel channel) {
        this.channel = channel;
    }

    void connected(byte[] preamble) {
        if (preamble != null) {
            channel.writeAndFlush(Unpooled.wrappedBuffer(preamble));
        }
        next("greeting").compose(reply -> {
            greeting = reply;
            if (config.handshake().relaysFirstGreeting()) {
                return Future.<Void>succeededFuture();
            }
            if (reply.code() != 220) {
                return Future.<Void>failedFuture(new BackendFailure("greeting", describe(reply)));
            }
            return command("EHLO " + ehloName, "EHLO").compose(this::checkEhlo);
        }).onComplete(opened);
    }

    void connectFailed(BackendFailure f) {
        fail(f);
        opened.tryFail(f);
    }

    /**
     * After {@link #opened()}: hands over the client's identity (XCLIENT only) and completes with what the client sees.
     *
     * @param request the client identity for XCLIENT, available once reverse DNS has answered
     */
    public Future<Greeting> identify(Function<Set<String>, Future<XclientRequest>> request) {
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
     * While the connection waits unused after {@link #opened()}: {@code broken} runs once if the backend sends
     * anything (Postfix's 421 on its idle timeout) or closes. Cleared by {@link #identify}.
     */
    void whileIdle(Runnable broken) {
        idleBreak = broken;
    }

    /** Ends an unused connection politely: QUIT, then close once the backend has answered or closed. */
    void quit() {
        idleBreak = null;
        if (failure != null) {
            close();
            return;
        }
        command("QUIT", "QUIT").onComplete(ar -> close());
    }

    /** Abandons the connection (the session ended first). */
    public void close() {
        idleBreak = null;
        cancelTimer();
        if (channel != null) {
            channel.close();
        }
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
        channel.writeAndFlush(Unpooled.wrappedBuffer((line + "\r\n").getBytes(StandardCharsets.US_ASCII)));
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
        long ms = config.greetingTimeout().toMillis();
        timer = channel.eventLoop().schedule(() -> fail(new BackendFailure("timeout",
            "no " + waitingFor + " reply within " + ms + "ms")), ms, TimeUnit.MILLISECONDS);
        return waiting.future();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        byte[] data;
        try {
            if (!(msg instanceof ByteBuf buf)) {
                return;
            }
            data = ByteBufUtil.getBytes(buf);
        } finally {
            ReferenceCountUtil.release(msg);
        }
        try {
            replies.addAll(parser.feed(data));
        } catch (SmtpProtocolException e) {
            fail(new BackendFailure("greeting", "bad reply: " + e.getMessage()));
            return;
        }
        if (waiting == null && !replies.isEmpty()) {
            breakIdle();
        } else if (waiting != null && !replies.isEmpty()) {
            Promise<SmtpReply> p = waiting;
            waiting = null;
            cancelTimer();
            p.complete(replies.poll());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(new BackendFailure("greeting", "backend connection error: " + SocketErrors.text(cause)));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(new BackendFailure("greeting", "backend closed the connection during the handshake"));
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
            cancelTimer();
            p.fail(f);
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
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

    /** The greeting and whatever followed it; the handler leaves the pipeline, so the relay sees all later bytes. */
    private Greeting finish(SmtpReply greeting) {
        ByteArrayOutputStream relay = new ByteArrayOutputStream(greeting.raw().length);
        relay.writeBytes(greeting.raw());
        for (SmtpReply extra : replies) {
            relay.writeBytes(extra.raw());
        }
        relay.writeBytes(parser.remainder());
        cancelTimer();
        channel.pipeline().remove(this);
        return new Greeting(greeting, relay.toByteArray());
    }
}
