package io.smtpsidecar.proxy;

import java.util.Arrays;
import java.util.Objects;

/** What {@link ProxyHeaderDecoder} decided about the bytes received so far. */
public sealed interface DecodeResult permits DecodeResult.NeedMore, DecodeResult.Decoded, DecodeResult.Invalid {

    /** The bytes so far are a valid beginning of a header; feed more. */
    record NeedMore() implements DecodeResult {
    }

    /**
     * A complete, valid header.
     *
     * @param header the header
     * @param rest   the bytes received after the header so far, untouched (may be empty, never null)
     */
    record Decoded(ProxyHeader header, byte[] rest) implements DecodeResult {
        public Decoded {
            Objects.requireNonNull(header, "header");
            rest = rest.clone();
        }

        @Override
        public byte[] rest() {
            return rest.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Decoded d && d.header.equals(header) && Arrays.equals(d.rest, rest);
        }

        @Override
        public int hashCode() {
            return 31 * header.hashCode() + Arrays.hashCode(rest);
        }

        @Override
        public String toString() {
            return "Decoded[header=" + header + ", rest=" + rest.length + " bytes]";
        }
    }

    /**
     * The input cannot be (or did not become in time) a valid header.
     *
     * @param reason  short English description of the first problem, for logs and metrics
     * @param head    the first up to 64 bytes received, for an escaped log copy
     * @param pending the bytes received after the part of the input taken as the failed header; see
     *                {@link ProxyHeaderDecoder} for how that part is measured
     */
    record Invalid(String reason, byte[] head, byte[] pending) implements DecodeResult {
        public Invalid {
            Objects.requireNonNull(reason, "reason");
            if (head.length > ProxyHeaderDecoder.HEAD_BYTES) {
                throw new IllegalArgumentException("head must be at most " + ProxyHeaderDecoder.HEAD_BYTES
                        + " bytes, got " + head.length);
            }
            head = head.clone();
            pending = pending.clone();
        }

        @Override
        public byte[] head() {
            return head.clone();
        }

        @Override
        public byte[] pending() {
            return pending.clone();
        }

        /** The header version the input was heading for ({@code v1}, {@code v2}, {@code none}): a metric label. */
        public String version() {
            return head.length == 0 ? "none" : head[0] == 'P' ? "v1" : head[0] == 0x0D ? "v2" : "none";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Invalid i && i.reason.equals(reason) && Arrays.equals(i.head, head)
                    && Arrays.equals(i.pending, pending);
        }

        @Override
        public int hashCode() {
            return Objects.hash(reason, Arrays.hashCode(head), Arrays.hashCode(pending));
        }

        @Override
        public String toString() {
            return "Invalid[reason=" + reason + ", head=" + head.length + " bytes, pending=" + pending.length
                    + " bytes]";
        }
    }
}
