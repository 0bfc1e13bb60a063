package io.smtpsidecar.support;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.SidecarApp;
import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.transport.TransportChoice;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A sidecar (the whole {@link SidecarApp}: SMTP and operations ports) and a {@link FakeMta} on loopback ports chosen by
 * the kernel, with queues of what each side recorded. Tests wait on these queues (events), never on sleeps.
 */
public final class SidecarHarness implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(30);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Vertx vertx;
    /** The backend's own Vert.x on NIO: what a test puts under load is the sidecar's transport, not the MTA's. */
    private final Vertx backendVertx = Vertx.builder().withTransport(Transport.NIO).build();
    private final BlockingQueue<SessionRecord> sessions = new LinkedBlockingQueue<>();
    private final FakeMta backend;
    private final SidecarApp app;

    /** @param overrides configuration keys on top of the test defaults (JSON sections as in the YAML file) */
    public SidecarHarness(JsonObject overrides) {
        this(overrides, FakeMta.Fault.NONE);
    }

    /** With {@code listen.transport} among the overrides, the whole harness (backend too) runs on it. */
    public SidecarHarness(JsonObject overrides, FakeMta.Fault backendFault) {
        // the transport is needed before the backend's port is known: read it with a placeholder port
        vertx = SidecarApp.newVertx(registry, VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE,
            TransportChoice.of(config(overrides, 25).listen().transport()));
        backend = FakeMta.start(backendVertx, backendFault);
        app = SidecarApp.start(vertx, registry, config(overrides, backend.port()), sessions::add).await();
    }

    /** The test defaults: loopback, kernel-chosen ports, no DNS, a fixed host name. */
    public static SidecarConfig config(JsonObject overrides, int backendPort) {
        // with listeners, each names its own port (listen.port would be an error)
        JsonObject listen = new JsonObject().put("host", "127.0.0.1");
        if (!overrides.containsKey("listeners")) {
            listen.put("port", 0);
        }
        JsonObject json = new JsonObject()
            .put("listen", listen)
            .put("metrics", new JsonObject().put("host", "127.0.0.1").put("port", 0))
            .put("backend", new JsonObject().put("port", backendPort))
            .put("dns", new JsonObject().put("reverseLookup", false))
            .put("smtp", new JsonObject().put("hostname", "sidecar.test"));
        json.mergeIn(overrides, true);
        return ConfigReader.read(json, Map.of(), "sidecar.test");
    }

    public int port() {
        return app.smtpPort();
    }

    /** The bound port of the listener {@code name}. */
    public int port(String name) {
        return app.smtpPort(name);
    }

    public int backendPort() {
        return backend.port();
    }

    public FakeMta backend() {
        return backend;
    }

    public SidecarApp app() {
        return app;
    }

    public SidecarConfig config() {
        return app.config();
    }

    /** GET on the operations port; returns status and body. */
    public HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.adminPort() + path)).timeout(WAIT).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    /** The next session log record; fails the test when none comes within {@link #WAIT}. */
    public SessionRecord nextSession() throws InterruptedException {
        SessionRecord r = sessions.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (r == null) {
            throw new AssertionError("no session record within " + WAIT);
        }
        return r;
    }

    /** The next closed backend connection; fails the test when none comes within {@link #WAIT}. */
    public FakeMta.Transcript nextBackendSession() throws InterruptedException {
        return backend.nextTranscript();
    }

    /** True if the backend saw no client session so far (closed ones are reported at once; probes aside). */
    public boolean backendUntouched() {
        return backend.untouched();
    }

    public Vertx vertx() {
        return vertx;
    }

    @Override
    public void close() {
        vertx.close().await();
        backendVertx.close().await();
    }
}
