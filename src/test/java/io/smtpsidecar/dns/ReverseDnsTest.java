package io.smtpsidecar.dns;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.smtpsidecar.addr.IpAddresses;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.metrics.SidecarMetrics;
import io.smtpsidecar.support.FakeDnsServer;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Forward-confirmed reverse DNS against a real UDP resolver on loopback. */
class ReverseDnsTest {
    private static final SidecarMetrics METRICS = new SidecarMetrics(new SimpleMeterRegistry());
    private Vertx vertx;
    private FakeDnsServer server;
    private ReverseDns dns;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        server = new FakeDnsServer(vertx);
        dns = new ReverseDns(vertx, new SidecarConfig.Dns(true,
            List.of(new SidecarConfig.DnsServer("127.0.0.1", server.port())), Duration.ofSeconds(5), 100,
            Duration.ofMinutes(5)), METRICS);
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    private String lookup(String ip) {
        return lookup(dns, ip);
    }

    private String lookup(ReverseDns dns, String ip) {
        InetAddress address = IpAddresses.parse(ip);
        // ReverseDns is used from an event loop; run it on one as the sidecar does
        Promise<String> result = Promise.promise();
        vertx.runOnContext(x -> dns.name(address).onComplete(result));
        return result.future().await();
    }

    @Test
    void confirmedNameIsReturned() {
        server.ptr("5.0.0.127.in-addr.arpa", "client5.e2e.test.")
            .address("client5.e2e.test", IpAddresses.parse("127.0.0.5"));
        assertThat(lookup("127.0.0.5")).isEqualTo("client5.e2e.test");
    }

    @Test
    void ipv6UsesIp6ArpaNames() {
        server.ptr(ReverseNames.of(IpAddresses.parse("2001:db8::7")), "v6.e2e.test")
            .address("v6.e2e.test", IpAddresses.parse("2001:db8::7"));
        assertThat(lookup("2001:db8::7")).isEqualTo("v6.e2e.test");
    }

    @Test
    void nameThatDoesNotResolveBackIsUnavailable() {
        server.ptr("6.0.0.127.in-addr.arpa", "liar.e2e.test")
            .address("liar.e2e.test", IpAddresses.parse("192.0.2.99"));
        assertThat(lookup("127.0.0.6")).isEqualTo(ReverseDns.UNAVAILABLE);
    }

    @Test
    void hostileNameIsUnavailableWithoutAForwardQuery() {
        server.ptr("7.0.0.127.in-addr.arpa", "evil name\r\nXCLIENT ADDR=10.9.9.9.e2e.test");
        assertThat(lookup("127.0.0.7")).isEqualTo(ReverseDns.UNAVAILABLE);
        assertThat(server.queries()).isEqualTo(1);
    }

    @Test
    void missingPtrIsUnavailable() {
        assertThat(lookup("127.0.0.8")).isEqualTo(ReverseDns.UNAVAILABLE);
    }

    @Test
    void serverFailureIsTemporary() {
        server.servfail("9.0.0.127.in-addr.arpa");
        assertThat(lookup("127.0.0.9")).isEqualTo(ReverseDns.TEMPUNAVAIL);
    }

    @Test
    void silenceIsTemporaryWithinTheTimeout() {
        server.drop("10.0.0.127.in-addr.arpa");
        long start = System.nanoTime();
        assertThat(lookup("127.0.0.10")).isEqualTo(ReverseDns.TEMPUNAVAIL);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void overLongPtrNameIsUnavailableAtOnceWithoutAStackTrace() {
        // 311 bytes on the wire: Netty's decoder logged a TooLongFrameException per lookup and never answered
        String label = "a".repeat(60);
        server.ptr("12.0.0.127.in-addr.arpa", String.join(".", label, label, label, label, label, "test"));
        ReverseDns patient = new ReverseDns(vertx, new SidecarConfig.Dns(true,
            List.of(new SidecarConfig.DnsServer("127.0.0.1", server.port())), Duration.ofSeconds(60), 100,
            Duration.ofMinutes(5)), METRICS);
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try {
            long start = System.nanoTime();
            assertThat(lookup(patient, "127.0.0.12")).isEqualTo(ReverseDns.UNAVAILABLE);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        } finally {
            root.detachAppender(logged);
        }
        assertThat(logged.list).allSatisfy(event -> assertThat(event.getThrowableProxy()).isNull());
        assertThat(logged.list).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void truncatedAnswerIsTemporaryAndNotCached() {
        server.truncate("13.0.0.127.in-addr.arpa");
        assertThat(lookup("127.0.0.13")).isEqualTo(ReverseDns.TEMPUNAVAIL);
        int queries = server.queries();
        assertThat(lookup("127.0.0.13")).isEqualTo(ReverseDns.TEMPUNAVAIL);
        assertThat(server.queries()).isGreaterThan(queries);
    }

    @Test
    void answersAreCached() {
        server.ptr("11.0.0.127.in-addr.arpa", "c11.e2e.test").address("c11.e2e.test", IpAddresses.parse("127.0.0.11"));
        assertThat(lookup("127.0.0.11")).isEqualTo("c11.e2e.test");
        int queries = server.queries();
        assertThat(lookup("127.0.0.11")).isEqualTo("c11.e2e.test");
        assertThat(server.queries()).isEqualTo(queries);
    }

    @Test
    void lookupCanBeSwitchedOff() {
        ReverseDns off = new ReverseDns(vertx, new SidecarConfig.Dns(false, List.of(), Duration.ofSeconds(1), 10,
            Duration.ofMinutes(1)), METRICS);
        assertThat(off.name(IpAddresses.parse("127.0.0.5")).await()).isEqualTo(ReverseDns.UNAVAILABLE);
        assertThat(server.queries()).isZero();
    }
}
