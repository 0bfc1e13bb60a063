package io.smtpsidecar.session;

import io.vertx.core.Future;
import io.vertx.core.net.NetSocket;

/** Closing a client socket that has a shutdown handler. */
final class Sockets {
    private Sockets() {
    }

    /**
     * In Vert.x 5 {@code close()} is a graceful shutdown that hands the socket to its shutdown handler and waits for
     * it; the sidecar's handler exists for the server drain only, so it is removed first to close at once.
     */
    static Future<Void> close(NetSocket socket) {
        socket.shutdownHandler(null);
        return socket.close();
    }
}
