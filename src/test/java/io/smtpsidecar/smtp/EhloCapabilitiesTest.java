package io.smtpsidecar.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EhloCapabilitiesTest {

    private static SmtpReply reply(int code, String... lines) {
        return new SmtpReply(code, List.of(lines), "unused".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void readsPostfixXclientAttributes() {
        SmtpReply ehlo = reply(250, "postfix-ref.example.test", "PIPELINING", "SIZE 10240000",
                "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT", "8BITMIME", "CHUNKING");
        assertThat(EhloCapabilities.xclientAttributes(ehlo)).hasValueSatisfying(attributes -> assertThat(attributes)
                .containsExactly("NAME", "ADDR", "PROTO", "HELO", "REVERSE_NAME", "PORT", "LOGIN", "DESTADDR",
                        "DESTPORT"));
    }

    @Test
    void keywordAndAttributesAreCaseInsensitive() {
        SmtpReply ehlo = reply(250, "mta.example", "xclient name  addr\tPort ", "CHUNKING");
        assertThat(EhloCapabilities.xclientAttributes(ehlo))
                .hasValueSatisfying(attributes -> assertThat(attributes).containsExactly("NAME", "ADDR", "PORT"));
    }

    @Test
    void noXclientLine() {
        // Postfix after XCLIENT: the same list without XCLIENT
        SmtpReply ehlo = reply(250, "postfix-ref.example.test", "PIPELINING", "SIZE 10240000", "CHUNKING");
        assertThat(EhloCapabilities.xclientAttributes(ehlo)).isEmpty();
    }

    @Test
    void firstLineIsTheHostNameEvenIfItLooksLikeXclient() {
        assertThat(EhloCapabilities.xclientAttributes(reply(250, "XCLIENT ADDR NAME"))).isEmpty();
        assertThat(EhloCapabilities.xclientAttributes(reply(250, "XCLIENT ADDR NAME", "PIPELINING"))).isEmpty();
    }

    @Test
    void keywordMustBeWholeWord() {
        assertThat(EhloCapabilities.xclientAttributes(reply(250, "mta", "XCLIENTS ADDR NAME", "XFORWARD ADDR NAME")))
                .isEmpty();
    }

    @Test
    void xclientWithoutAttributes() {
        assertThat(EhloCapabilities.xclientAttributes(reply(250, "mta", "XCLIENT")))
                .hasValueSatisfying(attributes -> assertThat(attributes).isEmpty());
    }

    @Test
    void negativeReplyHasNoCapabilities() {
        assertThat(EhloCapabilities.xclientAttributes(reply(502, "mta", "XCLIENT ADDR NAME"))).isEmpty();
    }
}
