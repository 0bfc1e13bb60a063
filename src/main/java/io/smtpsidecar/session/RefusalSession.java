package io.smtpsidecar.session;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.smtp.CommandLineReader;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Exim's answer to a required proxy that failed its header (protocol notes b2.5): the sidecar greets the client
 * itself, answers every command but QUIT with {@code 503 Command refused, required Proxy negotiation failed} and QUIT
 * with 221. The backend is never contacted. Unlike Exim the session is capped in commands and idle time, so a
 * broken proxy cannot hold connections open. The {@link Session} feeds it the client's bytes.
 */
final class RefusalSession {
    /** RFC 5321 4.5.3.1.4: a command line is at most 1000 octets with its CRLF. */
    static final int MAX_COMMAND_LINE = 1000;
    /** Input allowed per permitted command before the session is closed, over-long lines included. */
    static final int BYTES_PER_COMMAND = 64 * 1024;

    private final Channel channel;
    private final SidecarConfig.Smtp smtp;
    private final CommandLineReader reader = new CommandLineReader(MAX_COMMAND_LINE);
    private long bytesIn;
    private long bytesOut;
    private int commands;
    private ScheduledFuture<?> idleTimer;
    private boolean finished;
    private boolean syncError;

    RefusalSession(Channel channel, SidecarConfig.Smtp smtp) {
        this.channel = channel;
        this.smtp = smtp;
    }

    /**
     * @param pending bytes the peer sent after the failed header, before the banner
     * @param done runs when the connection is closed (so every reply written is counted): true if the session
     *             ended in a synchronization error
     */
    void start(byte[] pending, Consumer<Boolean> done) {
        channel.closeFuture().addListener(f -> {
            cancelIdleTimer();
            done.accept(syncError);
        });
        if (pending.length > 0) {
            // Exim: input before the banner is a synchronization error, whatever it is
            syncError = true;
            close(Replies.syncError());
            return;
        }
        send(Replies.banner(smtp.banner()));
        armIdleTimer();
    }

    long bytesIn() {
        return bytesIn;
    }

    long bytesOut() {
        return bytesOut;
    }

    void onData(byte[] data) {
        bytesIn += data.length;
        if (finished) {
            return;
        }
        // a peer that never sends LF is not limited by the command cap: bound the bytes it may send as well
        if (bytesIn > (long) (smtp.refusalMaxCommands() + 1) * BYTES_PER_COMMAND) {
            close(Replies.tooManyCommands(smtp.hostname()));
            return;
        }
        armIdleTimer();
        for (CommandLineReader.Line line : reader.feed(data)) {
            if (++commands > smtp.refusalMaxCommands()) {
                close(Replies.tooManyCommands(smtp.hostname()));
                return;
            }
            if (line.tooLong()) {
                send(Replies.lineTooLong());
            } else if (CommandLineReader.isQuit(line.text())) {
                close(Replies.quit(smtp.hostname()));
                return;
            } else {
                send(Replies.proxyRefused());
            }
        }
    }

    /** The process is draining: refusal sessions have nothing to finish. */
    void shutdown() {
        if (!finished) {
            close(Replies.shuttingDown(smtp.hostname()));
        }
    }

    private void armIdleTimer() {
        cancelIdleTimer();
        idleTimer = channel.eventLoop().schedule(() -> close(Replies.idleTimeout(smtp.hostname())),
            smtp.refusalIdleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private void close(byte[] lastReply) {
        finished = true;
        cancelIdleTimer();
        send(lastReply);
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /** Writes a reply; it counts in {@code out=} once the socket has taken it. */
    private void send(byte[] reply) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(reply)).addListener(f -> {
            if (f.isSuccess()) {
                bytesOut += reply.length;
            }
        });
    }
}
