package io.smtpsidecar.demo;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.smtp.SmtpProtocolException;
import io.smtpsidecar.smtp.XclientAttributes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small SMTP server that speaks XCLIENT the way Postfix does, accepts and discards mail, and reports for every
 * session the identity it was given. It lets a newcomer see the sidecar work without an MTA ({@code --demo}); the
 * integration tests have their own fake MTA.
 *
 * <p>Like Postfix, XCLIENT is allowed only from loopback peers and authorization is re-evaluated against the new
 * address after each XCLIENT, so a client cannot XCLIENT a second time through the sidecar.
 */
public final class DemoBackend {
    public static final String HOSTNAME = "demo-backend.invalid";
    private static final Logger LOG = LoggerFactory.getLogger("smtp-sidecar.demo");

    /** One accepted message: its size and the SHA-256 of the DATA bytes as received (dot-stuffed, before the final dot). */
    public record Message(long size, String sha256) {
    }

    /** What one connection did, reported when it closes. */
    public record Transcript(String socketPeer, Map<String, String> xclient, List<String> commands,
                             List<Message> messages) {
        /** The client address the backend attributes the session to: XCLIENT ADDR, else the socket peer. */
        public String clientAddress() {
            String addr = xclient.get("ADDR");
            return addr != null ? addr : socketPeer;
        }
    }

    private final Vertx vertx;
    private final Consumer<Transcript> listener;
    private NetServer server;

    public DemoBackend(Vertx vertx, Consumer<Transcript> listener) {
        this.vertx = vertx;
        this.listener = listener;
    }

    public Future<Integer> start(String host, int port) {
        server = vertx.createNetServer().connectHandler(socket -> new Connection(socket).start());
        return server.listen(port, host).map(NetServer::actualPort);
    }

    public Future<Void> stop() {
        return server.close();
    }

    private final class Connection {
        private final NetSocket socket;
        private final RecordParser lines;
        private final Map<String, String> xclient = new LinkedHashMap<>();
        private final List<String> commands = new ArrayList<>();
        private final List<Message> messages = new ArrayList<>();
        private final String peer;
        private boolean xclientAllowed;
        private MessageDigest data;
        private long dataSize;

        Connection(NetSocket socket) {
            this.socket = socket;
            this.peer = socket.remoteAddress().hostAddress();
            InetAddress peerAddress = IpAddresses.parse(peer);
            this.xclientAllowed = peerAddress != null && peerAddress.isLoopbackAddress();
            this.lines = RecordParser.newDelimited("\n", this::onLine).maxRecordSize(4 * 1024 * 1024);
        }

        void start() {
            socket.handler(lines);
            socket.closeHandler(v -> listener.accept(new Transcript(peer, Map.copyOf(xclient), List.copyOf(commands),
                List.copyOf(messages))));
            reply("220 " + HOSTNAME + " ESMTP smtp-sidecar demo backend");
        }

        private void onLine(Buffer raw) {
            if (data != null) {
                onDataLine(raw);
                return;
            }
            String line = raw.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            commands.add(line);
            int space = line.indexOf(' ');
            String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
            String args = space < 0 ? "" : line.substring(space + 1);
            switch (verb) {
                case "EHLO" -> ehlo();
                case "HELO" -> reply("250 " + HOSTNAME);
                case "XCLIENT" -> xclient(args);
                case "MAIL" -> reply("250 2.1.0 Ok");
                case "RCPT" -> reply("250 2.1.5 Ok");
                case "DATA" -> {
                    data = sha256();
                    dataSize = 0;
                    reply("354 End data with <CR><LF>.<CR><LF>");
                }
                case "RSET", "NOOP" -> reply("250 2.0.0 Ok");
                case "QUIT" -> socket.write("221 2.0.0 Bye\r\n").onComplete(ar -> socket.close());
                default -> reply("502 5.5.2 Error: command not recognized");
            }
        }

        private void onDataLine(Buffer raw) {
            if (raw.length() == 2 && raw.getByte(0) == '.' && raw.getByte(1) == '\r') {
                Message message = new Message(dataSize, HexFormat.of().formatHex(data.digest()));
                messages.add(message);
                data = null;
                LOG.info("demo backend: message {} accepted ({} bytes, sha256 {}) from client {}",
                    messages.size(), message.size(), message.sha256(), identity());
                reply("250 2.0.0 Ok: queued as DEMO" + messages.size());
                return;
            }
            byte[] bytes = raw.getBytes();
            data.update(bytes);
            data.update((byte) '\n');
            dataSize += bytes.length + 1;
        }

        private void ehlo() {
            StringBuilder sb = new StringBuilder();
            sb.append("250-").append(HOSTNAME).append("\r\n");
            sb.append("250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n");
            if (xclientAllowed) {
                sb.append("250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT\r\n");
            }
            sb.append("250 ENHANCEDSTATUSCODES\r\n");
            socket.write(sb.toString());
        }

        private void xclient(String args) {
            if (!xclientAllowed) {
                reply("550 5.7.0 Error: insufficient authorization");
                return;
            }
            Map<String, String> attrs;
            try {
                attrs = XclientAttributes.parse(args);
            } catch (SmtpProtocolException e) {
                reply(e.getMessage());
                return;
            }
            xclient.putAll(attrs);
            String addr = xclient.getOrDefault("ADDR", peer);
            InetAddress now = IpAddresses.parse(addr.regionMatches(true, 0, "IPV6:", 0, 5) ? addr.substring(5) : addr);
            xclientAllowed = now != null && now.isLoopbackAddress();
            LOG.info("demo backend: XCLIENT from {} sets {}", peer, attrs);
            reply("220 " + HOSTNAME + " ESMTP smtp-sidecar demo backend");
        }

        private String identity() {
            return "ADDR=" + xclient.getOrDefault("ADDR", peer) + " PORT=" + xclient.getOrDefault("PORT", "-")
                + " NAME=" + xclient.getOrDefault("NAME", "-");
        }

        private void reply(String line) {
            socket.write(line + "\r\n");
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
