package io.smtpsidecar.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.metrics.SidecarMetrics;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdleHeapTest {
    private final SidecarMetrics metrics = new SidecarMetrics(new SimpleMeterRegistry());
    private final AtomicInteger collections = new AtomicInteger();
    private final IdleHeap idle = new IdleHeap(null, metrics, collections::incrementAndGet);

    private void session() {
        metrics.listener("smtp").sessionStarted();
        metrics.listener("smtp").sessionEnded(Outcome.FORWARDED, Duration.ofMillis(5), 10, 10);
    }

    @Test
    void collectsOnceAfterAQuietPeriodAndAgainOnlyAfterNewTraffic() {
        idle.check();
        assertThat(collections).hasValue(0);
        idle.check();
        assertThat(collections).hasValue(1);
        idle.check();
        idle.check();
        assertThat(collections).hasValue(1);

        session();
        idle.check();
        assertThat(collections).hasValue(1);
        idle.check();
        assertThat(collections).hasValue(2);
    }

    @Test
    void neverWhileAConnectionIsOpenOrArriving() {
        idle.check();
        metrics.listener("smtp").sessionStarted();
        idle.check();
        idle.check();
        idle.check();
        assertThat(collections).hasValue(0);
        metrics.listener("smtp").sessionEnded(Outcome.FORWARDED, Duration.ofSeconds(60), 10, 10);
        idle.check();
        assertThat(collections).hasValue(1);
        session();
        idle.check();
        session();
        idle.check();
        assertThat(collections).hasValue(1);
    }
}
