package io.smtpsidecar.smtp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits client input into command lines for refusal mode, where every line is answered but none is executed.
 *
 * <p>A line ends at LF; one CR right before it is dropped. A line may be at most {@code maxLineLength} octets
 * including its line end (RFC 5321 section 4.5.3.1.4: 1000 with CRLF for SMTP text lines). As soon as the buffered
 * part of a line reaches that size without an LF, one {@link Line} with {@code tooLong = true} is returned and the
 * rest of that line, up to and including its LF, is dropped without further reports. At most
 * {@code maxLineLength - 1} bytes are ever buffered, and every input byte is looked at once.
 */
public final class CommandLineReader {
    private final byte[] buffer;
    private int length;
    private boolean discarding;

    /** One input line: its text without CR/LF, decoded as ISO-8859-1 (lossless), or an empty too-long marker. */
    public record Line(String text, boolean tooLong) {
        public Line {
            if (text == null || (tooLong && !text.isEmpty())) {
                throw new IllegalArgumentException("a line has text, a too-long line has empty text");
            }
        }
    }

    public CommandLineReader(int maxLineLength) {
        if (maxLineLength < 2) {
            throw new IllegalArgumentException("maxLineLength must be >= 2 (room for CRLF), got " + maxLineLength);
        }
        // everything of a line but its LF
        this.buffer = new byte[maxLineLength - 1];
    }

    /** Consumes {@code chunk} and returns the lines it completed, and too-long markers, in input order. */
    public List<Line> feed(byte[] chunk) {
        List<Line> out = new ArrayList<>(1);
        for (byte b : chunk) {
            if (b == '\n') {
                if (!discarding) {
                    int end = length > 0 && buffer[length - 1] == '\r' ? length - 1 : length;
                    out.add(new Line(new String(buffer, 0, end, StandardCharsets.ISO_8859_1), false));
                }
                discarding = false;
                length = 0;
            } else if (!discarding) {
                if (length == buffer.length) {
                    out.add(new Line("", true));
                    discarding = true;
                    length = 0;
                } else {
                    buffer[length++] = b;
                }
            }
        }
        return out;
    }

    /** {@code QUIT} in any case, optionally followed by spaces only (RFC 5321 section 4.1.1.10 takes no argument). */
    public static boolean isQuit(String line) {
        if (line.length() < 4 || !line.regionMatches(true, 0, "QUIT", 0, 4)) {
            return false;
        }
        for (int i = 4; i < line.length(); i++) {
            if (line.charAt(i) != ' ') {
                return false;
            }
        }
        return true;
    }
}
