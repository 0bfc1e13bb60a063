package io.smtpsidecar.bench;

import io.smtpsidecar.support.ProxyHeaders;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The load engine: closed-loop SMTP clients on Vert.x. Each client runs one full transaction per connection
 * (banner, EHLO, MAIL, RCPT, DATA, message, QUIT) and waits for every reply before it sends the next command, so a
 * server that enforces "no input before the greeting" (Exim's rule, and the sidecar's) sees a well-behaved client.
 * Connections are spread over several loopback source addresses so that many thousands of them do not run out of
 * ephemeral ports.
 */
final class SmtpLoad {
    static final String CRLF = "\r\n";

    /**
     * What one run does. {@code sessions} is the total across all clients; {@code maxMillis} caps the wall time;
     * {@code tls} null for plain SMTP, else implicit TLS (465) from the first byte after the PROXY header.
     */
    record Options(String host, int port, int concurrency, int sessions, long maxMillis, int messageSize,
                   ProxyMode proxy, List<String> sources, int timeoutMillis, TlsClient tls) {
    }

    enum ProxyMode { NONE, V1, V2 }

    /** The outcome of one run; {@code tls}: the distinct sessions seen ({@link TlsClient#describe}), TLS runs only. */
    record Result(int ok, int errors, double elapsedSeconds, long[] bannerNanos, long payloadBytes,
                  List<String> errorSamples, List<String> tls) {
        double sessionsPerSecond() {
            return elapsedSeconds > 0 ? ok / elapsedSeconds : 0;
        }

        double megabytesPerSecond() {
            return elapsedSeconds > 0 ? payloadBytes / 1e6 / elapsedSeconds : 0;
        }

        /** Percentile {@code p} (0..100) of the time from connect() to the complete 220 greeting, in ms. */
        double bannerMillis(double p) {
            if (bannerNanos.length == 0) {
                return Double.NaN;
            }
            int index = (int) Math.ceil(p / 100.0 * bannerNanos.length) - 1;
            return bannerNanos[Math.max(0, Math.min(bannerNanos.length - 1, index))] / 1e6;
        }
    }

    private final Vertx vertx;
    private final List<NetClient> clients = new ArrayList<>();
    private final List<String> sources;
    private final AtomicInteger nextClient = new AtomicInteger();

    SmtpLoad(Vertx vertx, List<String> sources, int timeoutMillis) {
        this.vertx = vertx;
        this.sources = sources;
        for (String source : sources) {
            clients.add(vertx.createNetClient(new NetClientOptions().setLocalAddress(source).setTcpNoDelay(true)
                .setConnectTimeout(timeoutMillis).setReuseAddress(true)));
        }
    }

    private int clientIndex() {
        return Math.floorMod(nextClient.getAndIncrement(), clients.size());
    }

    /** Runs {@code options.sessions()} transactions with {@code options.concurrency()} clients. */
    Future<Result> run(Options o) {
        Promise<Result> done = Promise.promise();
        Buffer body = message(o.messageSize());
        Run run = new Run(o, body, done);
        run.start();
        return done.future();
    }

    /** The DATA content: lines of 'x' with CRLF, no leading dots, then the terminating dot line. */
    static Buffer message(int size) {
        byte[] bytes = new byte[size];
        int i = 0;
        while (i < size) {
            int lineEnd = Math.min(size, i + 78);
            for (; i < lineEnd - 2 && i < size; i++) {
                bytes[i] = 'x';
            }
            if (i < size) {
                bytes[i++] = '\r';
            }
            if (i < size) {
                bytes[i++] = '\n';
            }
        }
        // make sure the body ends with CRLF so that the dot line stands alone
        if (size >= 2) {
            bytes[size - 2] = '\r';
            bytes[size - 1] = '\n';
        }
        Buffer b = Buffer.buffer(size + 3);
        b.appendBytes(bytes);
        b.appendString("." + CRLF);
        return b;
    }

    /** A PROXY header for a made-up client behind the given source address. */
    static Buffer proxyHeader(ProxyMode mode, String source, int sourcePort, String dest, int destPort) {
        return Buffer.buffer(mode == ProxyMode.V1 ? ProxyHeaders.v1(source, sourcePort, dest, destPort)
            : ProxyHeaders.v2(source, sourcePort, dest, destPort));
    }

    private final class Run {
        private final Options o;
        private final Buffer body;
        private final Promise<Result> done;
        private final AtomicInteger started = new AtomicInteger();
        private final AtomicInteger ok = new AtomicInteger();
        private final AtomicInteger errors = new AtomicInteger();
        private final AtomicInteger workersLeft;
        private final AtomicLong bannerIndex = new AtomicLong();
        private final long[] banners;
        private final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
        private final Set<String> tls = ConcurrentHashMap.newKeySet();
        private final AtomicInteger described = new AtomicInteger();
        private final long deadline;
        private long startNanos;

        Run(Options o, Buffer body, Promise<Result> done) {
            this.o = o;
            this.body = body;
            this.done = done;
            this.workersLeft = new AtomicInteger(o.concurrency());
            this.banners = new long[o.sessions() + o.concurrency()];
            this.deadline = System.nanoTime() + o.maxMillis() * 1_000_000L;
        }

