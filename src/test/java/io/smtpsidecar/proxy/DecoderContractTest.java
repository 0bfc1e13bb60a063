package io.smtpsidecar.proxy;

import static io.smtpsidecar.proxy.Vectors.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lifecycle of the decoder and invariants of the value types. */
class DecoderContractTest {

    @ParameterizedTest
    @ValueSource(ints = {Integer.MIN_VALUE, 0, 535, 65552, Integer.MAX_VALUE})
    void capOutsideItsRangeIsRejected(int cap) {
        assertThatThrownBy(() -> new ProxyHeaderDecoder(cap)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(cap));
    }

    @Test
    void capBoundsAreAccepted() {
        new ProxyHeaderDecoder(ProxyHeaderDecoder.MIN_MAX_HEADER);
        new ProxyHeaderDecoder(ProxyHeaderDecoder.MAX_MAX_HEADER);
        assertThat(ProxyHeaderDecoder.MAX_MAX_HEADER).isEqualTo(65551);
    }

    @Test
    void finishedAfterDecoded() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(Vectors.V1_1)).isInstanceOf(DecodeResult.Decoded.class);
        assertThatThrownBy(() -> decoder.feed(ascii("EHLO x\r\n"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(decoder::timeout).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void finishedAfterInvalidAndAfterTimeout() {
        ProxyHeaderDecoder refused = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(refused.feed(ascii("EHLO"))).isInstanceOf(DecodeResult.Invalid.class);
        assertThatThrownBy(() -> refused.feed(Vectors.V1_1)).isInstanceOf(IllegalStateException.class);

        ProxyHeaderDecoder timedOut = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        timedOut.timeout();
        assertThatThrownBy(() -> timedOut.feed(Vectors.V1_1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(timedOut::timeout).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void emptyChunksWait() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(new byte[0])).isInstanceOf(DecodeResult.NeedMore.class);
        assertThat(decoder.feed(Vectors.V1_1, 5, 0)).isInstanceOf(DecodeResult.NeedMore.class);
        assertThat(decoder.feed(Vectors.V1_1)).isInstanceOf(DecodeResult.Decoded.class);
    }

    @Test
    void badOffsetOrLengthIsRejectedWithoutConsumingAnything() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThatThrownBy(() -> decoder.feed(Vectors.V1_1, 40, 10)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> decoder.feed(Vectors.V1_1, -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(decoder.feed(Vectors.V1_1)).isInstanceOf(DecodeResult.Decoded.class);
    }

    @Test
    void resultsAreImmutable() {
        DecodeResult.Decoded decoded = (DecodeResult.Decoded) Vectors.decode(Vectors.V1_9);
        decoded.rest()[0] = 0;
        assertThat(decoded.rest()).isEqualTo(Vectors.TLS_HELLO);

        DecodeResult.Decoded withTlvs = (DecodeResult.Decoded) Vectors.decode(Vectors.V2_6);
        assertThatThrownBy(() -> withTlvs.header().tlvs().clear()).isInstanceOf(UnsupportedOperationException.class);
        withTlvs.header().tlvs().get(0).value()[0] = 0;
        assertThat(withTlvs.header().tlvs().get(0).value()).isEqualTo(ascii("mx.example.org"));

        byte[] source = ascii("abc");
        Tlv tlv = new Tlv(1, source);
        source[0] = 'x';
        assertThat(tlv.value()).isEqualTo(ascii("abc"));

        DecodeResult.Invalid invalid = (DecodeResult.Invalid) Vectors.decode(ascii("EHLO x\r\nQUIT\r\n"));
        invalid.pending()[0] = 0;
        invalid.head()[0] = 0;
        assertThat(invalid.pending()).isEqualTo(ascii("QUIT\r\n"));
        assertThat(invalid.head()).isEqualTo(ascii("EHLO x\r\nQUIT\r\n"));
    }

    @Test
    void headerRecordValidatesItsFields() {
        InetSocketAddress a = Vectors.endpoint("192.0.2.1", 1);
        List<Tlv> none = List.of();
        assertThatThrownBy(() -> new ProxyHeader(3, true, null, null, none, 16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version");
        assertThatThrownBy(() -> new ProxyHeader(2, true, a, null, none, 16))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxyHeader(2, false, a, null, none, 16))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxyHeader(2, false, a, InetSocketAddress.createUnresolved("mx", 25), none, 28))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxyHeader(1, false, a, a, List.of(new Tlv(4, new byte[0])), 40))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxyHeader(1, true, null, null, none, 108))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("108");
        assertThatThrownBy(() -> new ProxyHeader(2, true, null, null, none, 15))
                .isInstanceOf(IllegalArgumentException.class);
        List<Tlv> mutable = new ArrayList<>(List.of(new Tlv(4, new byte[0])));
        ProxyHeader header = new ProxyHeader(2, false, a, a, mutable, 31);
        mutable.clear();
        assertThat(header.tlvs()).hasSize(1);
    }

    @Test
    void tlvTypeRange() {
        assertThatThrownBy(() -> new Tlv(256, new byte[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256");
        assertThatThrownBy(() -> new Tlv(-1, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Tlv(0xE0, ascii("x"))).isEqualTo(new Tlv(0xE0, ascii("x")))
                .hasSameHashCodeAs(new Tlv(0xE0, ascii("x"))).hasToString("Tlv[type=0xE0, value=78]");
    }
}
