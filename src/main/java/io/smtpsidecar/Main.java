package io.smtpsidecar;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.config.ConfigException;
import io.smtpsidecar.config.ConfigKeys;
import io.smtpsidecar.config.ConfigLoader;
import io.smtpsidecar.config.ConfigPrinter;
import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.Durations;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.demo.DemoBackend;
import io.smtpsidecar.demo.DemoClient;
import io.smtpsidecar.hosts.HostList;
import io.smtpsidecar.logging.LogFormat;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.transport.TransportChoice;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Command line: {@code java -jar smtp-sidecar.jar [--config FILE] [--check-config] [--demo]}. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger("smtp-sidecar");
    private static final Logger SESSIONS = LoggerFactory.getLogger("smtp-sidecar.session");
    static final int EXIT_START = 1;
    static final int EXIT_USAGE = 2;
    private static final Duration DEMO_TIMEOUT = Duration.ofSeconds(30);

    private Main() {
    }

    public static void main(String[] args) {
        Path configFile = null;
        boolean check = false;
        boolean demo = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        usage("--config needs a file");
                    }
                    configFile = Path.of(args[++i]).toAbsolutePath();
                }
                case "--check-config" -> check = true;
                case "--demo" -> demo = true;
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> usage("unknown argument '" + args[i] + "'");
            }
        }
        if (configFile != null && !Files.isReadable(configFile)) {
            fail("cannot read configuration file " + configFile);
        }
        String hostname = machineHostname();
        // the number of event loops is configured, so the configuration is read before the Vert.x that serves
        Vertx reader = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1)).build();
        SidecarConfig config = load(reader, configFile, hostname);
        reader.close().await();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TransportChoice transport = transport(config);
        Vertx vertx = SidecarApp.newVertx(registry, config.listen().eventLoops(), transport);
        if (config.log() == SidecarConfig.Log.JSON) {
            LogFormat.useJson();
        }
        Set<String> unknown = ConfigReader.unknownEnvNames(System.getenv());
        if (!unknown.isEmpty()) {
            LOG.warn("ignoring environment variables that name no configuration key: {}", unknown);
        }
        if (check) {
            System.out.print(ConfigPrinter.toYaml(config));
            vertx.close().await();
            return;
        }
        Promise<Void> demoIdentified = Promise.promise();
        if (demo) {
            Consumer<DemoBackend.Transcript> sawDemoClient = t -> {
                if (DemoClient.CLIENT_ADDRESS.equals(t.xclient().get("ADDR"))) {
                    demoIdentified.tryComplete();
                }
            };
            int port = new DemoBackend(vertx, sawDemoClient).start("127.0.0.1", 0)
                .await();
            config = withDemoBackend(config, port);
            LOG.info("demo backend listening on 127.0.0.1:{}", port);
        }
        Consumer<SessionRecord> log = Main::logSession;
        SidecarApp app;
        try {
            app = SidecarApp.start(vertx, registry, config, log).await();
        } catch (ListenException e) {
            System.err.println("smtp-sidecar: " + e.getMessage());
            System.exit(EXIT_START);
            return;
        } catch (ConfigException e) {
            // a TLS certificate that does not load: a configuration error like any other
            vertx.close();
            fail("configuration error: " + e.getMessage());
            return;
        } catch (Exception e) {
            // Exception, not RuntimeException: await() rethrows a checked cause as it is
            LOG.error("cannot start: {} (listeners {}, metrics {}:{})", e.getMessage(), describe(config),
                config.metrics().host(), config.metrics().port());
            System.exit(EXIT_START);
            return;
        }
        SidecarConfig running = app.config();
        StringBuilder ports = new StringBuilder();
        for (SidecarConfig.Listener l : running.listeners()) {
            ports.append(ports.length() == 0 ? "" : ", ").append(l.host()).append(':').append(app.smtpPort(l.name()));
            if (!running.singlePortForm()) {
                ports.append(" (").append(l.name()).append(l.tls().mode() == SidecarConfig.TlsMode.NONE ? ""
                    : ", tls " + l.tls().mode().label()).append(')');
            }
        }
        LOG.info("smtp-sidecar listening on {}; metrics and health on {}:{}; transport {}, {} event loops", ports,
            running.metrics().host(), app.adminPort(), transport.describe(), running.listen().eventLoops());
        for (SidecarConfig.Listener l : running.listeners()) {
            LOG.info("listener {}: backend {}:{} ({}); PROXY header required from: {}", l.name(), l.backend().host(),
                l.backend().port(), l.backend().handshake().label(),
                l.proxy().requiredHosts().isEmpty() ? "no host" : l.proxy().requiredHosts());
        }
        ConfigLoader watcher = null;
        if (configFile != null) {
            SidecarConfig.Backend demoBackend = demo ? running.backend() : null;
            watcher = new ConfigLoader(vertx, configFile, hostname, running.watch().scanPeriod());
            watcher.watch(next -> app.reload(demoBackend == null ? next
                    : next.withBackendAt(demoBackend.host(), demoBackend.port())),
                app::reloadRejected);
        }
        installDrain(vertx, app, watcher);
        if (demo) {
            runDemo(vertx, app.smtpPort(), demoIdentified);
            LOG.info("demo: the sidecar keeps running (Ctrl-C to stop). Try: swaks --server 127.0.0.1:{} "
                + "--local-interface 127.0.0.2 --to bob@example.test (an unlisted peer, forwarded as itself); "
                + "without --local-interface the peer is 127.0.0.1, which must send a PROXY header: "
                + "refusal mode after {}", app.smtpPort(), Durations.format(running.proxy().headerTimeout()));
        }
    }

    /**
     * The demo's scripted session, then the backend's record of it: exits 1 with one line when the session did not
     * complete or the backend never saw the client's identity.
     */
    private static void runDemo(Vertx vertx, int port, Promise<Void> identified) {
        try {
            DemoClient.run(vertx, port, DEMO_TIMEOUT).await();
            vertx.setTimer(DEMO_TIMEOUT.toMillis(), id -> identified.tryFail("the demo backend never received "
                + "XCLIENT ADDR=" + DemoClient.CLIENT_ADDRESS));
            identified.future().await();
        } catch (Exception e) {
            System.err.println("smtp-sidecar: demo failed: " + e.getMessage());
            System.exit(1);
        }
    }

    private static TransportChoice transport(SidecarConfig config) {
        try {
            return TransportChoice.of(config.listen().transport());
        } catch (ConfigException e) {
            fail("configuration error: " + e.getMessage());
            throw new IllegalStateException("unreachable");
        }
    }

    private static SidecarConfig load(Vertx vertx, Path configFile, String hostname) {
        try {
            return new ConfigLoader(vertx, configFile, hostname).load().await();
        } catch (ConfigException e) {
            vertx.close();
            fail("configuration error: " + e.getMessage());
        } catch (RuntimeException e) {
            vertx.close();
            fail("configuration error: " + (configFile == null ? "" : configFile + ": ") + e.getMessage());
        }
        throw new IllegalStateException("unreachable");
    }

    /** SIGTERM or SIGINT: drain, then exit 0 (the JVM's own handling would exit 143 without draining). */
    private static void installDrain(Vertx vertx, SidecarApp app, ConfigLoader watcher) {
        Runnable drain = () -> {
            try {
                if (watcher != null) {
                    // no scan may run on Vert.x's blocking pool once Vert.x closes it
                    watcher.close();
                }
                app.drain().toCompletionStage().toCompletableFuture().join();
                vertx.close().toCompletionStage().toCompletableFuture().join();
                LOG.info("drained; exiting");
            } finally {
                System.exit(0);
            }
        };
        boolean[] started = {false};
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                synchronized (started) {
                    if (started[0]) {
                        return;
                    }
                    started[0] = true;
                }
                LOG.info("SIG{} received", name);
                new Thread(drain, "drain").start();
            });
        }
    }

    private static void logSession(SessionRecord r) {
        var event = SESSIONS.atInfo().setMessage(r.format());
        for (Map.Entry<String, Object> field : r.fields().entrySet()) {
            event = event.addKeyValue(field.getKey(), field.getValue());
        }
        event.log();
    }

    /**
     * Points the sidecar at the demo backend; unless the configuration names required hosts, loopback must send a
     * PROXY header, so the demo shows both a proxied session and (for a plain local client) the refusal mode.
     */
    private static SidecarConfig withDemoBackend(SidecarConfig c, int port) {
        SidecarConfig demo = c.withBackendAt("127.0.0.1", port);
        return c.proxy().requiredHosts().isEmpty()
            ? demo.with(ConfigKeys.REQUIRED_HOSTS, HostList.parse("127.0.0.1")) : demo;
    }

    private static String describe(SidecarConfig c) {
        return c.listeners().stream().map(l -> l.name() + "=" + l.host() + ":" + l.port()).toList().toString();
    }

    /** The pod or machine name; read from the kernel rather than DNS, which may be slow or absent at start. */
    static String machineHostname() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    private static void usage(String problem) {
        System.err.println("smtp-sidecar: " + problem);
        System.err.println(USAGE);
        System.exit(EXIT_USAGE);
    }

    private static void fail(String message) {
        System.err.println("smtp-sidecar: " + message);
        System.exit(EXIT_USAGE);
    }

    private static final String USAGE = """
        usage: java -jar smtp-sidecar.jar [--config FILE] [--check-config] [--demo]
          --config FILE    YAML configuration; SIDECAR_* environment variables override its keys
          --check-config   validate the configuration, print the effective values and exit
          --demo           also start a built-in demo backend on loopback and forward to it""";
}
