package io.smtpsidecar.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SmtpReplyParserTest {
    /** Postfix 3.7.11's EHLO reply to an XCLIENT-authorized client (reference/peers-observed.md). */
    private static final String POSTFIX_EHLO = """
            250-postfix-ref.example.test\r
            250-PIPELINING\r
            250-SIZE 10240000\r
            250-VRFY\r
            250-ETRN\r
            250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT\r
            250-ENHANCEDSTATUSCODES\r
            250-8BITMIME\r
            250-DSN\r
            250-SMTPUTF8\r
            250 CHUNKING\r
            """;
    private static final List<String> POSTFIX_EHLO_LINES = List.of(
            "postfix-ref.example.test", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN",
            "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT", "ENHANCEDSTATUSCODES",
            "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING");

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static SmtpReplyParser parser() {
        return new SmtpReplyParser(2048, 200);
    }

    @Test
    void assemblesPostfixEhloReply() throws SmtpProtocolException {
        List<SmtpReply> replies = parser().feed(bytes(POSTFIX_EHLO));
        assertThat(replies).hasSize(1);
        SmtpReply reply = replies.get(0);
        assertThat(reply.code()).isEqualTo(250);
        assertThat(reply.lines()).isEqualTo(POSTFIX_EHLO_LINES);
        assertThat(reply.raw()).isEqualTo(bytes(POSTFIX_EHLO));
        assertThat(reply.isPositiveCompletion()).isTrue();
    }

    @Test
    void sameReplyWhateverTheSplitPoint() throws SmtpProtocolException {
        byte[] all = bytes(POSTFIX_EHLO);
        for (int split = 0; split <= all.length; split++) {
            SmtpReplyParser parser = parser();
            List<SmtpReply> replies = new ArrayList<>(parser.feed(Arrays.copyOfRange(all, 0, split)));
            replies.addAll(parser.feed(Arrays.copyOfRange(all, split, all.length)));
            assertThat(replies).as("split at %d", split).hasSize(1);
            assertThat(replies.get(0).lines()).isEqualTo(POSTFIX_EHLO_LINES);
            assertThat(replies.get(0).raw()).isEqualTo(all);
            assertThat(parser.remainder()).isEmpty();
        }
    }

    @Test
    void sameReplyFedOneByteAtATime() throws SmtpProtocolException {
        byte[] all = bytes(POSTFIX_EHLO);
        SmtpReplyParser parser = parser();
        List<SmtpReply> replies = new ArrayList<>();
        for (byte b : all) {
            replies.addAll(parser.feed(new byte[] {b}));
        }
        assertThat(replies).hasSize(1);
        assertThat(replies.get(0).raw()).isEqualTo(all);
    }

    @Test
    void severalRepliesInOneChunk() throws SmtpProtocolException {
        String greeting = "220 mta.example ESMTP Postfix\r\n";
        String xclient = "220 mta.example ESMTP Postfix\r\n";
        List<SmtpReply> replies = parser().feed(bytes(greeting + POSTFIX_EHLO + xclient));
        assertThat(replies).extracting(SmtpReply::code).containsExactly(220, 250, 220);
        assertThat(replies.get(0).raw()).isEqualTo(bytes(greeting));
        assertThat(replies.get(1).raw()).isEqualTo(bytes(POSTFIX_EHLO));
    }

    @Test
    void acceptsBareLfAndKeepsRawBytes() throws SmtpProtocolException {
        String mixed = "250-first\n250-second\r\n250 last\n";
        SmtpReply reply = parser().feed(bytes(mixed)).get(0);
        assertThat(reply.lines()).containsExactly("first", "second", "last");
        assertThat(reply.raw()).isEqualTo(bytes(mixed));
    }

    @Test
    void codeOnlyAndEmptyTextLines() throws SmtpProtocolException {
        assertThat(parser().feed(bytes("250\r\n")).get(0).lines()).containsExactly("");
        assertThat(parser().feed(bytes("250 \r\n")).get(0).lines()).containsExactly("");
        SmtpReply reply = parser().feed(bytes("250-\r\n250 done\r\n")).get(0);
        assertThat(reply.lines()).containsExactly("", "done");
        assertThat(reply.text()).isEqualTo(" done");
    }

    @Test
    void textJoinsLinesForLogs() throws SmtpProtocolException {
        SmtpReply reply = parser().feed(bytes("550-5.7.0 Error:\r\n550 5.7.0 insufficient authorization\r\n")).get(0);
        assertThat(reply.text()).isEqualTo("5.7.0 Error: 5.7.0 insufficient authorization");
        assertThat(reply.isPositiveCompletion()).isFalse();
        assertThat(reply).hasToString("SmtpReply[550 5.7.0 Error: 5.7.0 insufficient authorization]");
    }

    @Test
    void decodesTextAsUtf8() throws SmtpProtocolException {
        byte[] utf8 = "250 caf\u00e9\r\n".getBytes(StandardCharsets.UTF_8);
        assertThat(parser().feed(utf8).get(0).lines()).containsExactly("caf\u00e9");
    }

    @Test
    void remainderHoldsBytesAfterTheLastCompleteReply() throws SmtpProtocolException {
        SmtpReplyParser parser = parser();
        assertThat(parser.feed(bytes("220 ready\r\n250-a\r\n250-b\r\n250 c"))).hasSize(1);
        assertThat(parser.remainder()).isEqualTo(bytes("250-a\r\n250-b\r\n250 c"));
        List<SmtpReply> rest = parser.feed(bytes("\r\n"));
        assertThat(rest).hasSize(1);
        assertThat(rest.get(0).raw()).isEqualTo(bytes("250-a\r\n250-b\r\n250 c\r\n"));
        assertThat(parser.remainder()).isEmpty();
    }

    @Test
    void remainderOfPartialLineOnly() throws SmtpProtocolException {
        SmtpReplyParser parser = parser();
        assertThat(parser.feed(bytes("220 ok\r\nEHLO-ish garbage"))).hasSize(1);
        assertThat(parser.remainder()).isEqualTo(bytes("EHLO-ish garbage"));
    }

    @Test
    void replyMayHaveExactlyMaxLines() throws SmtpProtocolException {
        SmtpReplyParser parser = new SmtpReplyParser(2048, 3);
        assertThat(parser.feed(bytes("250-a\r\n250-b\r\n250 c\r\n"))).hasSize(1);
    }

    @Test
    void rejectsMoreThanMaxLines() throws SmtpProtocolException {
        SmtpReplyParser parser = new SmtpReplyParser(2048, 3);
        parser.feed(bytes("250-a\r\n250-b\r\n250-c\r\n"));
        assertThatThrownBy(() -> parser.feed(bytes("250 d\r\n")))
                .isInstanceOf(SmtpProtocolException.class)
                .hasMessage("reply 250 has more than 3 lines");
    }

    @Test
    void lineOfExactlyMaxLengthIsAccepted() throws SmtpProtocolException {
        // 10 octets including CRLF, and 10 including a bare LF
        assertThat(new SmtpReplyParser(10, 5).feed(bytes("250 abcd\r\n"))).hasSize(1);
        assertThat(new SmtpReplyParser(10, 5).feed(bytes("250 abcde\n"))).hasSize(1);
    }

    @Test
    void rejectsCompleteLineOverMaxLength() {
        assertThatThrownBy(() -> new SmtpReplyParser(10, 5).feed(bytes("250 abcde\r\n")))
                .isInstanceOf(SmtpProtocolException.class)
                .hasMessage("reply line longer than 10 octets: '250 abcde\\x0D\\x0A'");
    }

    @Test
    void rejectsLongPartialLineWithoutWaitingForItsEnd() throws SmtpProtocolException {
        SmtpReplyParser parser = new SmtpReplyParser(10, 5);
        assertThat(parser.feed(bytes("250 abcd"))).isEmpty();
        assertThat(parser.feed(bytes("\r"))).isEmpty();
        // 10 octets buffered and no LF yet: the line can only end longer than 10
        assertThatThrownBy(() -> parser.feed(bytes("x")))
                .isInstanceOf(SmtpProtocolException.class)
                .hasMessage("reply line longer than 10 octets: '250 abcd\\x0Dx'");
    }

    @Test
    void rejectsHugeChunkWithoutLf() {
        byte[] huge = new byte[1 << 20];
        Arrays.fill(huge, (byte) 'a');
        assertThatThrownBy(() -> parser().feed(huge))
                .isInstanceOf(SmtpProtocolException.class)
                .hasMessage("reply line longer than 2048 octets: '" + "a".repeat(80) + "'...");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "'2x0 ok\\r\\n'     | malformed reply line, reply code is not three digits: '2x0 ok'",
        "'abc\\r\\n'        | malformed reply line, reply code is not three digits: 'abc'",
        "' 250 ok\\r\\n'    | malformed reply line, reply code is not three digits: ' 250 ok'",
        "'25\\r\\n'         | malformed reply line, shorter than a reply code: '25'",
        "'\\r\\n'           | malformed reply line, shorter than a reply code: ''",
        "'\\n'              | malformed reply line, shorter than a reply code: ''",
        "'250xok\\r\\n'     | malformed reply line, expected ' ' or '-' after the code: '250xok'",
        "'250\\tok\\r\\n'   | malformed reply line, expected ' ' or '-' after the code: '250\\x09ok'",
        "'199 early\\r\\n'  | reply code 199 out of range 200..599 in line '199 early'",
        "'600 late\\r\\n'   | reply code 600 out of range 200..599 in line '600 late'",
        "'000\\r\\n'        | reply code 0 out of range 200..599 in line '000'",
        "'250-a\\r\\n251 b\\r\\n' | reply code changed within a multi-line reply: 250 then 251 in line '251 b'",
        "'250-a\\r\\n550-b\\r\\n' | reply code changed within a multi-line reply: 250 then 550 in line '550-b'",
    })
    void rejectsMalformedLines(String input, String message) {
        byte[] wire = bytes(input.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t"));
        assertThatThrownBy(() -> parser().feed(wire))
                .isInstanceOf(SmtpProtocolException.class)
                .hasMessage(message);
    }

    @Test
    void quotesUnprintableBytesInMessages() {
        byte[] wire = {'2', '5', '0', '-', 'a', '\r', '\n', '2', '5', '1', ' ', (byte) 0xff, 0, '\'', '\r', '\n'};
        assertThatThrownBy(() -> parser().feed(wire))
                .isInstanceOf(SmtpProtocolException.class)
                .hasMessage("reply code changed within a multi-line reply: 250 then 251 in line '251 \\xFF\\x00\\x27'");
    }

    @Test
    void rejectsBadLimits() {
        assertThatThrownBy(() -> new SmtpReplyParser(3, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxLineLength must be >= 4, got 3");
        assertThatThrownBy(() -> new SmtpReplyParser(512, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxLines must be >= 1, got 0");
    }

    @Test
    void replyValueValidatesAndCopies() {
        byte[] raw = bytes("250 ok\r\n");
        SmtpReply reply = new SmtpReply(250, List.of("ok"), raw);
        raw[0] = 'X';
        assertThat(reply.raw()).isEqualTo(bytes("250 ok\r\n"));
        reply.raw()[0] = 'Y';
        assertThat(reply.raw()).isEqualTo(bytes("250 ok\r\n"));
        assertThat(reply).isEqualTo(new SmtpReply(250, List.of("ok"), bytes("250 ok\r\n")))
                .hasSameHashCodeAs(new SmtpReply(250, List.of("ok"), bytes("250 ok\r\n")));
        assertThatThrownBy(() -> new SmtpReply(199, List.of("x"), raw))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("reply code 199 out of range 200..599");
        assertThatThrownBy(() -> new SmtpReply(250, List.of(), raw))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a reply has at least one line");
    }
}
