package io.smtpsidecar.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.support.SidecarHarness;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operations port against raw HTTP clients: peers that send nothing or half a request are cut off, methods other
 * than GET and HEAD are refused. One timeout at a time is short, so each test shows that one at work.
 */
class AdminServerIT {
    private static final Duration SHORT = Duration.ofMillis(300);
    private static final Duration NEVER = SidecarHarness.WAIT.multipliedBy(4);

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    private int start(Duration idleTimeout, Duration requestTimeout) {
        SidecarConfig config = ConfigReader.read(new JsonObject(), Map.of(), "sidecar.test");
        return new AdminServer(vertx, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), new Readiness(),
            () -> config, List.of(), idleTimeout, requestTimeout).start("127.0.0.1", 0).await();
    }

    /** Sends {@code request} and reads until the server closes; fails if it does not within the harness's wait. */
    private static String exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout((int) SidecarHarness.WAIT.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void aSilentConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        int port = start(SHORT, NEVER);
        assertThat(exchange(port, "")).isEmpty();
    }

    @Test
    void halfARequestIsClosedAtTheRequestDeadline() throws Exception {
        int port = start(NEVER, SHORT);
        assertThat(exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n")).isEmpty();
    }

    @Test
    void theRequestDeadlineStartsAgainAfterEachAnswer() throws Exception {
        int port = start(NEVER, SHORT);
        String answers = exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n");
        assertThat(answers).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nalive\n");
    }

    @Test
    void otherMethodsAreRefusedNamingTheAllowedOnes() throws Exception {
        int port = start(NEVER, NEVER);
        String answer = exchange(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
            + "Connection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 405 Method Not Allowed\r\n").containsIgnoringCase("\r\nallow: GET, HEAD\r\n");
    }

    @Test
    void headAnswersLikeGetWithoutTheBody() throws Exception {
        int port = start(NEVER, NEVER);
        String answer = exchange(port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n");
    }
}
