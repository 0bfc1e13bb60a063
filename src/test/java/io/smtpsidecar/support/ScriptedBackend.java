package io.smtpsidecar.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.util.Locale;

/** A backend that misbehaves on purpose, for the fault tests. */
public final class ScriptedBackend {
    /** What goes wrong. */
    public enum Fault {
        /** Accepts the connection and never says anything. */
        BLACK_HOLE,
        /** Greets with one 100 KB line. */
        HUGE_REPLY_LINE,
        /** Greets with a refusal, as an MTA that does not want the sidecar. */
        GREETING_REFUSED,
        /** Takes the XCLIENT handshake and the transaction, then drops the connection in the middle of DATA. */
        DIE_IN_DATA,
        /** Answers XCLIENT with a temporary failure. */
        XCLIENT_TEMPFAIL
    }

    private ScriptedBackend() {
    }

    public static int start(Vertx vertx, Fault fault) {
        NetServer server = vertx.createNetServer().connectHandler(socket -> serve(socket, fault));
        return server.listen(0, "127.0.0.1").await().actualPort();
    }

    private static void serve(NetSocket socket, Fault fault) {
        switch (fault) {
            case BLACK_HOLE -> socket.handler(data -> { });
            case HUGE_REPLY_LINE -> socket.write("220 " + "x".repeat(100 * 1024) + "\r\n");
            case GREETING_REFUSED -> socket.write("554 go away\r\n");
            default -> {
                boolean[] inData = {false};
                socket.handler(RecordParser.newDelimited("\n", line -> {
                    if (inData[0]) {
                        socket.close(); // the backend dies with the message half received
                        return;
                    }
                    String verb = line.toString().trim().split(" ")[0].toUpperCase(Locale.ROOT);
                    switch (verb) {
                        case "EHLO" -> socket.write("250-backend.test\r\n250 XCLIENT ADDR NAME PORT\r\n");
                        case "XCLIENT" -> socket.write(fault == Fault.XCLIENT_TEMPFAIL
                            ? "421 4.3.2 backend busy\r\n" : "220 backend.test ESMTP\r\n");
                        case "DATA" -> {
                            inData[0] = true;
                            socket.write("354 go ahead\r\n");
                        }
                        default -> socket.write(Buffer.buffer("250 ok\r\n"));
                    }
                }));
                socket.write("220 backend.test ESMTP\r\n");
            }
        }
    }
}
