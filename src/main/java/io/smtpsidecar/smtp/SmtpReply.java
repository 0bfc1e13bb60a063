package io.smtpsidecar.smtp;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One SMTP reply (RFC 5321 section 4.2), possibly multi-line.
 *
 * @param code  the three-digit reply code, 200..599
 * @param lines the text of each line after the code and its {@code ' '} or {@code '-'}, possibly empty strings
 * @param raw   the exact bytes received, including every line end, so the reply can be forwarded unchanged
 */
public record SmtpReply(int code, List<String> lines, byte[] raw) {
    public SmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code " + code + " out of range 200..599");
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply has at least one line");
        }
        raw = raw.clone();
    }

    /** A copy of the received bytes. */
    @Override
    public byte[] raw() {
        return raw.clone();
    }

    /** 2xx (RFC 5321 section 4.2.1). */
    public boolean isPositiveCompletion() {
        return code / 100 == 2;
    }

    /** The lines joined with single spaces, for logs. */
    public String text() {
        return String.join(" ", lines);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SmtpReply other
                && code == other.code
                && lines.equals(other.lines)
                && Arrays.equals(raw, other.raw);
    }

    @Override
    public int hashCode() {
        return Objects.hash(code, lines, Arrays.hashCode(raw));
    }

    @Override
    public String toString() {
        return "SmtpReply[" + code + " " + text() + "]";
    }
}
