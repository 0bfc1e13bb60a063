package io.smtpsidecar.session;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.smtpsidecar.backend.BackendConnector;
import io.smtpsidecar.backend.WarmBackends;
import io.smtpsidecar.ListenException;
import io.smtpsidecar.config.SidecarConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The SMTP ports: one Netty server channel per configured listener on Vert.x's acceptor, each accepted connection on
 * one of Vert.x's event loops with a {@link Session} as its handler. Vert.x's own {@code NetServer} is not used: its
 * socket wrapper, queues and per-socket metrics cost about 2 KB and a dozen system calls per connection that the
 * relay never needs.
 */
public final class SmtpListeners {
    private final Supplier<SidecarConfig> config;
    private final List<LoopServices> loops;
    private final Map<EventLoop, LoopServices> byLoop = new HashMap<>();
    private final Map<String, ListenerState> states;
    private final Map<String, Channel> servers = new LinkedHashMap<>();

    private SmtpListeners(Supplier<SidecarConfig> config, List<LoopServices> loops, Map<String, ListenerState> states) {
        this.config = config;
        this.loops = loops;
        this.states = states;
        loops.forEach(l -> byLoop.put(l.eventLoop(), l));
    }

    /**
     * Sets up every event loop's services and binds every listener of the configuration, in order.
     *
     * @param states each listener's shared state, by name
     * @param sessionLog receives one record per connection when it ends
     * @return fails with a {@link ListenException} naming the listener's key when a port cannot be bound
     */
    public static Future<SmtpListeners> start(Vertx vertx, Supplier<SidecarConfig> config, SidecarServices services,
                                              Map<String, ListenerState> states, Consumer<SessionRecord> sessionLog) {
        VertxInternal vx = (VertxInternal) vertx;
        SidecarConfig startup = config.get();
        List<EventLoop> eventLoops = new ArrayList<>();
        for (EventExecutor e : vx.nettyEventLoopGroup()) {
            eventLoops.add((EventLoop) e);
        }
        List<Future<LoopServices>> setUp = new ArrayList<>();
        for (int i = 0; i < eventLoops.size(); i++) {
            EventLoop loop = eventLoops.get(i);
            int index = i;
            Promise<LoopServices> made = Promise.promise();
            loop.execute(() -> {
                ContextInternal context = vx.contextBuilder().withEventLoop(loop).build();
                BackendConnector connector = new BackendConnector(loop, vx.transport().channelFactory(false),
                    vx.nameResolver().nettyAddressResolverGroup(), services.readiness());
                Map<String, WarmBackends> warm = new HashMap<>();
                startup.listeners().forEach(l -> warm.put(l.name(),
                    new WarmBackends(connector, services.metrics(), index, eventLoops.size())));
                made.complete(new LoopServices(context, services, connector, warm, sessionLog, startup.dns()));
            });
            setUp.add(made.future());
        }
        return Future.all(setUp).compose(all -> {
            SmtpListeners listeners = new SmtpListeners(config, all.list(), states);
            Future<Void> bound = Future.succeededFuture();
            for (int i = 0; i < startup.listeners().size(); i++) {
                SidecarConfig.Listener l = startup.listeners().get(i);
                String key = startup.portKey(i);
                bound = bound.compose(v -> listeners.bind(vx, l).recover(e -> Future.failedFuture(
                    new ListenException(key, l.host(), l.port(), e))));
            }
            return bound.map(v -> {
                listeners.loops.forEach(loop -> loop.eventLoop().execute(() -> loop.fillWarm(config.get())));
                return listeners;
            });
        });
    }

    private Future<Void> bind(VertxInternal vx, SidecarConfig.Listener listener) {
        String name = listener.name();
        ListenerState state = states.get(name);
        ServerBootstrap bootstrap = new ServerBootstrap()
            .group(vx.acceptorEventLoopGroup(), vx.nettyEventLoopGroup())
            .channelFactory(vx.transport().serverChannelFactory(false))
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    SidecarConfig now = config.get();
                    ch.pipeline().addLast(new Session(ch, byLoop.get(ch.eventLoop()), now, now.listener(name), state));
                }
            });
        Promise<Void> bound = Promise.promise();
        bootstrap.bind(listener.host(), listener.port()).addListener(f -> {
            if (f.isSuccess()) {
                servers.put(name, ((io.netty.channel.ChannelFuture) f).channel());
                bound.complete();
            } else {
                bound.fail(f.cause());
            }
        });
        return bound.future();
    }

    /** The bound port of the first listener (useful with port 0). */
    public int port() {
        return port(servers.keySet().iterator().next());
    }

    /** The bound port of the listener {@code name}. */
    public int port(String name) {
        return ((InetSocketAddress) servers.get(name).localAddress()).getPort();
    }

    /** The first event loop's backend connector (for the readiness probe). */
    public BackendConnector connector() {
        return loops.get(0).connector();
    }

    /** A Vert.x context on each SMTP event loop (the liveness check runs a task on each). */
    public Set<Context> contexts() {
        return loops.stream().map(l -> (Context) l.context()).collect(Collectors.toUnmodifiableSet());
    }

    /** After a reload: the warm backend connections follow the new backend settings now, not at the next session. */
    public void configChanged() {
        loops.forEach(l -> l.eventLoop().execute(() -> l.fillWarm(config.get())));
    }

    /**
     * Stops accepting; refusal sessions end at once, relayed sessions run on for {@code timeout}, sessions still in
     * their header or handshake get 421 shortly before it; then whatever is open is closed.
     *
     * @param open how many sessions are still open (checked until it is 0)
     * @return completes once every session has ended and been logged, or shortly after the timeout
     */
    public Future<Void> drain(Duration timeout, Supplier<Integer> open) {
        Promise<Void> drained = Promise.promise();
        servers.values().forEach(Channel::close);
        for (LoopServices l : loops) {
            l.eventLoop().execute(() -> {
                l.closeWarm();
                l.openSessions().forEach(s -> s.shutdown(timeout));
            });
            l.eventLoop().schedule(() -> l.openSessions().forEach(Session::forceClose), timeout.toMillis(),
                TimeUnit.MILLISECONDS);
        }
        // the last lines come once a force-closed relay has flushed and both its sockets closed
        long giveUpAt = System.nanoTime() + timeout.toNanos() + TimeUnit.SECONDS.toNanos(2);
        loops.get(0).eventLoop().execute(() -> awaitEnd(drained, open, giveUpAt));
        return drained.future().eventually(() -> Future.all(loops.stream().map(LoopServices::closeDns).toList()));
    }

    /** Checks every 50 ms, on the first event loop, until no session is open or the drain gives up. */
    private void awaitEnd(Promise<Void> drained, Supplier<Integer> open, long giveUpAt) {
        if (open.get() == 0 || System.nanoTime() > giveUpAt) {
            drained.tryComplete();
        } else {
            loops.get(0).eventLoop().schedule(() -> awaitEnd(drained, open, giveUpAt), 50, TimeUnit.MILLISECONDS);
        }
    }
}
