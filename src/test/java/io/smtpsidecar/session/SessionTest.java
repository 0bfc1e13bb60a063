package io.smtpsidecar.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.smtpsidecar.health.Readiness;
import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.metrics.SidecarMetrics;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.SidecarHarness;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The session's phases before the backend, on an in-memory channel from a required proxy (198.51.100.9): each
 * {@link Failure} and what reaches the wire and the session line. The backend handshake and the relay run on real
 * sockets in the integration tests.
 */
class SessionTest {
    private final Vertx vertx = Vertx.vertx();
    private final SidecarServices services = new SidecarServices(new SidecarMetrics(new SimpleMeterRegistry()),
        new Readiness());
    private final ClientLimits limits = new ClientLimits();
    private final ListenerState listener = new ListenerState("smtp", services.metrics().listener("smtp"), limits,
        null);
    private final List<SessionRecord> lines = new ArrayList<>();

    /** An in-memory channel with socket addresses, as the session reads them from an accepted connection. */
    private static final class Accepted extends EmbeddedChannel {
        @Override
        protected SocketAddress remoteAddress0() {
            return new InetSocketAddress("198.51.100.9", 40000);
        }

        @Override
        protected SocketAddress localAddress0() {
            return new InetSocketAddress("192.0.2.25", 2525);
        }
    }

    @AfterEach
    void close() {
        vertx.close().await();
    }

    private EmbeddedChannel session(JsonObject overrides) {
        JsonObject cfg = new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", new JsonArray().add("198.51.100.9")))
            .mergeIn(overrides, true);
        var config = SidecarHarness.config(cfg, 25);
        LoopServices loop = new LoopServices(((VertxInternal) vertx).createEventLoopContext(), services, null, null,
            lines::add, config.dns());
        Accepted channel = new Accepted();
        channel.pipeline().addLast(new Session(channel, loop, config, config.listeners().get(0), listener));
        channel.pipeline().fireChannelActive();
        return channel;
    }

    private static String written(EmbeddedChannel channel) {
        StringBuilder out = new StringBuilder();
        for (ByteBuf b; (b = channel.readOutbound()) != null; b.release()) {
            out.append(b.toString(StandardCharsets.US_ASCII));
        }
        return out.toString();
    }

    private static void send(EmbeddedChannel channel, byte[] bytes) {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void noHeaderInTimeIsRefusalMode() {
        EmbeddedChannel ch = session(new JsonObject());
        ch.advanceTimeBy(3001, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(written(ch)).startsWith("220 ");
        send(ch, ascii("QUIT\r\n"));
        assertThat(written(ch)).startsWith("221 ");
        assertThat(lines).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_TIMEOUT);
            assertThat(r.bytesIn()).isEqualTo(6);
        });
    }

    @Test
    void aMalformedHeaderIsRefusalModeWithItsReason() {
        EmbeddedChannel ch = session(new JsonObject());
        send(ch, ascii("PROXY TCP4 1.2.3.4\r\n"));
        assertThat(written(ch)).startsWith("220 ");
        send(ch, ascii("EHLO x\r\n"));
        assertThat(written(ch)).isEqualTo("503 Command refused, required Proxy negotiation failed\r\n");
        ch.close();
        assertThat(lines).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.reason()).startsWith("v1: ");
        });
    }

    @Test
    void bytesAfterTheHeaderAreAnEarlyTalker() {
        EmbeddedChannel ch = session(new JsonObject());
        byte[] header = ProxyHeaders.v1("203.0.113.7", 50000, "192.0.2.25", 25);
        byte[] both = new byte[header.length + 8];
        System.arraycopy(header, 0, both, 0, header.length);
        System.arraycopy(ascii("EHLO x\r\n"), 0, both, header.length, 8);
        send(ch, both);
        assertThat(written(ch)).isEqualTo("554 SMTP synchronization error\r\n");
        assertThat(ch.isOpen()).isFalse();
        assertThat(lines).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.SYNC_ERROR);
            assertThat(r.client().getAddress().getHostAddress()).isEqualTo("203.0.113.7");
        });
    }

    @Test
    void aRejectedSourceIsRefusalModeAndNotTheClient() {
        EmbeddedChannel ch = session(new JsonObject());
        send(ch, ProxyHeaders.v1("127.0.0.1", 50000, "192.0.2.25", 25));
        assertThat(written(ch)).startsWith("220 ");
        ch.close();
        assertThat(lines).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.reason()).isEqualTo("claimed source 127.0.0.1 is in proxy.rejectSources");
            assertThat(r.client().getAddress().getHostAddress()).isEqualTo("198.51.100.9");
        });
    }

    @Test
    void aClientOverItsLimitGets421() {
        JsonObject limits = new JsonObject().put("limits", new JsonObject().put("maxConnectionsPerClient", 1));
        var config = SidecarHarness.config(limits, 25);
        this.limits.acquire(new InetSocketAddress("203.0.113.7", 1).getAddress(), config.limits(),
            System.nanoTime());
        EmbeddedChannel ch = session(limits);
        send(ch, ProxyHeaders.v1("203.0.113.7", 50000, "192.0.2.25", 25));
        assertThat(written(ch)).isEqualTo("421 4.7.0 sidecar.test Too many connections, try again later\r\n");
        assertThat(lines).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.LIMITED);
            assertThat(r.reason()).isEqualTo("limit: maxConnectionsPerClient 1");
        });
    }

    @Test
    void whileDrainingAFailedHeaderGets421AtOnce() {
        EmbeddedChannel ch = session(new JsonObject());
        Session s = (Session) ch.pipeline().last();
        s.shutdown(Duration.ofSeconds(20));
        send(ch, ascii("GET / HTTP/1.0\r\n"));
        assertThat(written(ch)).isEqualTo("421 4.3.2 sidecar.test Service shutting down, closing connection\r\n");
        assertThat(lines).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED_MALFORMED);
            assertThat(r.reason()).endsWith("; shutting down");
        });
    }
}
