package io.smtpsidecar.support;

import java.io.IOException;
import java.net.ServerSocket;

/** A port for a child process to listen on: the kernel picks a free one, the test hands it on. */
public final class Ports {
    private Ports() {
    }

    public static int free() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
