package io.smtpsidecar.session;

import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.smtp.CommandLineReader;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * Exim's answer to a required proxy that failed its header (protocol notes b2.5): the sidecar greets the client
 * itself, answers every command but QUIT with {@code 503 Command refused, required Proxy negotiation failed} and QUIT
 * with 221. The backend is never contacted. Unlike Exim the session is capped in commands and idle time, so a
 * broken proxy cannot hold connections open.
 */
final class RefusalSession {
    /** RFC 5321 4.5.3.1.4: a command line is at most 1000 octets with its CRLF. */
    static final int MAX_COMMAND_LINE = 1000;
    /** Input allowed per permitted command before the session is closed, over-long lines included. */
    static final int BYTES_PER_COMMAND = 64 * 1024;

    private final Vertx vertx;
    private final NetSocket socket;
    private final SidecarConfig.Smtp smtp;
    private final CommandLineReader reader = new CommandLineReader(MAX_COMMAND_LINE);
    private final Promise<Boolean> done = Promise.promise();
    private long bytesIn;
    private long bytesOut;
    private int commands;
    private long idleTimer = -1;
    private boolean finished;
    private boolean syncError;

    RefusalSession(Vertx vertx, NetSocket socket, SidecarConfig.Smtp smtp) {
        this.vertx = vertx;
        this.socket = socket;
        this.smtp = smtp;
    }

    /**
     * @param pending bytes the peer sent after the failed header, before the banner
     * @return completes when the connection is closed (so every reply written is counted): true if the session
     *         ended in a synchronization error
     */
    Future<Boolean> start(byte[] pending) {
        socket.closeHandler(v -> {
            vertx.cancelTimer(idleTimer);
            done.tryComplete(syncError);
        });
        if (pending.length > 0) {
            // Exim: input before the banner is a synchronization error, whatever it is
            syncError = true;
            finished = true;
            socket.handler(null);
            send(Replies.syncError()).onComplete(ar -> Sockets.close(socket));
            return done.future();
        }
        socket.handler(this::onData);
        send(Replies.banner(smtp.banner()));
        armIdleTimer();
        return done.future();
    }

    long bytesIn() {
        return bytesIn;
    }

    long bytesOut() {
        return bytesOut;
    }

    private void onData(Buffer data) {
        bytesIn += data.length();
        if (finished) {
            return;
        }
        // a peer that never sends LF is not limited by the command cap: bound the bytes it may send as well
        if (bytesIn > (long) (smtp.refusalMaxCommands() + 1) * BYTES_PER_COMMAND) {
            close(Replies.tooManyCommands(smtp.hostname()));
            return;
        }
        armIdleTimer();
        for (CommandLineReader.Line line : reader.feed(data.getBytes())) {
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
        vertx.cancelTimer(idleTimer);
        idleTimer = vertx.setTimer(smtp.refusalIdleTimeout().toMillis(),
            id -> close(Replies.idleTimeout(smtp.hostname())));
    }

    private void close(Buffer lastReply) {
        finished = true;
        vertx.cancelTimer(idleTimer);
        socket.handler(null);
        send(lastReply).onComplete(ar -> Sockets.close(socket));
    }

    /** Writes a reply; it counts in {@code out=} once the socket has taken it. */
    private Future<Void> send(Buffer reply) {
        int length = reply.length();
        return socket.write(reply).onSuccess(v -> bytesOut += length);
    }
}
