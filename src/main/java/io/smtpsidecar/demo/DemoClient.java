package io.smtpsidecar.demo;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
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
    static final String HEADER = "PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\r\n";

    private DemoClient() {
    }

    /** Completes when the session is over; never fails (problems are logged). */
    public static Future<Void> run(Vertx vertx, int sidecarPort) {
        Promise<Void> done = Promise.promise();
        Deque<String> script = new ArrayDeque<>(List.of("EHLO demo-client.example", "MAIL FROM:<alice@example.test>",
            "RCPT TO:<bob@example.test>", "DATA", "Subject: smtp-sidecar demo\r\n\r\nHello through the sidecar.\r\n.",
            "QUIT"));
        vertx.createNetClient().connect(sidecarPort, "127.0.0.1").onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("demo client: cannot connect to the sidecar: {}", ar.cause().getMessage());
                done.complete();
                return;
            }
            NetSocket socket = ar.result();
            LOG.info("demo client: C: {}", HEADER.trim());
            socket.write(HEADER);
            socket.handler(RecordParser.newDelimited("\n", line -> {
                String text = line.toString(StandardCharsets.ISO_8859_1).stripTrailing();
                LOG.info("demo client: S: {}", text);
                boolean finalLine = text.length() < 4 || text.charAt(3) != '-';
                if (finalLine && !script.isEmpty()) {
                    String command = script.poll();
                    LOG.info("demo client: C: {}", command.replace("\r\n", "\\r\\n"));
                    socket.write(Buffer.buffer(command + "\r\n"));
                }
            }));
            socket.closeHandler(v -> done.complete());
        });
        return done.future();
    }
}
