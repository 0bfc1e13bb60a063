package io.smtpsidecar.smtp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Incremental assembler of SMTP replies read from the backend (RFC 5321 section 4.2): {@code ddd-text} lines
 * continue a reply, a {@code ddd text} or bare {@code ddd} line ends it. Lines end with CRLF; a bare LF is accepted
 * too, and {@link SmtpReply#raw()} keeps whichever was received.
 *
 * <p>Memory is bounded: a line may be at most {@code maxLineLength} octets including its line end and is rejected as
 * soon as the buffered part reaches that size without an LF; a reply may have at most {@code maxLines} lines. Any
 * violation throws {@link SmtpProtocolException}; the parser must not be fed again after that.
 *
 * <p>Line text is decoded as UTF-8 (malformed bytes become U+FFFD); it is only used for logs and capability parsing.
 */
public final class SmtpReplyParser {
    private static final int MIN_LINE_LENGTH = 4; // "ddd" + LF
    private static final int QUOTE_LIMIT = 80;

    private final int maxLineLength;
    private final int maxLines;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    /** Complete lines of the reply being assembled. */
    private final ByteArrayOutputStream reply = new ByteArrayOutputStream();
    private final List<String> lines = new ArrayList<>();
    private int code;

    public SmtpReplyParser(int maxLineLength, int maxLines) {
        if (maxLineLength < MIN_LINE_LENGTH) {
            throw new IllegalArgumentException("maxLineLength must be >= " + MIN_LINE_LENGTH + ", got " + maxLineLength);
        }
        if (maxLines < 1) {
            throw new IllegalArgumentException("maxLines must be >= 1, got " + maxLines);
        }
        this.maxLineLength = maxLineLength;
        this.maxLines = maxLines;
    }

    /** Consumes {@code chunk} and returns the replies it completed, in order (often none). */
    public List<SmtpReply> feed(byte[] chunk) throws SmtpProtocolException {
        List<SmtpReply> complete = new ArrayList<>(1);
        int start = 0;
        while (start < chunk.length) {
            int lf = indexOfLf(chunk, start);
            if (lf < 0) {
                // the LF still to come adds one more octet, so reaching the limit now is already too long
                if (line.size() + chunk.length - start >= maxLineLength) {
                    throw lineTooLong(chunk, start);
                }
                line.write(chunk, start, chunk.length - start);
                break;
            }
            if (line.size() + lf + 1 - start > maxLineLength) {
                throw lineTooLong(chunk, start);
            }
            line.write(chunk, start, lf + 1 - start);
            SmtpReply done = acceptLine();
            if (done != null) {
                complete.add(done);
            }
            start = lf + 1;
        }
        return complete;
    }

    /** Bytes received after the last complete reply: lines of an unfinished reply and a partial line. */
    public byte[] remainder() {
        byte[] done = reply.toByteArray();
        byte[] partial = line.toByteArray();
        byte[] all = new byte[done.length + partial.length];
        System.arraycopy(done, 0, all, 0, done.length);
        System.arraycopy(partial, 0, all, done.length, partial.length);
        return all;
    }

    private SmtpReply acceptLine() throws SmtpProtocolException {
        byte[] bytes = line.toByteArray();
        line.reset();
        int end = bytes.length - 1;
        if (end > 0 && bytes[end - 1] == '\r') {
            end--;
        }
        int lineCode = parseCode(bytes, end);
        boolean last = end == 3 || bytes[3] == ' ';
        if (!last && bytes[3] != '-') {
            throw new SmtpProtocolException("malformed reply line, expected ' ' or '-' after the code: "
                    + quote(bytes, end));
        }
        if (lines.isEmpty()) {
            code = lineCode;
        } else if (lineCode != code) {
            throw new SmtpProtocolException("reply code changed within a multi-line reply: " + code + " then "
                    + lineCode + " in line " + quote(bytes, end));
        }
        if (lines.size() == maxLines) {
            throw new SmtpProtocolException("reply " + code + " has more than " + maxLines + " lines");
        }
        lines.add(end > 4 ? new String(bytes, 4, end - 4, StandardCharsets.UTF_8) : "");
        reply.write(bytes, 0, bytes.length);
        if (!last) {
            return null;
        }
        SmtpReply done = new SmtpReply(code, lines, reply.toByteArray());
        lines.clear();
        reply.reset();
        return done;
    }

    private static int parseCode(byte[] bytes, int end) throws SmtpProtocolException {
        if (end < 3) {
            throw new SmtpProtocolException("malformed reply line, shorter than a reply code: " + quote(bytes, end));
        }
        int value = 0;
        for (int i = 0; i < 3; i++) {
            if (bytes[i] < '0' || bytes[i] > '9') {
                throw new SmtpProtocolException("malformed reply line, reply code is not three digits: "
                        + quote(bytes, end));
            }
            value = value * 10 + (bytes[i] - '0');
        }
        if (value < 200 || value > 599) {
            throw new SmtpProtocolException("reply code " + value + " out of range 200..599 in line "
                    + quote(bytes, end));
        }
        return value;
    }

    private SmtpProtocolException lineTooLong(byte[] chunk, int start) {
        byte[] buffered = line.toByteArray();
        int fromChunk = Math.min(chunk.length - start, Math.max(0, QUOTE_LIMIT + 1 - buffered.length));
        byte[] head = Arrays.copyOf(buffered, buffered.length + fromChunk);
        System.arraycopy(chunk, start, head, buffered.length, fromChunk);
        return new SmtpProtocolException("reply line longer than " + maxLineLength + " octets: "
                + quote(head, head.length));
    }

    private static int indexOfLf(byte[] chunk, int from) {
        for (int i = from; i < chunk.length; i++) {
            if (chunk[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Backend bytes end up in logs: show printable ASCII, escape the rest, cut long lines. */
    private static String quote(byte[] bytes, int length) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < Math.min(length, QUOTE_LIMIT); i++) {
            int c = bytes[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02X", c));
            }
        }
        sb.append('\'');
        if (length > QUOTE_LIMIT) {
            sb.append("...");
        }
        return sb.toString();
    }
}
