package io.smtpsidecar.proxy;

import java.util.Arrays;
import java.util.Objects;

/**
 * Strict, incremental decoder for one PROXY protocol v1 or v2 header at the very start of a connection.
 *
 * <p>Feed bytes as they arrive; the decoder answers {@link DecodeResult.NeedMore} while the bytes so far can still
 * begin a valid header, and decides as soon as they cannot: at the first byte that no valid header has, except that
 * a bad v1 field is decided at the byte that ends it, so that the reason quotes all of it, and a failed v2 header
 * once its declared length is in (below). The verdict does not depend on how the bytes were split into reads.
 * Exactly one header is read; whatever follows it is handed back untouched in {@link DecodeResult.Decoded#rest()}
 * and never parsed, so a later {@code PROXY} line stays SMTP data.
 *
 * <p>Choices where the specification leaves room:
 * <ul>
 *   <li>v1 {@code UNKNOWN} is accepted in the short form and with any printable text before the CRLF, as a local
 *       header. A line is refused as soon as its CRLF can no longer end within 107 bytes: at the latest when 106
 *       bytes have come without a CR, earlier for a TCP line whose remaining fields cannot fit. A CR must be
 *       followed by LF, and a lone LF is refused.</li>
 *   <li>v2 {@code LOCAL} skips the announced bytes without looking at the family byte or the TLVs. v2
 *       {@code PROXY} with {@code AF_UNSPEC} (0x00) is accepted as a local header, its bytes skipped.</li>
 *   <li>v2 {@code PROXY} over UDP (0x12, 0x22) or AF_UNIX (0x31, 0x32) is refused: this is a TCP service, and a
 *       relayed datagram or UNIX-socket peer has no client address to hand on.</li>
 *   <li>A v2 header longer than {@code maxHeaderBytes} is known to fail as soon as its 16 fixed bytes are in; its
 *       body is then counted, never buffered. TLV lengths (and those of PP2_TYPE_SSL sub-TLVs) must stay inside
 *       their container, and a PP2_TYPE_CRC32C value is verified.</li>
 * </ul>
 *
 * <p>When the header fails, {@link DecodeResult.Invalid#pending()} holds the input after the part taken as the
 * failed header, so that a refusal mode can tell whether the peer talked early: with the full v2 signature and at
 * least 16 bytes, that part is {@code min(16 + len, buffered)} bytes; with the signature but fewer than 16 bytes,
 * everything buffered; otherwise up to and including the first LF among the first 107 bytes, or the first 107 bytes
 * when there is none. The part is measured over everything buffered, including the whole chunk whose byte decided
 * the failure. A v2 failure decided from the 16 fixed bytes on (the length is known by then: a header over the cap,
 * or shorter than its address block) is answered only once all its 16 + len bytes are in, up to 65,551, and
 * {@code NeedMore} until then, so that no byte of it is left over to be read as SMTP.
 *
 * <p>Memory stays below {@code max(107, maxHeaderBytes)} bytes plus the chunk being fed. An instance serves one
 * connection and is not thread-safe; after it has returned {@code Decoded} or {@code Invalid} it is finished and
 * refuses further calls.
 */
public final class ProxyHeaderDecoder {
    /** Longest v1 line, CRLF included. */
    public static final int V1_MAX_LENGTH = 107;
    /** Smallest allowed cap: the spec's guarantee that a header fits in 536 bytes. */
    public static final int MIN_MAX_HEADER = 536;
    /** Largest possible v2 header. */
    public static final int MAX_MAX_HEADER = 16 + 65535;
    public static final int DEFAULT_MAX_HEADER = 4096;

    /** How many leading bytes an {@link DecodeResult.Invalid} carries for logging. */
    static final int HEAD_BYTES = 64;
    private static final DecodeResult NEED_MORE = new DecodeResult.NeedMore();

    private final int maxHeaderBytes;
    private byte[] buffer = new byte[128];
    /** Bytes received; while a failed v2 header is being swallowed, only the first {@link #HEAD_BYTES} are kept. */
    private int count;
    private boolean finished;
    /** Why the v2 header being swallowed failed, or null. */
    private String swallowing;
    /** The failed v2 header's size on the wire, 16 + len. */
    private int swallowLength;

    /**
     * @param maxHeaderBytes the largest accepted v2 header (16 + len), between {@link #MIN_MAX_HEADER} and
     *                       {@link #MAX_MAX_HEADER}
     */
    public ProxyHeaderDecoder(int maxHeaderBytes) {
        if (maxHeaderBytes < MIN_MAX_HEADER || maxHeaderBytes > MAX_MAX_HEADER) {
            throw new IllegalArgumentException("maxHeaderBytes must be " + MIN_MAX_HEADER + ".." + MAX_MAX_HEADER
                    + ", got " + maxHeaderBytes);
        }
        this.maxHeaderBytes = maxHeaderBytes;
    }

    public DecodeResult feed(byte[] chunk) {
        return feed(chunk, 0, chunk.length);
    }

