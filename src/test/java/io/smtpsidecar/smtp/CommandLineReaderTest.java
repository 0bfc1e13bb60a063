package io.smtpsidecar.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smtpsidecar.smtp.CommandLineReader.Line;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandLineReaderTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Line line(String text) {
        return new Line(text, false);
    }

    private static final Line TOO_LONG = new Line("", true);

    @Test
    void splitsCrlfAndBareLfLines() {
        CommandLineReader reader = new CommandLineReader(1000);
        assertThat(reader.feed(bytes("EHLO client.example\r\nMAIL FROM:<a@b>\nQUIT\r\n")))
                .containsExactly(line("EHLO client.example"), line("MAIL FROM:<a@b>"), line("QUIT"));
    }

    @Test
    void keepsPartialLinesAcrossChunks() {
        CommandLineReader reader = new CommandLineReader(1000);
        assertThat(reader.feed(bytes("EH"))).isEmpty();
        assertThat(reader.feed(bytes("LO x\r"))).isEmpty();
        assertThat(reader.feed(bytes("\nRS"))).containsExactly(line("EHLO x"));
        assertThat(reader.feed(bytes("ET\r\n"))).containsExactly(line("RSET"));
    }

    @Test
    void sameLinesWhateverTheSplitPoint() {
        byte[] all = bytes("EHLO a\r\n\r\nNOOP\nDATA\r\r\n");
        List<Line> expected = List.of(line("EHLO a"), line(""), line("NOOP"), line("DATA\r"));
        for (int split = 0; split <= all.length; split++) {
            CommandLineReader reader = new CommandLineReader(1000);
            List<Line> lines = new ArrayList<>(reader.feed(Arrays.copyOfRange(all, 0, split)));
            lines.addAll(reader.feed(Arrays.copyOfRange(all, split, all.length)));
            assertThat(lines).as("split at %d", split).isEqualTo(expected);
        }
    }

    @Test
    void onlyOneCrBeforeLfIsStripped() {
        assertThat(new CommandLineReader(1000).feed(bytes("a\r\r\nb\rc\n")))
                .containsExactly(line("a\r"), line("b\rc"));
    }

    @Test
    void decodesAsIso88591() {
        assertThat(new CommandLineReader(1000).feed(new byte[] {'H', (byte) 0xe9, (byte) 0xff, 0, '\n'}))
                .containsExactly(line("H\u00e9\u00ff\u0000"));
    }

    @Test
    void lineOfExactlyTheLimitIncludingCrlfIsAccepted() {
        CommandLineReader reader = new CommandLineReader(10);
        assertThat(reader.feed(bytes("12345678\r\n"))).containsExactly(line("12345678"));
        assertThat(reader.feed(bytes("123456789\n"))).containsExactly(line("123456789"));
    }

    @Test
    void reportsTooLongAsSoonAsTheLimitIsPassedThenDropsTheRestSilently() {
        CommandLineReader reader = new CommandLineReader(10);
        assertThat(reader.feed(bytes("123456789"))).isEmpty();
        // a tenth octet that is not LF: the line can only end longer than 10
        assertThat(reader.feed(bytes("0"))).containsExactly(TOO_LONG);
        assertThat(reader.feed(bytes("more and more"))).isEmpty();
        assertThat(reader.feed(bytes("\r\nNOOP\r\n"))).containsExactly(line("NOOP"));
    }

    @Test
    void crThatMakesTheLineTooLongCounts() {
        // "123456789\r\n" is 11 octets
        assertThat(new CommandLineReader(10).feed(bytes("123456789\r\nQUIT\r\n")))
                .containsExactly(TOO_LONG, line("QUIT"));
    }

    @Test
    void megabyteWithoutLfGivesExactlyOneTooLongLine() {
        CommandLineReader reader = new CommandLineReader(1000);
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'A');
        List<Line> lines = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            lines.addAll(reader.feed(chunk));
            // reported within the first chunk, at the limit, not when the LF finally arrives
            assertThat(lines).containsExactly(TOO_LONG);
        }
        lines.addAll(reader.feed(bytes("AAAA\r\nQUIT\r\n")));
        assertThat(lines).containsExactly(TOO_LONG, line("QUIT"));
    }

    @Test
    void severalLongLinesAreReportedOnceEach() {
        CommandLineReader reader = new CommandLineReader(5);
        assertThat(reader.feed(bytes("123456789\nab\n12345678\r\n")))
                .containsExactly(TOO_LONG, line("ab"), TOO_LONG);
    }

    @Test
    void rejectsALimitWithoutRoomForCrlf() {
        assertThatThrownBy(() -> new CommandLineReader(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxLineLength must be >= 2 (room for CRLF), got 1");
    }

    @Test
    void tooLongLinesHaveNoText() {
        assertThatThrownBy(() -> new Line("x", true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Line(null, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"QUIT", "quit", "Quit  ", "qUiT "})
    void quit(String line) {
        assertThat(CommandLineReader.isQuit(line)).isTrue();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"QUITX", "QUIT now", "QUIT\t", " QUIT", "QUI", "", "QUIT\r", "Q UIT"})
    void notQuit(String line) {
        assertThat(CommandLineReader.isQuit(line)).isFalse();
    }
}
