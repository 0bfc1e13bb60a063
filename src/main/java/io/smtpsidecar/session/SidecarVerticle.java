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
    private final int index;
    private final int instances;
    private NetServer server;
    private NetClient backendClient;
    private ReverseDns dns;
    private WarmBackends warm;

    /**
     * @param config the current configuration snapshot, read once per accepted connection
     * @param sessionLog receives one record per connection when it ends
     * @param eventLoops where each instance registers its context while it runs, for the liveness check
     * @param index which instance this is (0-based), of {@code instances} deployed (they split
     *              {@code backend.warmConnections})
     */
    public SidecarVerticle(Supplier<SidecarConfig> config, SidecarServices services,
                           Consumer<SessionRecord> sessionLog, Set<Context> eventLoops, int index, int instances) {
        this.config = config;
        this.services = services;
        this.sessionLog = sessionLog;
        this.eventLoops = eventLoops;
        this.index = index;
        this.instances = instances;
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
        warm = new WarmBackends(vertx, backendClient, services, index, instances);
        server.connectHandler(socket -> {
            SidecarConfig current = config.get();
            new Session(vertx, socket, current, backendClient, warm, dnsFor(current), services, sessionLog).start();
        });
        eventLoops.add(context);
        return server.listen().onSuccess(s -> warm.fill(startup));
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

    /** After a reload: the warm backend connections follow the new backend settings now, not at the next session. */
    public void configChanged() {
        context.runOnContext(v -> {
            if (warm != null) {
                warm.fill(config.get());
            }
        });
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
        warm.close();
        return server.shutdown(config.get().shutdown().drainTimeout())
            .eventually(() -> Future.all(backendClient.close(), dns.close()));
    }
}
