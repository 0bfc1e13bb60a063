package io.smtpsidecar.demo;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client half of {@code --demo}: one scripted SMTP session through the sidecar, as a load balancer would open
 * it (PROXY v1 header for a made-up client 192.0.2.1), with the transcript logged line by line.
 */
public final class DemoClient {
    private static final Logger LOG = LoggerFactory.getLogger("smtp-sidecar.demo");
    /** The made-up client the demo's PROXY header names. */
    public static final String CLIENT_ADDRESS = "192.0.2.1";
    static final String HEADER = "PROXY TCP4 " + CLIENT_ADDRESS + " 198.51.100.7 50000 25\r\n";

    /** A command and the reply code it needs; the first step is the greeting, sent for the header. */
    private record Step(String command, int expected) {
    }

    private final Deque<Step> script = new ArrayDeque<>(List.of(
        new Step(null, 220),
        new Step("EHLO demo-client.example", 250),
        new Step("MAIL FROM:<alice@example.test>", 250),
        new Step("RCPT TO:<bob@example.test>", 250),
        new Step("DATA", 354),
        new Step("Subject: smtp-sidecar demo\r\n\r\nHello through the sidecar.\r\n.", 250),
        new Step("QUIT", 221)));
    private final Promise<Void> done = Promise.promise();
    private Step waiting;

    private DemoClient() {
    }

    /**
     * Runs the session; completes when the backend has answered QUIT and the connection is closed, fails with a
     * one-line reason when the session does not get there (a refusal, an early close, no answer in time).
     */
    public static Future<Void> run(Vertx vertx, int sidecarPort, Duration timeout) {
        return new DemoClient().start(vertx, sidecarPort, timeout);
    }

    private Future<Void> start(Vertx vertx, int sidecarPort, Duration timeout) {
        // Vert.x closes a NetClient that is no longer reachable at the next GC, and its sockets with it: this one
        // stays referenced until the session is over
        NetClient client = vertx.createNetClient();
        long timer = vertx.setTimer(timeout.toMillis(), id -> done.tryFail("no answer within "
            + timeout.toSeconds() + "s while waiting for " + describe(waiting)));
        done.future().onComplete(ar -> {
            vertx.cancelTimer(timer);
            client.close();
        });
        client.connect(sidecarPort, "127.0.0.1").onComplete(ar -> {
            if (ar.failed()) {
                done.tryFail("cannot connect to the sidecar: " + ar.cause().getMessage());
                return;
            }
            NetSocket socket = ar.result();
            waiting = script.poll();
            LOG.info("demo client: C: {}", HEADER.trim());
            socket.write(HEADER);
            socket.handler(RecordParser.newDelimited("\n", line -> onLine(socket, line)));
            socket.closeHandler(v -> {
                if (waiting == null && script.isEmpty()) {
                    done.tryComplete();
                } else {
                    done.tryFail("the sidecar closed the connection while waiting for " + describe(waiting));
                }
            });
        });
        return done.future();
    }

    private void onLine(NetSocket socket, Buffer line) {
        String text = line.toString(StandardCharsets.ISO_8859_1).stripTrailing();
        LOG.info("demo client: S: {}", text);
        if (waiting == null || (text.length() >= 4 && text.charAt(3) == '-')) {
            return;
        }
        Step answered = waiting;
        waiting = null;
        if (!text.startsWith(answered.expected() + " ")) {
            done.tryFail("expected " + answered.expected() + " to " + describe(answered) + ", got: " + text);
            socket.close();
            return;
        }
        Step next = script.poll();
        if (next != null) {
            waiting = next;
            LOG.info("demo client: C: {}", next.command().replace("\r\n", "\\r\\n"));
            socket.write(Buffer.buffer(next.command() + "\r\n"));
        }
    }

    private static String describe(Step step) {
        if (step == null) {
            return "the end of the session";
        }
        return step.command() == null ? "the greeting" : step.command().lines().findFirst().orElse("")
            .replaceFirst("^Subject:.*", "the message");
    }
}
