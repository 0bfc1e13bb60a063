package io.smtpsidecar;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.config.ConfigException;
import io.smtpsidecar.config.ConfigKeys;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.health.AdminServer;
import io.smtpsidecar.health.IdleHeap;
import io.smtpsidecar.backend.BackendProbe;
import io.smtpsidecar.health.Readiness;
import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.ListenerMetrics;
import io.smtpsidecar.metrics.SidecarMetrics;
import io.smtpsidecar.config.ConfigKey;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.session.SidecarServices;
import io.smtpsidecar.session.ListenerState;
import io.smtpsidecar.session.SmtpListeners;
import io.smtpsidecar.tls.ServerTls;
import io.smtpsidecar.transport.TransportChoice;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private final Map<String, ListenerState> listenerStates = new LinkedHashMap<>();
    private SmtpListeners listeners;
    private long certificateScan = -1;
    private BackendProbe probe;
    private int adminPort;
    private long sweeper = -1;
    private IdleHeap idleHeap;

    private SidecarApp(Vertx vertx, PrometheusMeterRegistry registry, SidecarConfig initial) {
        this.vertx = vertx;
        this.config = new AtomicReference<>(initial);
        this.services = new SidecarServices(new SidecarMetrics(registry), new Readiness());
        services.metrics().transport(TransportChoice.nameOf(vertx));
        for (int i = 0; i < initial.listeners().size(); i++) {
            SidecarConfig.Listener l = initial.listeners().get(i);
            ListenerMetrics metrics = services.metrics().listener(l.name());
            ServerTls tls = null;
            if (l.tls().mode() == SidecarConfig.TlsMode.TERMINATE) {
                tls = loadTls(l, initial.singlePortForm() || !l.spec().settings().has(ConfigKeys.TLS_CERTIFICATE)
                    ? "" : ConfigKeys.LISTENERS + "[" + i + "].");
                metrics.tlsEnabled();
                LOG.info("listener {}: TLS on {}, certificate {}", l.name(), tls.providerName(), tls.subject());
            }
            listenerStates.put(l.name(), new ListenerState(l.name(), metrics, new ClientLimits(), tls));
        }
        this.admin = new AdminServer(vertx, registry, services.readiness(), config::get, eventLoops);
    }

    /** The PEM pair of a terminating listener; a pair that does not load is a configuration error naming the key. */
    private static ServerTls loadTls(SidecarConfig.Listener l, String prefix) {
        try {
            return ServerTls.load(l.tls().certificate(), l.tls().key(), l.tls().provider());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(prefix + ConfigKeys.TLS_CERTIFICATE.path(), e.getMessage());
        } catch (UnsupportedOperationException e) {
            throw new ConfigException(prefix + ConfigKeys.TLS_PROVIDER.path(), e.getMessage());
        }
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
     * {@link ListenException} naming the port that could not be opened, or a {@link ConfigException} for a TLS
     * certificate that does not load.
     */
    public static Future<SidecarApp> start(Vertx vertx, PrometheusMeterRegistry registry, SidecarConfig initial,
                                           Consumer<SessionRecord> sessionLog) {
        SidecarApp app;
        try {
            app = new SidecarApp(vertx, registry, initial);
        } catch (ConfigException e) {
            return Future.failedFuture(e);
        }
        SidecarConfig.Metrics metrics = initial.metrics();
        return SmtpListeners.start(vertx, app.config::get, app.services, app.listenerStates, sessionLog)
            .compose(listeners -> {
                app.listeners = listeners;
                app.eventLoops.addAll(listeners.contexts());
                app.services.readiness().listening();
                return app.admin.start(metrics.host(), metrics.port()).recover(e -> Future.failedFuture(
                    new ListenException(ConfigKeys.METRICS_PORT.path(), metrics.host(), metrics.port(), e)));
            })
            .map(port -> {
                app.adminPort = port;
                app.probe = new BackendProbe(app.listeners.connector(), app.config::get, app.services.readiness());
                app.probe.start();
                app.idleHeap = new IdleHeap(vertx, app.services.metrics());
                app.idleHeap.start(IDLE_CHECK_MS);
                app.sweeper = vertx.setPeriodic(30_000, id -> app.config.get().listeners().forEach(l ->
                    app.listenerStates.get(l.name()).limits().sweep(l.limits(), System.nanoTime())));
                if (app.listenerStates.values().stream().anyMatch(s -> s.tls() != null)) {
                    app.certificateScan = vertx.setPeriodic(initial.watch().scanPeriod().toMillis(),
                        id -> app.rereadCertificates());
                }
                return app;
            });
    }

    public SidecarConfig config() {
        return config.get();
    }

    public SidecarServices services() {
        return services;
    }

    /** The bound port of the first listener. */
    public int smtpPort() {
        return listeners.port();
    }

    /** The bound port of the listener {@code name}. */
    public int smtpPort(String name) {
        return listeners.port(name);
    }

    /**
     * Re-reads the PEM files of every terminating listener (on a worker: file reads), every config.scanPeriod. A
     * changed pair that loads is used by the next handshake; one that does not keeps the old pair, logged once and
     * counted.
     */
    private void rereadCertificates() {
        for (ListenerState state : listenerStates.values()) {
            if (state.tls() == null) {
                continue;
            }
            vertx.executeBlocking(() -> state.tls().reloadIfChanged(), false).onSuccess(result -> {
                if (result == ServerTls.Reload.RELOADED) {
                    state.metrics().certificateReload("ok");
                    LOG.info("listener {}: TLS certificate reloaded: {}", state.name(), state.tls().subject());
                } else if (result == ServerTls.Reload.INVALID) {
                    state.metrics().certificateReload("invalid");
                    LOG.error("listener {}: TLS certificate not reloaded, keeping the running one: {}", state.name(),
                        state.tls().problem());
                }
            });
        }
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
        List<String> restart = restartChanges(running, next);
        SidecarConfig applied = next.withStartupKeysOf(running);
        config.set(applied);
        listeners.configChanged();
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

    /** The keys (and listeners) whose change needs a restart, from the key table. */
    static List<String> restartChanges(SidecarConfig running, SidecarConfig next) {
        List<String> changed = new ArrayList<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            if (key.restart() && !(key == ConfigKeys.LISTEN_PORT && !running.singlePortForm())
                && !Objects.equals(running.values().get(key), next.values().get(key))) {
                changed.add(key.path());
            }
        }
        List<String> names = running.listeners().stream().map(SidecarConfig.Listener::name).toList();
        if (!names.equals(next.listeners().stream().map(SidecarConfig.Listener::name).toList())) {
            changed.add(ConfigKeys.LISTENERS + " " + names + " -> "
                + next.listeners().stream().map(SidecarConfig.Listener::name).toList());
        }
        for (SidecarConfig.Listener old : running.listeners()) {
            SidecarConfig.Listener now = next.listener(old.name());
            if (now == null) {
                continue;
            }
            if (!old.host().equals(now.host()) || old.port() != now.port()) {
                changed.add(ConfigKeys.LISTENERS + "." + old.name() + " address");
            }
            // per-listener keys that need a restart, by section (tls: the mode, the files, the provider)
            ConfigKeys.ALL.stream().filter(k -> k.restart() && k.perListener())
                .filter(k -> !Objects.equals(old.values().get(k), now.values().get(k)))
                .map(ConfigKey::section).distinct()
                .forEach(section -> changed.add(ConfigKeys.LISTENERS + "." + old.name() + " " + section));
        }
        return changed;
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
        vertx.cancelTimer(certificateScan);
        idleHeap.stop();
        probe.stop();
        LOG.info("draining: no new connections; {} open, waiting up to {}", services.metrics().activeSessions(),
            io.smtpsidecar.config.Durations.format(config.get().shutdown().drainTimeout()));
        return listeners.drain(config.get().shutdown().drainTimeout(), services.metrics()::activeSessions)
            .eventually(admin::close);
    }
}
