package io.smtpsidecar.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How {@code backend.warmConnections} is split over the event loops. */
class WarmBackendsShareTest {
    @ParameterizedTest
    @CsvSource({
        "8, 2, 4:4",
        "8, 3, 3:3:2",
        "2, 4, 1:1:0:0",
        "0, 4, 0:0:0:0",
        "5, 1, 5",
    })
    void partsFollowTheTotal(int total, int loops, String expected) {
        String parts = String.join(":", IntStream.range(0, loops)
            .mapToObj(i -> Integer.toString(WarmBackends.share(total, i, loops))).toList());
        assertThat(parts).isEqualTo(expected);
    }

    @Test
    void partsAlwaysAddUpToTheTotal() {
        for (int loops = 1; loops <= 64; loops++) {
            for (int total = 0; total <= 200; total++) {
                int l = loops;
                int t = total;
                assertThat(IntStream.range(0, loops).map(i -> WarmBackends.share(t, i, l)).sum())
                    .as("%d over %d loops", total, loops).isEqualTo(total);
            }
        }
    }
}
