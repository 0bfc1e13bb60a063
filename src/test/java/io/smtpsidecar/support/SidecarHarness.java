package io.smtpsidecar.support;

import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.demo.DemoBackend;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.session.SidecarVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A sidecar and a demo backend on loopback ports chosen by the kernel, with queues of what each side recorded.
 * Tests wait on these queues (events), never on sleeps.
 */
public final class SidecarHarness implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(30);

    private final Vertx vertx = Vertx.vertx();
    private final BlockingQueue<SessionRecord> sessions = new LinkedBlockingQueue<>();
    private final BlockingQueue<DemoBackend.Transcript> backendSessions = new LinkedBlockingQueue<>();
    private final DemoBackend backend;
    private final int backendPort;
    private final SidecarVerticle sidecar;
    private final SidecarConfig config;

    /** @param overrides configuration keys on top of the test defaults (JSON sections as in the YAML file) */
    public SidecarHarness(JsonObject overrides) {
        this(overrides, DemoBackend.Options.defaults());
    }

    public SidecarHarness(JsonObject overrides, DemoBackend.Options backendOptions) {
        backend = new DemoBackend(vertx, backendOptions, backendSessions::add);
        backendPort = backend.start("127.0.0.1", 0).await();
        JsonObject json = new JsonObject()
            .put("listen", new JsonObject().put("host", "127.0.0.1").put("port", 0))
            .put("backend", new JsonObject().put("port", backendPort))
            .put("dns", new JsonObject().put("reverseLookup", false))
            .put("smtp", new JsonObject().put("hostname", "sidecar.test"));
        json.mergeIn(overrides, true);
        config = ConfigReader.read(json, Map.of(), "sidecar.test");
        sidecar = new SidecarVerticle(() -> config, sessions::add);
        vertx.deployVerticle(sidecar).await();
    }

    public int port() {
        return sidecar.actualPort();
    }

    public int backendPort() {
        return backendPort;
    }

    public SidecarConfig config() {
        return config;
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
    public DemoBackend.Transcript nextBackendSession() throws InterruptedException {
        DemoBackend.Transcript t = backendSessions.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (t == null) {
            throw new AssertionError("no backend session within " + WAIT);
        }
        return t;
    }

    /** True if the backend saw no connection at all so far (closed ones are reported at once). */
    public boolean backendUntouched() {
        return backendSessions.isEmpty();
    }

    public Vertx vertx() {
        return vertx;
    }

    @Override
    public void close() {
        vertx.close().await();
    }
}
