package io.smtpsidecar.session;

import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.dns.ReverseDns;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Owns the SMTP listener of one event loop (deploy one instance per event loop; Vert.x spreads accepted connections
 * over the instances listening on the same port) and hands every connection to a {@link Session}.
 */
public final class SidecarVerticle extends VerticleBase {
    private final Supplier<SidecarConfig> config;
    private final Consumer<SessionRecord> sessionLog;
    private NetServer server;
    private NetClient backendClient;
    private ReverseDns dns;

    /**
     * @param config the current configuration snapshot, read once per accepted connection
     * @param sessionLog receives one record per connection when it ends
     */
    public SidecarVerticle(Supplier<SidecarConfig> config, Consumer<SessionRecord> sessionLog) {
        this.config = config;
        this.sessionLog = sessionLog;
    }

    @Override
    public Future<?> start() {
        SidecarConfig startup = config.get();
        backendClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
        dns = new ReverseDns(vertx, startup.dns());
        server = vertx.createNetServer(new NetServerOptions()
            .setHost(startup.listen().host())
            .setPort(startup.listen().port())
            .setTcpNoDelay(true));
        server.connectHandler(socket -> new Session(vertx, socket, config.get(), backendClient, dns, sessionLog).start());
        return server.listen();
    }

    /** The bound port (useful with {@code listen.port: 0}). */
    public int actualPort() {
        return server.actualPort();
    }

    @Override
    public Future<?> stop() {
        return Future.all(server.close(), backendClient.close(), dns.close());
    }
}