        void start() {
            startNanos = System.nanoTime();
            for (int i = 0; i < o.concurrency(); i++) {
                // connect from an event loop: a connect() from a plain thread completes its future through a task
                // queued on the loop, and a banner read before that task runs reaches a socket without a handler
                vertx.getOrCreateContext().runOnContext(v -> next());
            }
        }

        void next() {
            if (started.incrementAndGet() > o.sessions() || System.nanoTime() > deadline) {
                if (workersLeft.decrementAndGet() == 0) {
                    finish();
                }
                return;
            }
            new Session(this).connect();
        }

        void error(String what) {
            errors.incrementAndGet();
            if (samples.size() < 5) {
                samples.add(what);
            }
        }

        void banner(long nanos) {
            int i = (int) bannerIndex.getAndIncrement();
            if (i < banners.length) {
                banners[i] = nanos;
            }
        }

        void finish() {
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            long[] b = Arrays.copyOf(banners, (int) Math.min(banners.length, bannerIndex.get()));
            Arrays.sort(b);
            done.complete(new Result(ok.get(), errors.get(), elapsed, b, (long) ok.get() * o.messageSize(),
                List.copyOf(samples), List.copyOf(tls)));
        }

        /** Describes the first sessions of a run only: all of them are alike, and it costs a certificate copy. */
        Consumer<String> describer() {
            return described.getAndIncrement() < 3 ? tls::add : null;
        }
    }

    /** One SMTP transaction on one connection. Runs on the connection's event loop. */
    private final class Session {
        private final Run run;
        private final ReplyReader reader = new ReplyReader();
        private NetSocket socket;
        private int step;
        private long t0;
        private long timer = -1;
        private boolean finished;

        Session(Run run) {
            this.run = run;
        }

        void connect() {
            int c = clientIndex();
            t0 = System.nanoTime();
            clients.get(c).connect(run.o.port(), run.o.host()).onComplete(ar -> {
                if (ar.failed()) {
                    end("connect: " + ar.cause());
                    return;
                }
                socket = ar.result();
                timer = vertx.setTimer(run.o.timeoutMillis(), id -> end("timeout at step " + step));
                socket.handler(this::onData);
                socket.closeHandler(v -> end("closed by server at step " + step));
                socket.exceptionHandler(e -> end("socket: " + e));
                Buffer header = run.o.proxy() == ProxyMode.NONE ? null : proxyHeader(run.o.proxy(), sources.get(c),
                    socket.localAddress().port(), "127.0.0.1", run.o.port());
                if (run.o.tls() != null) {
                    run.o.tls().start(socket, header, run.describer());
                } else if (header != null) {
                    socket.write(header);
                }
            });
        }

        private void onData(Buffer data) {
            for (int i = 0; i < data.length() && !finished; i++) {
                int code = reader.feed(data.getByte(i));
                if (code < 0) {
                    end("malformed reply line at step " + step + ": " + reader.lastReply());
                } else if (code > 0) {
                    try {
                        onReply(code);
                    } catch (IllegalStateException e) {
                        end(e.getMessage());
                    }
                }
            }
        }

        private void onReply(int code) {
            switch (step) {
                case 0 -> {
                    expect(code, 220);
                    run.banner(System.nanoTime() - t0);
                    send("EHLO load.bench.test");
                }
                case 1 -> {
                    expect(code, 250);
                    send("MAIL FROM:<sender@bench.test>");
                }
                case 2 -> {
                    expect(code, 250);
                    send("RCPT TO:<test@bench.test>");
                }
                case 3 -> {
                    expect(code, 250);
                    send("DATA");
                }
                case 4 -> {
                    expect(code, 354);
                    step++;
                    socket.write(run.body);
                }
                case 5 -> {
                    expect(code, 250);
                    send("QUIT");
                }
                case 6 -> {
                    expect(code, 221);
                    finished = true;
                    vertx.cancelTimer(timer);
                    run.ok.incrementAndGet();
                    socket.closeHandler(null);
                    socket.handler(null);
                    socket.close();
                    run.next();
                }
                default -> end("unexpected reply " + code + " after QUIT");
            }
        }

        private void expect(int code, int wanted) {
            if (code != wanted) {
                throw new IllegalStateException("step " + step + ": expected " + wanted + ", got " + code
                    + " (" + reader.lastReply() + ")");
            }
        }

        private void send(String line) {
            step++;
            socket.write(Buffer.buffer(line + CRLF));
        }

        void end(String why) {
            if (finished) {
                return;
            }
            finished = true;
            vertx.cancelTimer(timer);
            run.error(why);
            if (socket != null) {
                socket.closeHandler(null);
                socket.close();
            }
            run.next();
        }
    }

    /**
     * Opens {@code count} sessions (banner, EHLO) and keeps them open. Completes when all are open or failed; the
     * returned {@link Held} closes them.
     */
    Future<Held> hold(String host, int port, int count, int parallel, int timeoutMillis) {
        Held held = new Held(count, timeoutMillis, host, port, parallel);
        return held.open();
    }

