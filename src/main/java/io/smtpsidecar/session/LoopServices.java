package io.smtpsidecar.session;

import io.netty.channel.EventLoop;
import io.smtpsidecar.backend.BackendConnector;
import io.smtpsidecar.backend.WarmBackends;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.dns.ReverseDns;
import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the sessions of one event loop share: the backend connector and warm pool, the reverse-DNS client, the open
 * sessions (for the drain), and a Vert.x context on the same loop for the parts written on Vert.x (DNS). Used on
 * that event loop only, like the sessions.
 */
final class LoopServices {
    private final ContextInternal context;
    private final SidecarServices services;
    private final BackendConnector connector;
    private final Map<String, WarmBackends> warm;
    private final Consumer<SessionRecord> log;
    private final Set<Session> open = new HashSet<>();
    private ReverseDns dns;

    /** @param warm the warm backend connections of each listener on this loop */
    LoopServices(ContextInternal context, SidecarServices services, BackendConnector connector,
                 Map<String, WarmBackends> warm, Consumer<SessionRecord> log, SidecarConfig.Dns dns) {
        this.context = context;
        this.services = services;
        this.connector = connector;
        this.warm = warm;
        this.log = log;
        context.dispatch(() -> this.dns = new ReverseDns(context.owner(), dns, services.metrics()));
    }

    EventLoop eventLoop() {
        return context.nettyEventLoop();
    }

    ContextInternal context() {
        return context;
    }

    SidecarServices services() {
        return services;
    }

    BackendConnector connector() {
        return connector;
    }

    WarmBackends warm(String listener) {
        return warm.get(listener);
    }

    /** Fills each listener's warm connections for the configuration now in force (start, reload). */
    void fillWarm(SidecarConfig config) {
        config.listeners().forEach(l -> warm.get(l.name()).fill(l));
    }

    void closeWarm() {
        warm.values().forEach(WarmBackends::close);
    }

    void log(SessionRecord record) {
        log.accept(record);
    }

    void opened(Session session) {
        open.add(session);
    }

    void closed(Session session) {
        open.remove(session);
    }

    List<Session> openSessions() {
        return new ArrayList<>(open);
    }

    /**
     * The NAME for XCLIENT, looked up on this loop's Vert.x context. A reload that changes {@code dns.*} gets a fresh
     * resolver client; lookups already running finish on the old one.
     */
    Future<String> reverseName(InetAddress address, SidecarConfig current) {
        // this loop's context as the current one while Vert.x code runs (no lambda or holder per session)
        ContextInternal previous = context.beginDispatch();
        try {
            if (!dns.config().equals(current.dns())) {
                ReverseDns old = dns;
                dns = new ReverseDns(context.owner(), current.dns(), services.metrics());
                eventLoop().schedule(() -> context.dispatch(old::close), current.dns().timeout().toMillis() * 2 + 1000,
                    TimeUnit.MILLISECONDS);
            }
            return dns.name(address);
        } finally {
            context.endDispatch(previous);
        }
    }

    Future<Void> closeDns() {
        ContextInternal previous = context.beginDispatch();
        try {
            return dns.close();
        } finally {
            context.endDispatch(previous);
        }
    }
}
