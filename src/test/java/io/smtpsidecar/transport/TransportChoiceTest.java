package io.smtpsidecar.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.SidecarApp;
import io.smtpsidecar.config.SidecarConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;

class TransportChoiceTest {
    @Test
    void nioIsAlwaysThere() {
        TransportChoice c = TransportChoice.of(SidecarConfig.Transport.NIO);
        assertThat(c.name()).isEqualTo("nio");
        assertThat(c.describe()).isEqualTo("nio");
    }

    /** auto is epoll where its library loads, otherwise NIO with the reason; never io_uring. */
    @Test
    void autoTakesEpollOrSaysWhyNot() {
        TransportChoice c = TransportChoice.of(SidecarConfig.Transport.AUTO);
        if (Transport.EPOLL != null && Transport.EPOLL.available()) {
            assertThat(c.name()).isEqualTo("epoll");
            assertThat(c.fallback()).isNull();
        } else {
            assertThat(c.name()).isEqualTo("nio");
            assertThat(c.describe()).startsWith("nio (epoll is not available: ");
        }
    }

    @Test
    void theRunningVertxNamesItsTransport() {
        for (SidecarConfig.Transport t : new SidecarConfig.Transport[] {SidecarConfig.Transport.NIO,
            SidecarConfig.Transport.AUTO}) {
            TransportChoice c = TransportChoice.of(t);
            Vertx vertx = SidecarApp.newVertx(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), 1, c);
            try {
                assertThat(TransportChoice.nameOf(vertx)).isEqualTo(c.name());
            } finally {
                vertx.close().await();
            }
        }
    }
}
