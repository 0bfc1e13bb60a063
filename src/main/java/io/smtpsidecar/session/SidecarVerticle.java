package io.smtpsidecar.session;

import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.dns.ReverseDns;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Owns the SMTP listener of one event loop (deploy one instance per event loop; Vert.x spreads accepted connections
 * over the instances listening on the same port) and hands every connection to a {@link Session}.
 */
public final class SidecarVerticle extends VerticleBase {
    private final Supplier<SidecarConfig> config;
    private final SidecarServices services;
    private final Consumer<SessionRecord> sessionLog;
    private final Set<Context> eventLoops;
    private NetServer server;
    private NetClient backendClient;
    private ReverseDns dns;

    /**
     * @param config the current configuration snapshot, read once per accepted connection
     * @param sessionLog receives one record per connection when it ends
     * @param eventLoops where each instance registers its context while it runs, for the liveness check
     */
    public SidecarVerticle(Supplier<SidecarConfig> config, SidecarServices services,
                           Consumer<SessionRecord> sessionLog, Set<Context> eventLoops) {
        this.config = config;
        this.services = services;
        this.sessionLog = sessionLog;
        this.eventLoops = eventLoops;
    }

    @Override
    public Future<?> start() {
        SidecarConfig startup = config.get();
        backendClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
        dns = new ReverseDns(vertx, startup.dns(), services.metrics());
        server = vertx.createNetServer(new NetServerOptions()
            .setHost(startup.listen().host())
            .setPort(startup.listen().port())
            .setTcpNoDelay(true));
        server.connectHandler(socket -> {
            SidecarConfig current = config.get();
            new Session(vertx, socket, current, backendClient, dnsFor(current), services, sessionLog).start();
        });
        eventLoops.add(context);
        return server.listen();
    }

    /** A reload that changes dns.* gets fresh resolver clients; sessions already running keep the old ones. */
    private ReverseDns dnsFor(SidecarConfig current) {
        if (!dns.config().equals(current.dns())) {
            ReverseDns old = dns;
            dns = new ReverseDns(vertx, current.dns(), services.metrics());
            vertx.setTimer(current.dns().timeout().toMillis() * 2 + 1000, id -> old.close());
        }
        return dns;
    }

    /** The bound port (useful with {@code listen.port: 0}). */
    public int actualPort() {
        return server.actualPort();
    }

    /**
     * Stops accepting and lets the sessions drain for {@code shutdown.drainTimeout}; Vert.x then closes what is left.
     */
    @Override
    public Future<?> stop() {
        eventLoops.remove(context);
        return server.shutdown(config.get().shutdown().drainTimeout())
            .eventually(() -> Future.all(backendClient.close(), dns.close()));
    }
}
