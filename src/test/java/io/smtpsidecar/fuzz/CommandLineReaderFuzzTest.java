package io.smtpsidecar.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpsidecar.smtp.CommandLineReader;
import io.smtpsidecar.smtp.CommandLineReader.Line;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Refusal-mode line reader: the lines do not depend on how the input was split into reads, they match an
 * independent model of the documented rules, no text is longer than the limit and none holds an LF or the CR of
 * its CRLF (a bare CR elsewhere in a line is data and is kept).
 */
class CommandLineReaderFuzzTest {

    @FuzzTest
    void feed(FuzzedDataProvider data) {
        // 1000 is the production limit; small limits reach the too-long path with short inputs
        int limit = data.consumeBoolean() ? 1000 : data.consumeInt(2, 40);
        long fragmentSeed = data.consumeLong();
        byte[] input = data.consumeRemainingAsBytes();

        List<Line> whole = new CommandLineReader(limit).feed(input);

        CommandLineReader fragmented = new CommandLineReader(limit);
        List<Line> pieces = new ArrayList<>();
        for (byte[] chunk : Fragments.split(input, fragmentSeed)) {
            pieces.addAll(fragmented.feed(chunk));
        }
        assertThat(pieces).as("fragmented feed").isEqualTo(whole);
        assertThat(whole).as("model").isEqualTo(model(input, limit));

        for (Line line : whole) {
            assertThat(line.text().length()).isLessThanOrEqualTo(limit - 1);
            // a CR is dropped only right before the LF; a bare CR inside a line is kept (the model checks which)
            assertThat(line.text()).doesNotContain("\n");
            if (line.tooLong()) {
                assertThat(line.text()).isEmpty();
            }
            String t = line.text();
            boolean quit = t.length() >= 4 && t.substring(0, 4).toUpperCase(Locale.ROOT).equals("QUIT")
                    && t.substring(4).chars().allMatch(c -> c == ' ');
            assertThat(CommandLineReader.isQuit(t)).as("isQuit(%s)", t).isEqualTo(quit);
        }
    }

    /**
     * The documented rules written out directly: split at LF, drop one CR before it; a line whose part before
     * the LF reaches the limit yields one too-long marker; an unterminated tail yields only its marker if it is
     * already too long.
     */
    private static List<Line> model(byte[] input, int limit) {
        List<Line> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= input.length; i++) {
            boolean lf = i < input.length && input[i] == '\n';
            if (!lf && i < input.length) {
                continue;
            }
            int length = i - start; // bytes before the LF (or before the end of input)
            if (length >= limit) {
                out.add(new Line("", true));
            } else if (lf) {
                int end = length > 0 && input[i - 1] == '\r' ? i - 1 : i;
                out.add(new Line(new String(input, start, end - start, StandardCharsets.ISO_8859_1), false));
            }
            start = i + 1;
        }
        return out;
    }
}
