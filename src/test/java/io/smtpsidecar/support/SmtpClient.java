package io.smtpsidecar.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A blocking test client from a chosen loopback source address, reading whole SMTP replies. */
public final class SmtpClient implements AutoCloseable {
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private boolean sawClose;

    public SmtpClient(String sourceAddress, int port) throws IOException {
        socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(sourceAddress), 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        socket.setSoTimeout((int) SidecarHarness.WAIT.toMillis());
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /**
     * Starts TLS on the connection as a client (implicit TLS after a PROXY header), trusting {@code context}'s
     * certificates; returns the session's protocol and cipher as the sidecar logs them ({@code TLSv1.3:TLS_...}).
     */
    public String startTls(javax.net.ssl.SSLContext context, String serverName) throws IOException {
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context.getSocketFactory()
            .createSocket(socket, serverName, socket.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        socket = tls;
        in = tls.getInputStream();
        out = tls.getOutputStream();
        return tls.getSession().getProtocol() + ":" + tls.getSession().getCipherSuite();
    }

    /** The certificate the TLS server showed (after {@link #startTls}). */
    public java.security.cert.Certificate peerCertificate() throws IOException {
        return ((javax.net.ssl.SSLSocket) socket).getSession().getPeerCertificates()[0];
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    public SmtpClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public SmtpClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads one complete reply (all its lines, CRLF-terminated) and returns it without the final CRLF. */
    public String reply() throws IOException {
        StringBuilder reply = new StringBuilder();
        while (true) {
            String line = line();
            if (line == null) {
                throw new IOException("connection closed; reply so far: " + reply);
            }
            if (reply.length() > 0) {
                reply.append("\n");
            }
            reply.append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return reply.toString();
            }
        }
    }

    /**
     * Sends a command line and returns the reply. After {@code 221} to QUIT it waits for the server's close and
     * closes too, as SMTP clients do (the relay passes the server's close on as a half-close and waits for ours).
     */
    public String command(String line) throws IOException {
        send(line + "\r\n");
        String reply = reply();
        if (line.equalsIgnoreCase("QUIT") && reply.startsWith("221")) {
            if (!closedByServer()) {
                throw new IOException("the server did not close the connection after " + reply);
            }
            sawClose = true;
            socket.close();
        }
        return reply;
    }

    /** True once the server has closed the connection (EOF), reading and discarding anything left. */
    public boolean closedByServer() throws IOException {
        if (sawClose) {
            return true;
        }
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by peer counts as closed
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                String s = buf.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            buf.write(b);
        }
        return buf.size() == 0 ? null : buf.toString(StandardCharsets.ISO_8859_1);
    }

    /** Ends the connection with a TCP reset (SO_LINGER 0), as a crashed or impatient client does. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
