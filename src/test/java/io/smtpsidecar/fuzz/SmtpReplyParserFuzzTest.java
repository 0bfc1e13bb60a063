package io.smtpsidecar.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpsidecar.smtp.SmtpProtocolException;
import io.smtpsidecar.smtp.SmtpReply;
import io.smtpsidecar.smtp.SmtpReplyParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SMTP reply parser, fed the same input whole and in fuzzer-chosen reads.
 *
 * <ul>
 *   <li>Only {@link SmtpProtocolException} is thrown (anything else fails the test), and whether it is thrown does
 *       not depend on the reads; without one, the replies and the remainder do not either.</li>
 *   <li>The raw bytes of all replies followed by {@code remainder()} are exactly the input.</li>
 *   <li>Each reply is well formed: code 200..599 on every line, {@code ddd-} on all lines but the last, at most
 *       {@code maxLines} lines of at most {@code maxLineLength} bytes, and {@code lines} is the text of each line
 *       after the code and separator, without its line end.</li>
 * </ul>
 */
class SmtpReplyParserFuzzTest {

    @FuzzTest
    void feed(FuzzedDataProvider data) {
        int maxLineLength = data.consumeBoolean() ? 2048 : data.consumeInt(4, 64);
        int maxLines = data.consumeBoolean() ? 100 : data.consumeInt(1, 5);
        long fragmentSeed = data.consumeLong();
        byte[] input = data.consumeRemainingAsBytes();

        SmtpReplyParser whole = new SmtpReplyParser(maxLineLength, maxLines);
        List<SmtpReply> replies;
        try {
            replies = whole.feed(input);
        } catch (SmtpProtocolException e) {
            replies = null;
        }

        SmtpReplyParser pieces = new SmtpReplyParser(maxLineLength, maxLines);
        List<SmtpReply> fragmented = new ArrayList<>();
        boolean failed = false;
        for (byte[] chunk : Fragments.split(input, fragmentSeed)) {
            try {
                fragmented.addAll(pieces.feed(chunk));
            } catch (SmtpProtocolException e) {
                failed = true;
                break;
            }
        }
        assertThat(failed).as("fragmented feed threw, whole feed threw: %s", replies == null)
                .isEqualTo(replies == null);
        if (replies == null) {
            return;
        }
        assertThat(fragmented).isEqualTo(replies);
        assertThat(pieces.remainder()).isEqualTo(whole.remainder());

        List<byte[]> parts = new ArrayList<>();
        for (SmtpReply reply : replies) {
            parts.add(reply.raw());
            checkReply(reply, maxLineLength, maxLines);
        }
        parts.add(whole.remainder());
        assertThat(Fragments.concat(parts)).isEqualTo(input);
    }

    private static void checkReply(SmtpReply reply, int maxLineLength, int maxLines) {
        byte[] raw = reply.raw();
        assertThat(reply.code()).isBetween(200, 599);
        assertThat(raw[raw.length - 1]).isEqualTo((byte) '\n');
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] != '\n') {
                continue;
            }
            byte[] line = Arrays.copyOfRange(raw, start, i + 1);
            start = i + 1;
            assertThat(line.length).isLessThanOrEqualTo(maxLineLength);
            int end = line.length - 1;
            if (end > 0 && line[end - 1] == '\r') {
                end--;
            }
            String code = new String(line, 0, 3, StandardCharsets.US_ASCII);
            assertThat(code).isEqualTo(Integer.toString(reply.code()));
            boolean last = start == raw.length;
            if (last) {
                assertThat(end == 3 || line[3] == ' ').as("last line separator").isTrue();
            } else {
                assertThat(line[3]).as("continuation separator").isEqualTo((byte) '-');
            }
            lines.add(end > 4 ? new String(line, 4, end - 4, StandardCharsets.UTF_8) : "");
        }
        assertThat(lines).hasSizeLessThanOrEqualTo(maxLines);
        assertThat(reply.lines()).isEqualTo(lines);
    }
}
