package io.smtpsidecar.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A UDP DNS responder for unit tests of the reverse lookup: answers PTR, A and AAAA questions from maps, NXDOMAIN
 * for names it does not know, and can be told to answer SERVFAIL, a truncated answer (TC bit, no records) or nothing
 * for a name. A PTR target may be longer than DNS allows (labels up to 63 bytes, any number of them), as a hostile
 * zone's server can send it. It has no TCP listener. The end-to-end suite uses dnsmasq instead.
 */
public final class FakeDnsServer implements AutoCloseable {
    private static final int PTR = 12;
    private static final int A = 1;
    private static final int AAAA = 28;

    private final DatagramSocket socket;
    private final Map<String, String> ptr = new ConcurrentHashMap<>();
    private final Map<String, List<InetAddress>> addresses = new ConcurrentHashMap<>();
    private final Map<String, Integer> rcodes = new ConcurrentHashMap<>();
    private final Map<String, Boolean> silent = new ConcurrentHashMap<>();
    private final Map<String, Boolean> truncated = new ConcurrentHashMap<>();
    private final AtomicInteger queries = new AtomicInteger();
    private final int port;

    public FakeDnsServer(Vertx vertx) {
        socket = vertx.createDatagramSocket();
        socket.handler(this::answer);
        port = socket.listen(0, "127.0.0.1").await().localAddress().port();
    }

    public int port() {
        return port;
    }

    public int queries() {
        return queries.get();
    }

    public FakeDnsServer ptr(String reverseName, String target) {
        ptr.put(reverseName.toLowerCase(Locale.ROOT), target);
        return this;
    }

    public FakeDnsServer address(String name, InetAddress address) {
        addresses.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(address);
        return this;
    }

    public FakeDnsServer servfail(String name) {
        rcodes.put(name.toLowerCase(Locale.ROOT), 2);
        return this;
    }

    public FakeDnsServer drop(String name) {
        silent.put(name.toLowerCase(Locale.ROOT), true);
        return this;
    }

    public FakeDnsServer truncate(String name) {
        truncated.put(name.toLowerCase(Locale.ROOT), true);
        return this;
    }

    private void answer(DatagramPacket packet) {
        queries.incrementAndGet();
        Buffer q = packet.data();
        int pos = 12;
        StringBuilder name = new StringBuilder();
        while (q.getUnsignedByte(pos) != 0) {
            int len = q.getUnsignedByte(pos);
            if (name.length() > 0) {
                name.append('.');
            }
            name.append(q.getString(pos + 1, pos + 1 + len));
            pos += len + 1;
        }
        pos++;
        int qtype = q.getUnsignedShort(pos);
        int questionEnd = pos + 4;
        String key = name.toString().toLowerCase(Locale.ROOT);
        if (silent.containsKey(key)) {
            return;
        }
        // a truncated answer is what a server sends when the records do not fit: the TC bit, header and question
        boolean tc = truncated.containsKey(key);
        List<byte[]> rdata = new ArrayList<>();
        if (qtype == PTR && ptr.containsKey(key) && !tc) {
            rdata.add(encodeName(ptr.get(key)));
        }
        for (InetAddress a : tc ? List.<InetAddress>of() : addresses.getOrDefault(key, List.of())) {
            if ((qtype == A && a.getAddress().length == 4) || (qtype == AAAA && a.getAddress().length == 16)) {
                rdata.add(a.getAddress());
            }
        }
        boolean known = ptr.containsKey(key) || addresses.containsKey(key) || tc;
        int rcode = rcodes.getOrDefault(key, known ? 0 : 3);
        Buffer r = Buffer.buffer();
        r.appendUnsignedShort(q.getUnsignedShort(0));
        r.appendUnsignedShort(0x8180 | (tc ? 0x0200 : 0) | rcode);
        r.appendUnsignedShort(1).appendUnsignedShort(rcode == 0 ? rdata.size() : 0);
        r.appendUnsignedShort(0).appendUnsignedShort(0);
        r.appendBuffer(q.slice(12, questionEnd));
        if (rcode == 0) {
            for (byte[] d : rdata) {
                r.appendUnsignedShort(0xC00C).appendUnsignedShort(qtype).appendUnsignedShort(1);
                r.appendInt(60).appendUnsignedShort(d.length).appendBytes(d);
            }
        }
        socket.send(r, packet.sender().port(), packet.sender().host());
    }

    private static byte[] encodeName(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String label : name.split("\\.")) {
            byte[] b = label.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.write(0);
        return out.toByteArray();
    }

    @Override
    public void close() {
        socket.close();
    }
}
