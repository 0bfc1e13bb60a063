package io.smtpsidecar.support;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.proxy.DecodeResult;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.smtpsidecar.smtp.SmtpProtocolException;
import io.smtpsidecar.smtp.XclientAttributes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The MTA of the integration tests, on a loopback port: it speaks XCLIENT the way Postfix does, accepts and discards
 * mail, and reports every connection when it closes ({@link #nextTranscript()}) and every line it reads as it comes
 * ({@link #awaitEvents}). {@link Fault} is the one switch that makes it misbehave.
 *
 * <p>Like Postfix, XCLIENT is allowed only from loopback peers and authorization is re-evaluated against the new
 * address after each XCLIENT, so a client cannot XCLIENT a second time through the sidecar.
 */
public final class FakeMta implements AutoCloseable {
    public static final String HOSTNAME = "fake-mta.test";
    /** The greeting, sent again as the reply to an accepted XCLIENT. */
    public static final String GREETING = "220 " + HOSTNAME + " ESMTP fake MTA";
    /** How long {@link Fault#SLOW_GREETING} waits before it greets. */
    public static final Duration SLOW_GREETING_DELAY = Duration.ofSeconds(2);

    /** How this MTA departs from a well-configured Postfix that lets the sidecar XCLIENT. */
    public enum Fault {
        /** None: greets at once, advertises and accepts XCLIENT, accepts every message. */
        NONE,
        /** Greets after {@link #SLOW_GREETING_DELAY}. */
        SLOW_GREETING,
        /** Accepts the connection and never says anything. */
        BLACK_HOLE,
        /** Greets with one 100 KB line. */
        HUGE_REPLY_LINE,
        /** Greets with a refusal, as an MTA that does not want the sidecar. */
        GREETING_REFUSED,
        /** Does not advertise XCLIENT. */
        NO_XCLIENT,
        /** Answers XCLIENT with a permanent refusal, as Postfix when the sidecar is not an authorized XCLIENT host. */
        XCLIENT_REFUSED,
        /** Answers XCLIENT with a temporary failure. */
        XCLIENT_TEMPFAIL,
        /** Takes the handshake and the transaction, then drops the connection at the first line of DATA. */
        DIE_IN_DATA,
        /** Closes its first connection (in the order of {@link #awaitEvents events}) at XCLIENT, without a reply. */
        DROP_FIRST_XCLIENT,
        /**
         * Waits for a PROXY header (v1 or v2) before it greets, as Postfix with
         * {@code smtpd_upstream_proxy_protocol = haproxy}; each header is in {@link #nextProxyHeader()}.
         */
        PROXY_HEADER
    }

    /** One accepted message: its size and the SHA-256 of the DATA bytes as received (dot-stuffed, before the final dot). */
    public record Message(long size, String sha256) {
    }

    /** What one connection did, reported when it closes. */
    public record Transcript(String socketPeer, Map<String, String> xclient, List<String> commands,
                             List<Message> messages) {
        /** The client address the MTA attributes the session to: XCLIENT ADDR, else the socket peer. */
        public String clientAddress() {
            String addr = xclient.get("ADDR");
            return addr != null ? addr : socketPeer;
        }

        /** The sidecar's readiness probe: greeting, QUIT. */
        boolean isProbe() {
            return xclient.isEmpty() && commands.equals(List.of("QUIT"));
        }
    }

    private final Vertx vertx;
    private final Fault fault;
    private final NetServer server;
    private final int port;
    private final BlockingQueue<Transcript> transcripts = new LinkedBlockingQueue<>();
    private final BlockingQueue<ProxyHeader> proxyHeaders = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final Map<Integer, NetSocket> open = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    private FakeMta(Vertx vertx, Fault fault, int port) {
        this.vertx = vertx;
        this.fault = fault;
        this.server = vertx.createNetServer().connectHandler(socket -> new Connection(socket).start());
        this.port = server.listen(port, "127.0.0.1").await().actualPort();
    }

    /** Listens on 127.0.0.1, on a port the kernel picks. */
    public static FakeMta start(Vertx vertx, Fault fault) {
        return new FakeMta(vertx, fault, 0);
    }

    /** Listens on 127.0.0.1:{@code port}, e.g. where an earlier one listened. */
    public static FakeMta start(Vertx vertx, Fault fault, int port) {
        return new FakeMta(vertx, fault, port);
    }

    public int port() {
        return port;
    }

    /**
     * The next connection that closed, the sidecar's readiness probes left out; fails the test when none comes
     * within {@link SidecarHarness#WAIT}.
     */
    public Transcript nextTranscript() throws InterruptedException {
        return poll(transcripts, "no backend session");
    }

    /** Waits up to {@code timeout} for the next connection that closed; null if none did. */
    public Transcript pollTranscript(Duration timeout) throws InterruptedException {
        return transcripts.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** True if no connection but the readiness probe's closed so far (closed ones are reported at once). */
    public boolean untouched() {
        return transcripts.isEmpty();
    }

    /** The next PROXY header received in {@link Fault#PROXY_HEADER} mode, waiting up to {@link SidecarHarness#WAIT}. */
    public ProxyHeader nextProxyHeader() throws InterruptedException {
        return poll(proxyHeaders, "no PROXY header");
    }

    /**
     * Waits until an event matching each of {@code wanted} has come, in any order; returns every event seen. Events
     * are {@code N: line} for each line a connection sent outside DATA and {@code close N} when it closed; connections
     * are numbered 1, 2, … by their first EHLO, so the readiness probe's (greeting, QUIT) have no number and no events.
     */
    @SafeVarargs
    public final List<String> awaitEvents(Predicate<String>... wanted) throws InterruptedException {
        List<Predicate<String>> missing = new ArrayList<>(List.of(wanted));
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + SidecarHarness.WAIT.toNanos();
        while (!missing.isEmpty()) {
            String e = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError("backend events missing after " + SidecarHarness.WAIT + "; saw " + seen);
            }
            seen.add(e);
            missing.removeIf(p -> p.test(e));
        }
        return seen;
    }

    public List<String> awaitEvent(String wanted) throws InterruptedException {
        return awaitEvents(wanted::equals);
    }

    /** Like Postfix's idle timeout: 421 and close on every numbered connection still open. */
    public void timeOutAll() {
        open.values().forEach(s -> s.write("421 4.4.2 " + HOSTNAME + " Error: timeout exceeded\r\n")
            .onComplete(ar -> s.close()));
    }

    private static <T> T poll(BlockingQueue<T> queue, String what) throws InterruptedException {
        T t = queue.poll(SidecarHarness.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (t == null) {
            throw new AssertionError(what + " within " + SidecarHarness.WAIT);
        }
        return t;
    }

    /** Stops listening; connections already open stay open. */
    @Override
    public void close() {
        server.close().await();
    }

    private final class Connection {
        private final NetSocket socket;
        private final String peer;
        private final Map<String, String> xclient = new LinkedHashMap<>();
        private final List<String> commands = new ArrayList<>();
        private final List<Message> messages = new ArrayList<>();
        private boolean xclientAllowed;
        private int id;
        private MessageDigest data;
        private long dataSize;

        Connection(NetSocket socket) {
            this.socket = socket;
            this.peer = socket.remoteAddress().hostAddress();
            this.xclientAllowed = isLoopback(peer);
        }

        void start() {
            socket.closeHandler(v -> {
                if (id > 0) {
                    open.remove(id);
                    events.add("close " + id);
                }
                Transcript t = new Transcript(peer, Map.copyOf(xclient), List.copyOf(commands), List.copyOf(messages));
                if (!t.isProbe()) {
                    transcripts.add(t);
                }
            });
            RecordParser lines = RecordParser.newDelimited("\n", this::onLine).maxRecordSize(4 * 1024 * 1024);
            switch (fault) {
                case BLACK_HOLE -> socket.handler(ignored -> { });
                case HUGE_REPLY_LINE -> reply("220 " + "x".repeat(100 * 1024));
                case GREETING_REFUSED -> reply("554 go away");
                case SLOW_GREETING -> {
                    socket.handler(lines);
                    vertx.setTimer(SLOW_GREETING_DELAY.toMillis(), id -> reply(GREETING));
                }
                case PROXY_HEADER -> {
                    ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
                    socket.handler(bytes -> {
                        DecodeResult r = decoder.feed(bytes.getBytes());
                        if (r instanceof DecodeResult.Decoded d) {
                            proxyHeaders.add(d.header());
                            socket.handler(lines);
                            reply(GREETING);
                            lines.handle(Buffer.buffer(d.rest()));
                        } else if (r instanceof DecodeResult.Invalid i) {
                            commands.add("invalid PROXY header: " + i.reason());
                            socket.close();
                        }
                    });
                }
                default -> {
                    socket.handler(lines);
                    reply(GREETING);
                }
            }
        }

        private void onLine(Buffer raw) {
            if (data != null) {
                onDataLine(raw);
                return;
            }
            String line = raw.toString(StandardCharsets.ISO_8859_1);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            commands.add(line);
            int space = line.indexOf(' ');
            String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
            if (verb.equals("EHLO") && id == 0) {
                id = ids.incrementAndGet();
                open.put(id, socket);
            }
            if (id > 0) {
                events.add(id + ": " + line);
            }
            switch (verb) {
                case "EHLO" -> reply("250-" + HOSTNAME, "250-PIPELINING", "250-SIZE 52428800", "250-8BITMIME",
                    fault != Fault.NO_XCLIENT && xclientAllowed
                        ? "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT" : null,
                    "250 ENHANCEDSTATUSCODES");
                case "HELO" -> reply("250 " + HOSTNAME);
                case "XCLIENT" -> xclient(space < 0 ? "" : line.substring(space + 1));
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
            if (fault == Fault.DIE_IN_DATA) {
                socket.close(); // the MTA dies with the message half received
                return;
            }
            if (raw.length() == 2 && raw.getByte(0) == '.' && raw.getByte(1) == '\r') {
                messages.add(new Message(dataSize, HexFormat.of().formatHex(data.digest())));
                data = null;
                reply("250 2.0.0 Ok: queued as FAKE" + messages.size());
                return;
            }
            byte[] bytes = raw.getBytes();
            data.update(bytes);
            data.update((byte) '\n');
            dataSize += bytes.length + 1;
        }

        private void xclient(String args) {
            if (!xclientAllowed) {
                reply("550 5.7.0 Error: insufficient authorization");
                return;
            }
            if (fault == Fault.DROP_FIRST_XCLIENT && id == 1) {
                socket.close();
                return;
            }
            if (fault == Fault.XCLIENT_REFUSED || fault == Fault.XCLIENT_TEMPFAIL) {
                reply(fault == Fault.XCLIENT_REFUSED ? "550 5.7.0 Error: insufficient authorization"
                    : "421 4.3.2 backend busy");
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
            xclientAllowed = isLoopback(addr.regionMatches(true, 0, "IPV6:", 0, 5) ? addr.substring(5) : addr);
            reply(GREETING);
        }

        /** Writes the lines (null ones left out) as one reply. */
        private void reply(String... lines) {
            StringBuilder sb = new StringBuilder();
            for (String line : lines) {
                if (line != null) {
                    sb.append(line).append("\r\n");
                }
            }
            socket.write(sb.toString());
        }
    }

    private static boolean isLoopback(String address) {
        InetAddress parsed = IpAddresses.parse(address);
        return parsed != null && parsed.isLoopbackAddress();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
