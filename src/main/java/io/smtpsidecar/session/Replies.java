package io.smtpsidecar.session;

import java.nio.charset.StandardCharsets;

/** The replies the sidecar sends itself; the wire strings follow Exim and Postfix (protocol notes b2.5, b2.6). */
final class Replies {
    private Replies() {
    }

    static byte[] banner(String banner) {
        return line("220 " + banner);
    }

    static byte[] syncError() {
        return line("554 SMTP synchronization error");
    }

    static byte[] proxyRefused() {
        return line("503 Command refused, required Proxy negotiation failed");
    }

    static byte[] quit(String hostname) {
        return line("221 " + hostname + " closing connection");
    }

    static byte[] lineTooLong() {
        return line("500 5.5.2 Line too long");
    }

    static byte[] tooManyCommands(String hostname) {
        return line("421 4.7.0 " + hostname + " Too many commands, closing connection");
    }

    static byte[] idleTimeout(String hostname) {
        return line("421 4.4.2 " + hostname + " Idle timeout, closing connection");
    }

    static byte[] serviceUnavailable(String hostname) {
        return line("421 4.3.0 " + hostname + " Service temporarily unavailable");
    }

    static byte[] tooManyConnections(String hostname) {
        return line("421 4.7.0 " + hostname + " Too many connections, try again later");
    }

    static byte[] shuttingDown(String hostname) {
        return line("421 4.3.2 " + hostname + " Service shutting down, closing connection");
    }

    private static byte[] line(String text) {
        return (text + "\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
