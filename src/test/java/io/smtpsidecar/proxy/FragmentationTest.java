package io.smtpsidecar.proxy;

import static io.smtpsidecar.proxy.Vectors.decode;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The verdict depends on the bytes only, never on how they were split into reads. */
class FragmentationTest {

    static Stream<Arguments> validVectors() {
        return Vectors.valid().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validVectors")
    void oneByteAtATime(String name, byte[] bytes) {
        DecodeResult.Decoded whole = (DecodeResult.Decoded) decode(bytes);
        int headerLength = whole.header().length();
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        for (int i = 0; i < headerLength - 1; i++) {
            assertThat(decoder.feed(new byte[] {bytes[i]})).as("after %d bytes", i + 1)
                    .isInstanceOf(DecodeResult.NeedMore.class);
        }
        DecodeResult last = decoder.feed(new byte[] {bytes[headerLength - 1]});
        assertThat(last).isEqualTo(new DecodeResult.Decoded(whole.header(), new byte[0]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validVectors")
    void splitAtEveryPosition(String name, byte[] bytes) {
        DecodeResult whole = decode(bytes);
        int headerLength = ((DecodeResult.Decoded) whole).header().length();
        for (int split = 0; split <= bytes.length; split++) {
            ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
            // embed the pieces in larger arrays to exercise offset and length
            DecodeResult first = decoder.feed(padded(bytes, 0, split), 3, split);
            if (split >= headerLength) {
                assertThat(first).as("split %d", split).isEqualTo(new DecodeResult.Decoded(
                        ((DecodeResult.Decoded) whole).header(), Arrays.copyOfRange(bytes, headerLength, split)));
                continue;
            }
            assertThat(first).as("split %d", split).isInstanceOf(DecodeResult.NeedMore.class);
            DecodeResult second = decoder.feed(padded(bytes, split, bytes.length), 3, bytes.length - split);
            assertThat(second).as("split %d", split).isEqualTo(whole);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validVectors")
    void randomPieces(String name, byte[] bytes) {
        DecodeResult whole = decode(bytes);
        Random random = new Random(name.hashCode());
        for (int round = 0; round < 50; round++) {
            ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
            int pos = 0;
            DecodeResult result = new DecodeResult.NeedMore();
            while (result instanceof DecodeResult.NeedMore) {
                int piece = Math.min(bytes.length - pos, 1 + random.nextInt(8));
                result = decoder.feed(bytes, pos, piece);
                pos += piece;
            }
            DecodeResult.Decoded decoded = (DecodeResult.Decoded) result;
            assertThat(decoded.header()).isEqualTo(((DecodeResult.Decoded) whole).header());
            assertThat(decoded.rest()).isEqualTo(Arrays.copyOfRange(bytes, decoded.header().length(), pos));
        }
    }

    private static byte[] padded(byte[] bytes, int from, int to) {
        byte[] out = new byte[to - from + 6];
        Arrays.fill(out, (byte) 'X');
        System.arraycopy(bytes, from, out, 3, to - from);
        return out;
    }
}