    /** Sessions held open after EHLO. */
    final class Held {
        private final int count;
        private final int timeoutMillis;
        private final String host;
        private final int port;
        private final int parallel;
        private final AtomicInteger launched = new AtomicInteger();
        private final AtomicInteger settled = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        final AtomicInteger lost = new AtomicInteger();
        final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
        private final ConcurrentLinkedQueue<NetSocket> sockets = new ConcurrentLinkedQueue<>();
        private final Promise<Held> ready = Promise.promise();
        volatile boolean closing;
        long openNanos;
        private long t0;

        Held(int count, int timeoutMillis, String host, int port, int parallel) {
            this.count = count;
            this.timeoutMillis = timeoutMillis;
            this.host = host;
            this.port = port;
            this.parallel = parallel;
        }

        Future<Held> open() {
            t0 = System.nanoTime();
            for (int i = 0; i < Math.min(parallel, count); i++) {
                vertx.getOrCreateContext().runOnContext(v -> launch());
            }
            if (count == 0) {
                ready.complete(this);
            }
            return ready.future();
        }

        private void launch() {
            if (launched.incrementAndGet() > count) {
                return;
            }
            NetClient client = clients.get(clientIndex());
            client.connect(port, host).onComplete(ar -> {
                if (ar.failed()) {
                    fail("connect: " + ar.cause(), null);
                    return;
                }
                NetSocket s = ar.result();
                ReplyReader reader = new ReplyReader();
                int[] step = {0};
                boolean[] done = {false};
                long timer = vertx.setTimer(timeoutMillis, id -> {
                    if (!done[0]) {
                        done[0] = true;
                        fail("timeout at step " + step[0], s);
                    }
                });
                s.closeHandler(v -> {
                    if (!done[0]) {
                        done[0] = true;
                        vertx.cancelTimer(timer);
                        fail("closed by server at step " + step[0], null);
                    } else if (!closing) {
                        lost.incrementAndGet();
                    }
                });
                s.handler(data -> {
                    for (int i = 0; i < data.length() && !done[0]; i++) {
                        int code = reader.feed(data.getByte(i));
                        if (code <= 0) {
                            continue;
                        }
                        if (step[0] == 0 && code == 220) {
                            step[0] = 1;
                            s.write(Buffer.buffer("EHLO idle.bench.test" + CRLF));
                        } else if (step[0] == 1 && code == 250) {
                            done[0] = true;
                            vertx.cancelTimer(timer);
                            sockets.add(s);
                            open.incrementAndGet();
                            settle();
                            launch();
                        } else {
                            done[0] = true;
                            vertx.cancelTimer(timer);
                            fail("step " + step[0] + ": unexpected " + reader.lastReply(), s);
                        }
                    }
                });
            });
        }

        private void fail(String why, NetSocket s) {
            errors.incrementAndGet();
            if (samples.size() < 5) {
                samples.add(why);
            }
            if (s != null) {
                s.close();
            }
            settle();
            launch();
        }

        private void settle() {
            if (settled.incrementAndGet() == count) {
                openNanos = System.nanoTime() - t0;
                ready.complete(this);
            }
        }

        Future<Void> close() {
            closing = true;
            List<Future<Void>> closes = new ArrayList<>();
            NetSocket s;
            while ((s = sockets.poll()) != null) {
                closes.add(s.close());
            }
            return Future.join(closes).mapEmpty();
        }
    }

    /** Finds complete SMTP replies in a byte stream; answers the code when a reply's last line has ended. */
    static final class ReplyReader {
        private int pos;
        private int code;
        private boolean last;
        private final StringBuilder line = new StringBuilder();
        private String lastReply = "";

        /** @return the reply code when {@code b} ends a reply, 0 otherwise, -1 for a malformed line */
        int feed(byte b) {
            if (line.length() < 200) {
                line.append((char) (b & 0xff));
            }
            if (b == '\n') {
                int result = pos >= 3 ? (last ? code : 0) : -1;
                lastReply = line.toString().trim();
                line.setLength(0);
                pos = 0;
                code = 0;
                last = false;
                return result;
            }
            if (pos < 3) {
                code = code * 10 + (b - '0');
            } else if (pos == 3) {
                last = b != '-';
            }
            pos++;
            return 0;
        }

        String lastReply() {
            return lastReply;
        }
    }

    /** 127.0.0.2-127.0.0.41 → the list of addresses; a comma-separated list is taken as is. */
    static List<String> sources(String spec) {
        List<String> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            int dash = part.indexOf('-');
            if (dash < 0) {
                out.add(part.trim());
                continue;
            }
            String from = part.substring(0, dash).trim();
            String to = part.substring(dash + 1).trim();
            String prefix = from.substring(0, from.lastIndexOf('.') + 1);
            int a = Integer.parseInt(from.substring(from.lastIndexOf('.') + 1));
            int b = Integer.parseInt(to.substring(to.lastIndexOf('.') + 1));
            for (int i = a; i <= b; i++) {
                out.add(prefix + i);
            }
        }
        return out;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
