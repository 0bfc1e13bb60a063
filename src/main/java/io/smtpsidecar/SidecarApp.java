package io.smtpsidecar;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.config.ConfigKeys;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.health.AdminServer;
import io.smtpsidecar.health.IdleHeap;
import io.smtpsidecar.backend.BackendProbe;
import io.smtpsidecar.health.Readiness;
import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.SidecarMetrics;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.session.SidecarServices;
import io.smtpsidecar.session.SmtpListener;
import io.smtpsidecar.transport.TransportChoice;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: the SMTP listener (sessions on every event loop), the operations port, the backend probe, the limits
 * sweeper, configuration reloads and the drain. {@link Main} wraps it in a command line; tests start it in-process.
 */
public final class SidecarApp {
    private static final Logger LOG = LoggerFactory.getLogger("smtp-sidecar");
    private static final int BLOCKING_THREADS = 1;
    /** How long without a new connection counts as idle (then {@link IdleHeap} collects once). */
    private static final long IDLE_CHECK_MS = 4000;

    private final Vertx vertx;
    private final AtomicReference<SidecarConfig> config;
    private final SidecarServices services;
    private final Set<Context> eventLoops = ConcurrentHashMap.newKeySet();
    private final AdminServer admin;
    private SmtpListener listener;
    private BackendProbe probe;
    private int adminPort;
    private long sweeper = -1;
    private IdleHeap idleHeap;

    private SidecarApp(Vertx vertx, PrometheusMeterRegistry registry, SidecarConfig initial) {
        this.vertx = vertx;
        this.config = new AtomicReference<>(initial);
        this.services = new SidecarServices(new SidecarMetrics(registry), new ClientLimits(), new Readiness());
        services.metrics().transport(TransportChoice.nameOf(vertx));
        this.admin = new AdminServer(vertx, registry, services.readiness(), config::get, eventLoops);
    }

    /** {@link #newVertx(PrometheusMeterRegistry, int, TransportChoice)}: Vert.x's default number of event loops,
     *  the {@code auto} transport. */
    public static Vertx newVertx(PrometheusMeterRegistry registry) {
        return newVertx(registry, VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE,
            TransportChoice.of(SidecarConfig.Transport.AUTO));
    }

    /**
     * A Vert.x with {@code eventLoops} event loops, and the JVM and process
     * binders in {@code registry}.
     */
    public static Vertx newVertx(PrometheusMeterRegistry registry, int eventLoops, TransportChoice transport) {
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return Vertx.builder()
            .with(new VertxOptions().setEventLoopPoolSize(eventLoops)
                // the only blocking work is a metrics scrape and the configuration file's parse (worker pool)
                // and its read (internal pool), a few milliseconds each and ordered per context anyway;
                // Vert.x's pools of 20 start a new thread per task until they hold 20 threads each
                .setWorkerPoolSize(BLOCKING_THREADS).setInternalBlockingPoolSize(BLOCKING_THREADS))
            .withTransport(transport.transport())
            .build();
    }

    /**
     * Starts everything; completes once the SMTP and operations ports listen, or fails with a
     * {@link ListenException} naming the port that could not be opened.
     */
    public static Future<SidecarApp> start(Vertx vertx, PrometheusMeterRegistry registry, SidecarConfig initial,
                                           Consumer<SessionRecord> sessionLog) {
        SidecarApp app = new SidecarApp(vertx, registry, initial);
        SidecarConfig.Listen listen = initial.listen();
        SidecarConfig.Metrics metrics = initial.metrics();
        return SmtpListener.start(vertx, app.config::get, app.services, sessionLog)
            .recover(e -> Future.failedFuture(new ListenException(ConfigKeys.LISTEN_PORT, listen.host(),
                listen.port(), e)))
            .compose(listener -> {
                app.listener = listener;
                app.eventLoops.addAll(listener.contexts());
                app.services.readiness().listening();
                return app.admin.start(metrics.host(), metrics.port()).recover(e -> Future.failedFuture(
                    new ListenException(ConfigKeys.METRICS_PORT, metrics.host(), metrics.port(), e)));
            })
            .map(port -> {
                app.adminPort = port;
                app.probe = new BackendProbe(app.listener.connector(), app.config::get, app.services.readiness());
                app.probe.start();
                app.idleHeap = new IdleHeap(vertx, app.services.metrics());
                app.idleHeap.start(IDLE_CHECK_MS);
                app.sweeper = vertx.setPeriodic(30_000, id -> app.services.limits().sweep(app.config.get().limits(),
                    System.nanoTime()));
                return app;
            });
    }

    public SidecarConfig config() {
        return config.get();
    }

    public SidecarServices services() {
        return services;
    }

    public int smtpPort() {
        return listener.port();
    }

    /** The contexts of the SMTP event loops. */
    public Set<Context> eventLoops() {
        return java.util.Collections.unmodifiableSet(eventLoops);
    }

    public int adminPort() {
        return adminPort;
    }

    /**
     * Applies a reloaded configuration to new connections. Listener, metrics, scan period and log format only take
     * effect at start: a change there is logged and the running value kept.
     */
    public void reload(SidecarConfig next) {
        SidecarConfig running = config.get();
        List<String> restart = new ArrayList<>();
        if (!next.listen().equals(running.listen())) {
            restart.add("listen.*");
        }
        if (!next.metrics().equals(running.metrics())) {
            restart.add("metrics.*");
        }
        if (!next.watch().equals(running.watch())) {
            restart.add("config.scanPeriod");
        }
        if (next.log() != running.log()) {
            restart.add("log.format");
        }
        SidecarConfig applied = next.withStartupKeysOf(running);
        config.set(applied);
        listener.configChanged();
        services.metrics().configReload("ok");
        if (!restart.isEmpty()) {
            LOG.warn("configuration reloaded; changes to {} need a restart and are not applied", restart);
        } else {
            LOG.info("configuration reloaded");
        }
        if (!Objects.equals(applied, next)) {
            LOG.debug("running configuration: {}", applied);
        }
    }

    /** A reload that failed validation or parsing: the running configuration stays. */
    public void reloadRejected(String problem) {
        services.metrics().configReload("invalid");
        LOG.error("configuration reload rejected, keeping the running configuration: {}", problem);
    }

    /**
     * SIGTERM: readiness turns 503 at once, the listeners stop accepting, sessions run on for
     * {@code shutdown.drainTimeout}, then whatever is left is closed.
     */
    public Future<Void> drain() {
        services.readiness().draining();
        vertx.cancelTimer(sweeper);
        idleHeap.stop();
        probe.stop();
        LOG.info("draining: no new connections; {} open, waiting up to {}", services.metrics().activeSessions(),
            io.smtpsidecar.config.Durations.format(config.get().shutdown().drainTimeout()));
        return listener.drain(config.get().shutdown().drainTimeout(), services.metrics()::activeSessions)
            .eventually(admin::close);
    }
}
