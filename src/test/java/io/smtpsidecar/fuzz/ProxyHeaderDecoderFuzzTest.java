package io.smtpsidecar.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpsidecar.proxy.DecodeResult;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.smtpsidecar.proxy.Tlv;
import io.smtpsidecar.support.ProxyHeaders;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.RecordComponent;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * PROXY protocol v1/v2 decoder, fed the same input whole and in fuzzer-chosen reads.
 *
 * <ul>
 *   <li>The verdict does not depend on the reads: same header, same failure reason, and a {@code NeedMore} stays
 *       one.</li>
 *   <li>A decoded header re-encodes (by an encoder written here, not the sidecar's) to exactly the input's
 *       first {@code length} bytes, and {@code rest} is the input after them; IPv6 text in a v1 line is compared
 *       by value through the JDK's parser, since text forms are many.</li>
 *   <li>A failure carries no address (its record has none), {@code head} is the first up to 64 bytes received and
 *       {@code pending} is exactly what the documented rule says follows the failed header.</li>
 *   <li>{@code NeedMore} is only ever answered while fewer than {@code max(107, maxHeaderBytes)} bytes are in
 *       (memory bound), or while the declared {@code 16 + len} bytes of a v2 header are still coming (their bytes
 *       beyond the cap are counted, not kept), and the CPU time spent decoding is bounded per byte.</li>
 * </ul>
 */
class ProxyHeaderDecoderFuzzTest {
    private static final int[] CAPS = {ProxyHeaderDecoder.MIN_MAX_HEADER, 600, ProxyHeaderDecoder.DEFAULT_MAX_HEADER,
        ProxyHeaderDecoder.MAX_MAX_HEADER};
    private static final byte[] SIGNATURE = ProxyHeaders.v2Signature();
    private static final int HEAD = 64;
    private static final int V1_MAX = ProxyHeaderDecoder.V1_MAX_LENGTH;
    /** Generous: real decoding takes well under a microsecond per byte once warm. */
    private static final long BUDGET_BASE_NANOS = 50_000_000L;
    private static final long BUDGET_PER_BYTE_NANOS = 20_000L;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    static {
        // a failed decode can expose no address: its record has no component that could hold one
        List<String> names = Arrays.stream(DecodeResult.Invalid.class.getRecordComponents())
                .map(RecordComponent::getName).toList();
        if (!names.equals(List.of("reason", "head", "pending"))) {
            throw new AssertionError("DecodeResult.Invalid grew components: " + names);
        }
    }

    @FuzzTest
    void decode(FuzzedDataProvider data) {
        int cap = CAPS[data.consumeInt(0, CAPS.length - 1)];
        long fragmentSeed = data.consumeLong();
        byte[] input = data.consumeRemainingAsBytes();
        List<byte[]> chunks = Fragments.split(input, fragmentSeed);

        DecodeResult whole = timed(input.length, () -> new ProxyHeaderDecoder(cap).feed(input));
        checkWhole(input, cap, whole);
        timed(input.length, () -> {
            checkFragmented(input, cap, chunks, whole);
            return null;
        });
    }

    /**
     * Runs {@code work} and bounds the CPU time this thread spent on it, not the wall-clock time: fuzzing runs
     * niced next to other work, where a time slice can come seconds late. Over budget, it re-runs {@code work}
     * (JIT, first-time class loading) twice more and fails only if it stays over.
     */
    private static <T> T timed(int bytes, Supplier<T> work) {
        long budget = BUDGET_BASE_NANOS + BUDGET_PER_BYTE_NANOS * bytes;
        long elapsed = 0;
        T result = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            long start = CPU.getCurrentThreadCpuTime();
            result = work.get();
            elapsed = CPU.getCurrentThreadCpuTime() - start;
            if (elapsed <= budget) {
                return result;
            }
        }
        fail("decoding %d bytes took %d ms of CPU three times (budget %d ms)", bytes, elapsed / 1_000_000,
                budget / 1_000_000);
        return result;
    }

    private static void checkWhole(byte[] input, int cap, DecodeResult result) {
        if (result instanceof DecodeResult.NeedMore) {
            if (input.length >= Math.max(V1_MAX, cap)) {
                assertThat(input.length).as("bytes received while a v2 header's declared length is still coming")
                        .isLessThan(v2Length(input));
            }
            ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(cap);
            decoder.feed(input);
            checkInvalid(input, input.length, decoder.timeout());
            assertThatThrownBy(() -> decoder.feed(new byte[1])).isInstanceOf(IllegalStateException.class);
        } else if (result instanceof DecodeResult.Decoded decoded) {
            ProxyHeader header = decoded.header();
            assertThat(header.length()).isLessThanOrEqualTo(input.length);
            assertThat(decoded.rest()).isEqualTo(Arrays.copyOfRange(input, header.length(), input.length));
            byte[] wire = Arrays.copyOf(input, header.length());
            if (header.version() == 1) {
                checkV1(wire, header);
            } else {
                checkV2(wire, header, cap);
            }
        } else {
            checkInvalid(input, input.length, (DecodeResult.Invalid) result);
        }
    }

    private static void checkFragmented(byte[] input, int cap, List<byte[]> chunks, DecodeResult whole) {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(cap);
        DecodeResult result = new DecodeResult.NeedMore();
        int fed = 0;
        int lastChunk = 0;
        for (byte[] chunk : chunks) {
            result = decoder.feed(chunk);
            fed += chunk.length;
            lastChunk = chunk.length;
            if (!(result instanceof DecodeResult.NeedMore)) {
                break;
            }
        }
        assertThat(result.getClass()).as("verdict class, whole: %s", whole).isEqualTo(whole.getClass());
        if (whole instanceof DecodeResult.NeedMore) {
            assertThat(fed).isEqualTo(input.length);
        } else if (whole instanceof DecodeResult.Decoded w) {
            DecodeResult.Decoded d = (DecodeResult.Decoded) result;
            int length = w.header().length();
            assertThat(d.header()).isEqualTo(w.header());
            // decided in the read that completed the header, and rest is what that read brought beyond it
            assertThat(fed - lastChunk).isLessThan(length);
            assertThat(d.rest()).isEqualTo(Arrays.copyOfRange(input, length, fed));
        } else {
            DecodeResult.Invalid i = (DecodeResult.Invalid) result;
            assertThat(i.reason()).isEqualTo(((DecodeResult.Invalid) whole).reason());
            checkInvalid(input, fed, i);
        }
    }

    /** {@code fed}: how many leading bytes of {@code input} the decoder had received when it failed. */
    private static void checkInvalid(byte[] input, int fed, DecodeResult.Invalid invalid) {
        assertThat(invalid.reason()).isNotBlank();
        assertThat(invalid.head()).isEqualTo(Arrays.copyOf(input, Math.min(fed, HEAD)));
        assertThat(invalid.pending()).isEqualTo(Arrays.copyOfRange(input, swallowed(input, fed), fed));
    }

    /** The documented size of the failed header (see ProxyHeaderDecoder), written out independently. */
    private static int swallowed(byte[] input, int fed) {
        boolean signature = fed >= SIGNATURE.length
                && Arrays.equals(input, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length);
        if (signature) {
            return fed < 16 ? fed : Math.min(v2Length(input), fed);
        }
        for (int i = 0; i < Math.min(fed, V1_MAX); i++) {
            if (input[i] == '\n') {
                return i + 1;
            }
        }
        return Math.min(fed, V1_MAX);
    }

    /** 16 + len of an input with the v2 signature and at least 16 bytes, else 0. */
    private static int v2Length(byte[] input) {
        boolean signature = input.length >= 16
                && Arrays.equals(input, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length);
        return signature ? 16 + (((input[14] & 0xFF) << 8) | (input[15] & 0xFF)) : 0;
    }

    private static void checkV1(byte[] wire, ProxyHeader header) {
        assertThat(header.tlvs()).isEmpty();
        assertThat(wire.length).isBetween("PROXY UNKNOWN\r\n".length(), V1_MAX);
        assertThat(wire[wire.length - 2]).isEqualTo((byte) '\r');
        assertThat(wire[wire.length - 1]).isEqualTo((byte) '\n');
        for (int i = 0; i < wire.length - 2; i++) {
            assertThat(wire[i] >= 0x20 && wire[i] <= 0x7E).as("printable byte at %d", i).isTrue();
        }
        String content = new String(wire, 0, wire.length - 2, StandardCharsets.US_ASCII);
        if (header.local()) {
            assertThat(content.equals("PROXY UNKNOWN") || content.startsWith("PROXY UNKNOWN ")).as(content).isTrue();
            return;
        }
        String[] fields = content.split(" ", -1);
        assertThat(fields).as(content).hasSize(6);
        assertThat(fields[0]).isEqualTo("PROXY");
        assertThat(fields[4]).isEqualTo(Integer.toString(header.source().getPort()));
        assertThat(fields[5]).isEqualTo(Integer.toString(header.destination().getPort()));
        if (fields[1].equals("TCP4")) {
            assertThat(header.source().getAddress()).isInstanceOf(Inet4Address.class);
            assertThat(header.destination().getAddress()).isInstanceOf(Inet4Address.class);
            // dotted quads have one text form: the line must be exactly the re-encoded one
            String encoded = "PROXY TCP4 " + dotted(header.source()) + " " + dotted(header.destination()) + " "
                    + header.source().getPort() + " " + header.destination().getPort();
            assertThat(content).isEqualTo(encoded);
        } else {
            assertThat(fields[1]).isEqualTo("TCP6");
            // IPv6 text has many forms (case, zeros, "::", dotted tail, ::ffff: turned into IPv4): compare values
            assertSameAddress(fields[2], header.source());
            assertSameAddress(fields[3], header.destination());
        }
    }

    private static void assertSameAddress(String text, InetSocketAddress decoded) {
        assertThat(text).as("IPv6 field").contains(":").matches("[0-9A-Fa-f:.]+");
        InetAddress jdk;
        try {
            jdk = InetAddress.getByName(text); // a literal with ':' is parsed, never looked up
        } catch (UnknownHostException e) {
            throw new AssertionError("decoder accepted '" + text + "', the JDK does not: " + e.getMessage());
        }
        assertThat(decoded.getAddress().getAddress()).as(text).isEqualTo(jdk.getAddress());
    }

    private static String dotted(InetSocketAddress a) {
        byte[] b = a.getAddress().getAddress();
        return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + "." + (b[3] & 0xFF);
    }

    private static void checkV2(byte[] wire, ProxyHeader header, int cap) {
        assertThat(wire.length).isGreaterThanOrEqualTo(16).isLessThanOrEqualTo(cap);
        assertThat(Arrays.copyOf(wire, 12)).isEqualTo(SIGNATURE);
        int len = ((wire[14] & 0xFF) << 8) | (wire[15] & 0xFF);
        assertThat(header.length()).isEqualTo(16 + len);
        if (header.local()) {
            // LOCAL (any family, body skipped) or PROXY with AF_UNSPEC
            assertThat(header.tlvs()).isEmpty();
            assertThat(wire[12] == 0x20 || (wire[12] == 0x21 && wire[13] == 0x00))
                    .as("ver_cmd %02X fam %02X", wire[12], wire[13]).isTrue();
            return;
        }
        // The header does not say whether two IPv4 addresses came as TCP4 or as IPv4-mapped TCP6: both
        // encodings are candidates, nothing else is.
        byte[] asTcp6 = encodeV2(header, false);
        boolean bothV4 = header.source().getAddress() instanceof Inet4Address
                && header.destination().getAddress() instanceof Inet4Address;
        if (bothV4 && Arrays.equals(wire, encodeV2(header, true))) {
            return;
        }
        assertThat(wire).as("re-encoded v2 header").isEqualTo(asTcp6);
    }

    private static byte[] encodeV2(ProxyHeader header, boolean tcp4) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(addressBytes(header.source().getAddress(), tcp4));
        body.writeBytes(addressBytes(header.destination().getAddress(), tcp4));
        writeShort(body, header.source().getPort());
        writeShort(body, header.destination().getPort());
        for (Tlv tlv : header.tlvs()) {
            body.write(tlv.type());
            writeShort(body, tlv.value().length);
            body.writeBytes(tlv.value());
        }
        return ProxyHeaders.v2(ProxyHeaders.V2_PROXY, tcp4 ? ProxyHeaders.TCP4 : ProxyHeaders.TCP6, body.toByteArray());
    }

    private static byte[] addressBytes(InetAddress address, boolean tcp4) {
        byte[] raw = address.getAddress();
        if (tcp4 || raw.length == 16) {
            return raw;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        System.arraycopy(raw, 0, mapped, 12, 4);
        return mapped;
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value);
    }
}
