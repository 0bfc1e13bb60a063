package io.smtpsidecar.dns;

import io.smtpsidecar.addr.IpAddresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.SocketAddress;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;

/**
 * Queries one DNS server over UDP. Vert.x's {@code DnsClient} (Netty's resolver) cannot be used for answers the
 * client controls: Netty's decoder rejects a PTR name over 255 bytes with a logged stack trace and never completes
 * the query, and a truncated answer comes back as an empty one.
 *
 * <p>Each query has its own socket (a fresh source port) and a random ID, and only a datagram from the server that
 * answers the same question counts, as a stub resolver should against forged answers. Used from one event loop.
 */
final class UdpDnsClient {
    private static final SecureRandom IDS = new SecureRandom();

    private final Vertx vertx;
    private final InetAddress server;
    private final int port;
    private final long timeoutMs;
    private final Set<DatagramSocket> open = new HashSet<>();

    UdpDnsClient(Vertx vertx, InetAddress server, int port, long timeoutMs) {
        this.vertx = vertx;
        this.server = server;
        this.port = port;
        this.timeoutMs = timeoutMs;
    }

    /** The answer to one question; the future never fails (no answer in time is {@link DnsWire.Answer.Temporary}). */
    Future<DnsWire.Answer> query(String name, int type) {
        int id = IDS.nextInt(0x10000);
        boolean v6 = server instanceof Inet6Address;
        Promise<DnsWire.Answer> answer = Promise.promise();
        DatagramSocket socket = vertx.createDatagramSocket(new DatagramSocketOptions().setIpV6(v6));
        open.add(socket);
        long timer = vertx.setTimer(timeoutMs,
            t -> answer.tryComplete(new DnsWire.Answer.Temporary("no answer within " + timeoutMs + "ms")));
        socket.handler(packet -> {
            DnsWire.Answer read = DnsWire.read(packet.data().getBytes(), id, name, type);
            if (fromServer(packet.sender()) && !(read instanceof DnsWire.Answer.Foreign)) {
                answer.tryComplete(read);
            }
        });
        socket.listen(0, v6 ? "::" : "0.0.0.0")
            .compose(s -> s.send(Buffer.buffer(DnsWire.query(id, name, type)), port, IpAddresses.format(server)))
            .onFailure(err -> answer.tryComplete(new DnsWire.Answer.Temporary("send: " + err.getMessage())));
        return answer.future().onComplete(ar -> {
            vertx.cancelTimer(timer);
            open.remove(socket);
            socket.close();
        });
    }

    /** Ends the queries in flight (they answer {@link DnsWire.Answer.Temporary} at their timeout). */
    Future<Void> close() {
        Set<DatagramSocket> closing = new HashSet<>(open);
        open.clear();
        return Future.all(closing.stream().map(DatagramSocket::close).toList()).mapEmpty();
    }

    private boolean fromServer(SocketAddress sender) {
        String host = sender.hostAddress();
        int zone = host.indexOf('%');
        InetAddress address = IpAddresses.parse(zone < 0 ? host : host.substring(0, zone));
        return sender.port() == port && address != null && IpAddresses.canonical(address).equals(server);
    }
}
