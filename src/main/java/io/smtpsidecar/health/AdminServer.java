package io.smtpsidecar.health;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.config.SidecarConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The operations port: {@code /metrics} (Prometheus text, or OpenMetrics when the Accept header asks for it),
 * {@code /healthz} (liveness: every SMTP event loop runs a task within two seconds) and {@code /readyz}
 * (readiness, see {@link Readiness}). Answers are 200 or 503 with a one-line reason; GET and HEAD only. A connection
 * is closed when nothing moves on it for {@link #IDLE_TIMEOUT}, or when its next request is not complete within
 * {@link #REQUEST_TIMEOUT} of connecting or of the previous answer.
 */
public final class AdminServer {
    // twice Prometheus' shortest usual scrape interval (15 s), so such a scraper keeps its connection; one that
    // scrapes less often reconnects, as HTTP clients do when an idle connection has been closed
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final long LIVENESS_TIMEOUT_MS = 2000;
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;
    private final Supplier<SidecarConfig> config;
    private final Collection<Context> eventLoops;
    private final Duration idleTimeout;
    private final RequestDeadlines deadlines;
    private HttpServer server;

    public AdminServer(Vertx vertx, PrometheusMeterRegistry registry, Readiness readiness,
                       Supplier<SidecarConfig> config, Collection<Context> eventLoops) {
        this(vertx, registry, readiness, config, eventLoops, IDLE_TIMEOUT, REQUEST_TIMEOUT);
    }

    /** With other timeouts, so that tests need not wait for the real ones. */
    AdminServer(Vertx vertx, PrometheusMeterRegistry registry, Readiness readiness, Supplier<SidecarConfig> config,
                Collection<Context> eventLoops, Duration idleTimeout, Duration requestTimeout) {
        this.vertx = vertx;
        this.registry = registry;
        this.readiness = readiness;
        this.config = config;
        this.eventLoops = eventLoops;
        this.idleTimeout = idleTimeout;
        this.deadlines = new RequestDeadlines(vertx, requestTimeout);
    }

    public Future<Integer> start(String host, int port) {
        HttpServerOptions options = new HttpServerOptions()
            // HTTP/1.1 only: with h2c on, Vert.x reports a connection only once its first bytes or request head
            // tell the protocol, so a silent or trickling peer would never start its request deadline
            .setHttp2ClearTextEnabled(false)
            .setIdleTimeout((int) idleTimeout.toMillis())
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        server = vertx.createHttpServer(options).connectionHandler(deadlines::connected).requestHandler(this::handle);
        return server.listen(port, host).map(HttpServer::actualPort);
    }

    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private void handle(HttpServerRequest request) {
        deadlines.requestStarted(request);
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            request.response().setStatusCode(405).putHeader("allow", "GET, HEAD")
                .end("method not allowed: use GET or HEAD\n");
            return;
        }
        switch (request.path()) {
            case "/metrics" -> scrape(request);
            case "/healthz" -> liveness().onComplete(ar -> reply(request,
                ar.succeeded() ? null : "event loop not answering within " + LIVENESS_TIMEOUT_MS + "ms", "alive"));
            case "/readyz" -> reply(request, readiness.notReadyReason(config.get().health().backendCheckInterval()),
                "ready");
            default -> request.response().setStatusCode(404).end("not found: try /metrics, /healthz, /readyz\n");
        }
    }

    /** Prometheus text by default, OpenMetrics when the Accept header asks for it; rendered off the event loop. */
    private void scrape(HttpServerRequest request) {
        String accept = request.getHeader("Accept");
        boolean openMetrics = accept != null && accept.contains("application/openmetrics-text");
        String contentType = openMetrics ? OPENMETRICS : PROMETHEUS_TEXT;
        vertx.executeBlocking(() -> registry.scrape(contentType)).onComplete(ar -> {
            if (ar.succeeded()) {
                request.response().putHeader("content-type", contentType).end(ar.result());
            } else {
                request.response().setStatusCode(500).end("scrape failed: " + ar.cause().getMessage() + "\n");
            }
        });
    }

    private Future<Void> liveness() {
        List<Future<Void>> pings = new ArrayList<>();
        for (Context context : eventLoops) {
            Promise<Void> pong = Promise.promise();
            context.runOnContext(v -> pong.tryComplete());
            vertx.setTimer(LIVENESS_TIMEOUT_MS, id -> pong.tryFail("timeout"));
            pings.add(pong.future());
        }
        return Future.all(pings).mapEmpty();
    }

    private static void reply(HttpServerRequest request, String problem, String okText) {
        request.response()
            .setStatusCode(problem == null ? 200 : 503)
            .putHeader("content-type", "text/plain; charset=utf-8")
            .end((problem == null ? okText : problem) + "\n");
    }
}
