package io.smtpsidecar;

import io.smtpsidecar.config.ConfigException;
import io.smtpsidecar.config.ConfigLoader;
import io.smtpsidecar.config.ConfigPrinter;
import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.Durations;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.demo.DemoBackend;
import io.smtpsidecar.demo.DemoClient;
import io.smtpsidecar.hosts.HostList;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.session.SidecarVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Command line: {@code java -jar smtp-sidecar.jar [--config FILE] [--check-config] [--demo]}. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger("smtp-sidecar");
    private static final Logger SESSIONS = LoggerFactory.getLogger("smtp-sidecar.session");
    static final int EXIT_USAGE = 2;

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
                    configFile = Path.of(args[++i]);
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
        Vertx vertx = Vertx.vertx();
        SidecarConfig config;
        try {
            config = new ConfigLoader(vertx, configFile, machineHostname()).load().await();
        } catch (ConfigException e) {
            vertx.close();
            fail("configuration error: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            vertx.close();
            fail("configuration error: " + (configFile == null ? "" : configFile + ": ") + e.getMessage());
            return;
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
        if (demo) {
            int port = new DemoBackend(vertx, DemoBackend.Options.defaults(), t -> { }).start("127.0.0.1", 0).await();
            config = withDemoBackend(config, port);
            LOG.info("demo backend listening on 127.0.0.1:{}", port);
        }
        SidecarConfig running = config;
        Consumer<SessionRecord> log = r -> SESSIONS.info(r.format());
        vertx.deployVerticle(() -> new SidecarVerticle(() -> running, log),
                new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE))
            .await();
        LOG.info("smtp-sidecar listening on {}:{}; backend {}:{} ({}); PROXY header required from: {}",
            running.listen().host(), running.listen().port(), running.backend().host(), running.backend().port(),
            running.backend().handshake().label(), running.proxy().requiredHosts().isEmpty()
                ? "no host" : running.proxy().requiredHosts());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().await(), "shutdown"));
        if (demo) {
            DemoClient.run(vertx, running.listen().port()).await();
            int port = running.listen().port();
            LOG.info("demo: the sidecar keeps running (Ctrl-C to stop). Try: swaks --server 127.0.0.1:{} "
                + "--local-interface 127.0.0.2 --to bob@example.test (an unlisted peer, forwarded as itself); "
                + "without --local-interface the peer is 127.0.0.1, which must send a PROXY header: "
                + "refusal mode after {}", port, Durations.format(running.proxy().headerTimeout()));
        }
    }

    /**
     * Points the sidecar at the demo backend; unless the configuration names required hosts, loopback must send a
     * PROXY header, so the demo shows both a proxied session and (for a plain local client) the refusal mode.
     */
    private static SidecarConfig withDemoBackend(SidecarConfig c, int port) {
        SidecarConfig.Backend b = c.backend();
        SidecarConfig.Proxy p = c.proxy();
        SidecarConfig.Proxy proxy = p.requiredHosts().isEmpty()
            ? new SidecarConfig.Proxy(HostList.parse("127.0.0.1"), p.headerTimeout(), p.maxHeaderBytes()) : p;
        return new SidecarConfig(c.listen(), proxy,
            new SidecarConfig.Backend("127.0.0.1", port, b.connectTimeout(), b.greetingTimeout(), b.handshake()),
            c.smtp(), c.dns());
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
