package io.smtpsidecar.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.limits.ClientLimits.Decision;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClientLimitsTest {
    private static final InetAddress A = IpAddresses.parse("192.0.2.1");
    private static final InetAddress B = IpAddresses.parse("192.0.2.2");
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

    private static SidecarConfig.Limits limits(int total, int perClient, int rate) {
        return new SidecarConfig.Limits(total, perClient, rate, 100);
    }

    @Test
    void perClientConcurrencyIsCappedAndReleased() {
        ClientLimits l = new ClientLimits();
        SidecarConfig.Limits cfg = limits(0, 2, 0);
        ClientLimits.Result first = l.acquire(A, cfg, 0);
        ClientLimits.Result second = l.acquire(A, cfg, 0);
        assertThat(l.acquire(A, cfg, 0).decision()).isEqualTo(Decision.PER_CLIENT);
        assertThat(l.acquire(B, cfg, 0).decision()).isEqualTo(Decision.OK);
        l.release(first.permit());
        assertThat(l.acquire(A, cfg, 0).decision()).isEqualTo(Decision.OK);
        assertThat(second.decision()).isEqualTo(Decision.OK);
        assertThat(l.openConnections()).isEqualTo(3);
    }

    @Test
    void totalIsCapped() {
        ClientLimits l = new ClientLimits();
        SidecarConfig.Limits cfg = limits(2, 0, 0);
        assertThat(l.acquire(A, cfg, 0).decision()).isEqualTo(Decision.OK);
        assertThat(l.acquire(B, cfg, 0).decision()).isEqualTo(Decision.OK);
        assertThat(l.acquire(IpAddresses.parse("192.0.2.3"), cfg, 0).decision()).isEqualTo(Decision.TOTAL);
        assertThat(l.openConnections()).isEqualTo(2);
        assertThat(l.trackedClients()).isZero();
    }

    @Test
    void rateRefillsOverTheMinute() {
        ClientLimits l = new ClientLimits();
        SidecarConfig.Limits cfg = limits(0, 0, 3);
        for (int i = 0; i < 3; i++) {
            l.release(l.acquire(A, cfg, 0).permit());
        }
        assertThat(l.acquire(A, cfg, 0).decision()).isEqualTo(Decision.RATE);
        assertThat(l.acquire(A, cfg, MINUTE / 3 - 1_000_000).decision()).isEqualTo(Decision.RATE);
        assertThat(l.acquire(A, cfg, MINUTE / 3 + 1_000_000).decision()).isEqualTo(Decision.OK);
        assertThat(l.acquire(B, cfg, 0).decision()).isEqualTo(Decision.OK);
    }

    @Test
    void idleClientsAreSweptAndTrackingIsBounded() {
        ClientLimits l = new ClientLimits();
        SidecarConfig.Limits cfg = new SidecarConfig.Limits(0, 5, 10, 100);
        List<ClientLimits.Permit> held = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            held.add(l.acquire(IpAddresses.parse("10.0.0." + i), cfg, 0).permit());
        }
        assertThat(l.trackedClients()).isEqualTo(100);
        // the map is full of clients with open connections: a new client passes untracked
        ClientLimits.Result extra = l.acquire(IpAddresses.parse("10.0.1.1"), cfg, 2 * MINUTE);
        assertThat(extra.decision()).isEqualTo(Decision.OK);
        assertThat(l.trackedClients()).isEqualTo(100);
        held.forEach(l::release);
        l.release(extra.permit());
        l.sweep(cfg, 3 * MINUTE);
        assertThat(l.trackedClients()).isZero();
        assertThat(l.openConnections()).isZero();
    }

    @Test
    void concurrentAcquireAndReleaseKeepCountsExact() throws Exception {
        ClientLimits l = new ClientLimits();
        SidecarConfig.Limits cfg = limits(0, 1_000_000, 0);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    l.release(l.acquire(A, cfg, 0).permit());
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(l.openConnections()).isZero();
        l.sweep(cfg, 0);
        assertThat(l.trackedClients()).isZero();
    }
}
