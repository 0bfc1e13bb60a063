package io.smtpsidecar.dns;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.metrics.SidecarMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.netty.resolver.dns.DefaultDnsServerAddressStreamProvider;
import io.vertx.core.Vertx;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forward-confirmed reverse DNS for XCLIENT NAME, asynchronous and bounded in time.
 *
 * <p>The answer is the PTR name only when it is a clean host name that resolves back to the address; otherwise
 * {@value #UNAVAILABLE}, or {@value #TEMPUNAVAIL} when a server failed or did not answer within {@code dns.timeout}
 * (the two values Postfix's XCLIENT defines); a truncated answer is temporary too, since the sidecar does not retry
 * over TCP. Answers are cached per event loop (this object is owned by one verticle and used from its event loop only,
 * so the cache needs no locking); temporary failures are not cached.
 */
public final class ReverseDns {
    public static final String UNAVAILABLE = "[UNAVAILABLE]";
    public static final String TEMPUNAVAIL = "[TEMPUNAVAIL]";
    private static final Logger LOG = LoggerFactory.getLogger("smtp-sidecar.dns");

    private final Vertx vertx;
    private final SidecarConfig.Dns config;
    private final SidecarMetrics metrics;
    private final List<UdpDnsClient> clients = new ArrayList<>();
    private final Map<InetAddress, Cached> cache;

    private record Cached(String name, long expiresAtNanos) {
    }

    /** A lookup step failed for a reason that another server or a later try may not have. */
    private static final class Temporary extends RuntimeException {
        Temporary(String reason) {
            super(reason, null, false, false);
        }
    }

    public ReverseDns(Vertx vertx, SidecarConfig.Dns config, SidecarMetrics metrics) {
        this.vertx = vertx;
        this.config = config;
        this.metrics = metrics;
        int capacity = config.cacheSize();
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Cached> eldest) {
                return size() > capacity;
            }
        };
        if (config.reverseLookup()) {
            long timeoutMs = config.timeout().toMillis();
            if (config.servers().isEmpty()) {
                // the first resolver of /etc/resolv.conf, as Vert.x's DnsClient would use
                InetSocketAddress system = DefaultDnsServerAddressStreamProvider.defaultAddressList().get(0);
                clients.add(new UdpDnsClient(vertx, IpAddresses.canonical(system.getAddress()), system.getPort(),
                    timeoutMs));
            }
            for (SidecarConfig.DnsServer server : config.servers()) {
                clients.add(new UdpDnsClient(vertx, IpAddresses.parse(server.host()), server.port(), timeoutMs));
            }
        }
    }

    /** The NAME to send for {@code address}; the future never fails. */
    public Future<String> name(InetAddress address) {
        if (!config.reverseLookup()) {
            metrics.dnsLookup("disabled", null);
            return Future.succeededFuture(UNAVAILABLE);
        }
        long start = System.nanoTime();
        Cached hit = cache.get(address);
        if (hit != null && hit.expiresAtNanos - start > 0) {
            metrics.dnsLookup("cached", null);
            return Future.succeededFuture(hit.name);
        }
        Promise<String> promise = Promise.promise();
        long timer = vertx.setTimer(config.timeout().toMillis(), id -> promise.tryComplete(TEMPUNAVAIL));
        lookup(address, 0).onComplete(ar -> {
            vertx.cancelTimer(timer);
            String name = ar.succeeded() ? ar.result() : TEMPUNAVAIL;
            if (!TEMPUNAVAIL.equals(name) && config.cacheSize() > 0) {
                cache.put(address, new Cached(name, System.nanoTime() + config.cacheTtl().toNanos()));
            }
            promise.tryComplete(name);
        });
        return promise.future().onSuccess(name -> metrics.dnsLookup(
            TEMPUNAVAIL.equals(name) ? "tempunavail" : UNAVAILABLE.equals(name) ? "unavailable" : "confirmed",
            Duration.ofNanos(System.nanoTime() - start)));
    }

    /** Tries the servers in order; only a temporary failure moves on to the next one. */
    private Future<String> lookup(InetAddress address, int serverIndex) {
        UdpDnsClient client = clients.get(serverIndex);
        return confirmed(client, address).recover(err -> {
            if (err instanceof Temporary && serverIndex + 1 < clients.size()) {
                return lookup(address, serverIndex + 1);
            }
            LOG.debug("reverse DNS for {}: {}: {}", IpAddresses.format(address), TEMPUNAVAIL, err.getMessage());
            return Future.failedFuture(err);
        });
    }

    private static Future<String> confirmed(UdpDnsClient client, InetAddress address) {
        return client.query(ReverseNames.of(address), DnsWire.TYPE_PTR)
            .compose(answer -> values(answer, address))
            .compose(ptr -> {
                String name = ptr.isEmpty() ? null : ptr.get(0);
                if (!HostNames.isValid(name)) {
                    return Future.succeededFuture(UNAVAILABLE);
                }
                int type = address instanceof Inet4Address ? DnsWire.TYPE_A : DnsWire.TYPE_AAAA;
                return client.query(name, type)
                    .compose(answer -> values(answer, address))
                    .map(addresses -> contains(addresses, address) ? name : UNAVAILABLE);
            });
    }

    /** The records of an answer; an unusable one has none (one line at DEBUG says why), a temporary one fails. */
    private static Future<List<String>> values(DnsWire.Answer answer, InetAddress address) {
        if (answer instanceof DnsWire.Answer.Values found) {
            return Future.succeededFuture(found.values());
        }
        if (answer instanceof DnsWire.Answer.Unusable unusable) {
            LOG.debug("reverse DNS for {}: {}: {}", IpAddresses.format(address), UNAVAILABLE, unusable.reason());
            return Future.succeededFuture(List.of());
        }
        return Future.failedFuture(new Temporary(((DnsWire.Answer.Temporary) answer).reason()));
    }

    private static boolean contains(List<String> literals, InetAddress address) {
        for (String literal : literals) {
            InetAddress parsed = IpAddresses.parse(literal);
            if (parsed != null && IpAddresses.canonical(parsed).equals(address)) {
                return true;
            }
        }
        return false;
    }

    public SidecarConfig.Dns config() {
        return config;
    }

    public Future<Void> close() {
        List<Future<Void>> closing = new ArrayList<>();
        clients.forEach(c -> closing.add(c.close()));
        return Future.all(closing).mapEmpty();
    }
}
