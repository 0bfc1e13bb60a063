package io.smtpsidecar.session;

import io.vertx.core.buffer.Buffer;

/** The replies the sidecar sends itself; the wire strings follow Exim and Postfix (protocol notes b2.5, b2.6). */
final class Replies {
    private Replies() {
    }

    static Buffer banner(String banner) {
        return line("220 " + banner);
    }

    static Buffer syncError() {
        return line("554 SMTP synchronization error");
    }

    static Buffer proxyRefused() {
        return line("503 Command refused, required Proxy negotiation failed");
    }

    static Buffer quit(String hostname) {
        return line("221 " + hostname + " closing connection");
    }

    static Buffer lineTooLong() {
        return line("500 5.5.2 Line too long");
    }

    static Buffer tooManyCommands(String hostname) {
        return line("421 4.7.0 " + hostname + " Too many commands, closing connection");
    }

    static Buffer idleTimeout(String hostname) {
        return line("421 4.4.2 " + hostname + " Idle timeout, closing connection");
    }

    static Buffer serviceUnavailable(String hostname) {
        return line("421 4.3.0 " + hostname + " Service temporarily unavailable");
    }

    static Buffer tooManyConnections(String hostname) {
        return line("421 4.7.0 " + hostname + " Too many connections, try again later");
    }

    static Buffer shuttingDown(String hostname) {
        return line("421 4.3.2 " + hostname + " Service shutting down, closing connection");
    }

    private static Buffer line(String text) {
        return Buffer.buffer(text + "\r\n");
    }
}