    /**
     * Adds {@code length} bytes of {@code chunk} from {@code offset} and decides on everything received so far.
     *
     * @throws IllegalStateException when a previous call already returned {@code Decoded} or {@code Invalid}
     */
    public DecodeResult feed(byte[] chunk, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, chunk.length);
        ensureOpen();
        if (swallowing != null) {
            return swallow(chunk, offset, length);
        }
        int before = count;
        append(chunk, offset, length);
        DecodeResult whole = completeV1Line();
        if (whole != null) {
            return whole;
        }
        int n = before + 1;
        while (n <= count) {
            Step step = evaluate(n);
            if (step instanceof Step.Wait wait) {
                n = Math.max(n + 1, wait.next());
            } else if (step instanceof Step.Done done) {
                byte[] rest = Arrays.copyOfRange(buffer, done.header().length(), count);
                finish();
                return new DecodeResult.Decoded(done.header(), rest);
            } else {
                return fail(((Step.Fail) step).reason(), n);
            }
        }
        return NEED_MORE;
    }

    /**
     * A failure decided on the first {@code n} bytes; a v2 one decided once its length is known waits for the rest
     * of that length (see the class comment).
     */
    private DecodeResult fail(String reason, int n) {
        if (n >= V2Parser.FIXED_LENGTH && V2Parser.hasSignature(buffer, count)) {
            int length = V2Parser.FIXED_LENGTH + V2Parser.declaredLength(buffer);
            if (count < length) {
                swallowing = reason;
                swallowLength = length;
                // the rest is counted, not kept: up to 64 KB per refused connection is not worth holding
                buffer = Arrays.copyOf(buffer, HEAD_BYTES);
                return NEED_MORE;
            }
        }
        return fail(reason);
    }

    /** Counts the bytes of a failed v2 header as they come, keeping the first {@link #HEAD_BYTES} for the log. */
    private DecodeResult swallow(byte[] chunk, int offset, int length) {
        if (count < HEAD_BYTES) {
            System.arraycopy(chunk, offset, buffer, count, Math.min(length, HEAD_BYTES - count));
        }
        int stillToCome = swallowLength - count;
        count += length;
        if (length < stillToCome) {
            return NEED_MORE;
        }
        return invalid(swallowing, Arrays.copyOfRange(chunk, offset + stillToCome, offset + length));
    }

    /**
     * The usual case, a whole v1 line in the buffer: when the line up to its first CRLF is a valid header, every
     * shorter prefix is the beginning of that valid line, so the byte-by-byte walk below could only answer "wait"
     * until the CRLF. Deciding on the complete line at once gives the same verdict without re-reading the line once
     * per byte (which cost about 27 KB of garbage and 17 µs per header). Anything else takes the walk, which finds
     * where it fails.
     */
    private DecodeResult completeV1Line() {
        if (count == 0 || buffer[0] != 'P') {
            return null;
        }
        int scan = Math.min(count, V1_MAX_LENGTH);
        for (int i = 0; i < scan; i++) {
            if (buffer[i] == '\r') {
                if (i + 1 >= count || buffer[i + 1] != '\n') {
                    return null;
                }
                if (V1Parser.evaluate(buffer, i + 2) instanceof Step.Done done) {
                    byte[] rest = Arrays.copyOfRange(buffer, done.header().length(), count);
                    finish();
                    return new DecodeResult.Decoded(done.header(), rest);
                }
                return null;
            }
        }
        return null;
    }

    /**
     * Gives up on a header that did not complete before the caller's deadline.
     *
     * @throws IllegalStateException when a previous call already returned {@code Decoded} or {@code Invalid}
     */
    public DecodeResult.Invalid timeout() {
        ensureOpen();
        String reason = "timeout: no complete PROXY protocol header after " + count + " bytes";
        if (swallowing != null) {
            return invalid(reason + " (" + swallowing + ")", new byte[0]);
        }
        return fail(reason);
    }

    private Step evaluate(int n) {
        return switch (buffer[0]) {
            case 'P' -> V1Parser.evaluate(buffer, n);
            case 0x0D -> V2Parser.evaluate(buffer, n, maxHeaderBytes);
            default -> new Step.Fail("not a PROXY protocol header");
        };
    }

    private DecodeResult.Invalid fail(String reason) {
        return invalid(reason, Arrays.copyOfRange(buffer, swallowed(), count));
    }

    private DecodeResult.Invalid invalid(String reason, byte[] pending) {
        byte[] head = Arrays.copyOf(buffer, Math.min(count, HEAD_BYTES));
        finish();
        return new DecodeResult.Invalid(reason, head, pending);
    }

    /** How many leading buffered bytes count as the failed header (see the class comment). */
    private int swallowed() {
        if (V2Parser.hasSignature(buffer, count)) {
            if (count < V2Parser.FIXED_LENGTH) {
                return count;
            }
            return Math.min(V2Parser.FIXED_LENGTH + V2Parser.declaredLength(buffer), count);
        }
        int scan = Math.min(count, V1_MAX_LENGTH);
        for (int i = 0; i < scan; i++) {
            if (buffer[i] == '\n') {
                return i + 1;
            }
        }
        return scan;
    }

    private void append(byte[] chunk, int offset, int length) {
        if (count + length > buffer.length) {
            // grow geometrically up to the cap, but never keep more room than this chunk needs beyond it
            int grown = Math.min(2 * buffer.length, Math.max(V1_MAX_LENGTH, maxHeaderBytes));
            buffer = Arrays.copyOf(buffer, Math.max(count + length, grown));
        }
        System.arraycopy(chunk, offset, buffer, count, length);
        count += length;
    }

    private void ensureOpen() {
        if (finished) {
            throw new IllegalStateException("the PROXY header decoder has already decided");
        }
    }

    private void finish() {
        finished = true;
        // a refused peer may have sent a large chunk; do not keep it alive with the decoder
        buffer = new byte[0];
        count = 0;
    }
}
