package io.smtpsidecar.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A blocking backend with byte-level control for the relay tests: it takes the sidecar's greeting, EHLO and XCLIENT
 * dialogue like Postfix, then hands the raw socket to the test's script (which may half-close, write megabytes,
 * read slowly). What a script returns or throws is queued for the test.
 */
public final class RawBackend implements AutoCloseable {
    /** The test's part of a connection, after the XCLIENT greeting was sent. */
    @FunctionalInterface
    public interface Script {
        Object run(Socket socket) throws Exception;
    }

    private final ServerSocket server;
    private final BlockingQueue<Object> results = new LinkedBlockingQueue<>();
    private final Thread acceptor;

    public RawBackend(Script script) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s, script), "raw-backend-session");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "raw-backend-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** What the next connection's script returned (or the exception it threw), waiting up to {@link SidecarHarness#WAIT}. */
    public Object nextResult() throws InterruptedException {
        Object r = results.poll(SidecarHarness.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (r == null) {
            throw new AssertionError("the backend script did not finish within " + SidecarHarness.WAIT);
        }
        return r;
    }

    private void serve(Socket socket, Script script) {
        try (socket) {
            socket.setSoTimeout((int) SidecarHarness.WAIT.toMillis());
            InputStream in = socket.getInputStream();
            write(socket, "220 raw.test ESMTP\r\n");
            while (true) {
                String line = line(in);
                if (line == null) {
                    // the readiness probe or a warm connection that ended without a session
                    return;
                }
                if (line.startsWith("EHLO")) {
                    write(socket, "250-raw.test\r\n250 XCLIENT ADDR NAME PORT\r\n");
                } else if (line.startsWith("XCLIENT")) {
                    write(socket, "220 raw.test ESMTP\r\n");
                    break;
                } else if (line.startsWith("QUIT")) {
                    write(socket, "221 bye\r\n");
                    return;
                } else {
                    write(socket, "502 not here\r\n");
                }
            }
            results.add(script.run(socket));
        } catch (Exception e) {
            results.add(e);
        }
    }

    private static void write(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** One line without its CRLF, read byte by byte so nothing after it is consumed; null at EOF. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            buf.write(b);
        }
        if (b < 0) {
            return null;
        }
        return buf.toString(StandardCharsets.US_ASCII).strip();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
