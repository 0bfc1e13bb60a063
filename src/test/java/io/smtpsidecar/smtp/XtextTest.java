package io.smtpsidecar.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class XtextTest {

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "mail.example.org        | mail.example.org",
        "[UNAVAILABLE]           | [UNAVAILABLE]",
        "IPV6:2001:db8::1        | IPV6:2001:db8::1",
        "'a b'                   | a+20b",
        "a+b                     | a+2Bb",
        "a=b                     | a+3Db",
        "!~                      | !~",
        "''                      | ''",
    })
    void encodesPrintableAsciiExceptPlusAndEquals(String value, String xtext) {
        assertThat(Xtext.encode(value)).isEqualTo(xtext);
    }

    @Test
    void encodesControlAndNonAsciiBytes() {
        assertThat(Xtext.encode("a\r\nb")).isEqualTo("a+0D+0Ab");
        assertThat(Xtext.encode("\u0000")).isEqualTo("+00");
        assertThat(Xtext.encode("\t")).isEqualTo("+09");
        assertThat(Xtext.encode("\u007f")).isEqualTo("+7F");
        assertThat(Xtext.encode("caf\u00e9")).isEqualTo("caf+C3+A9");
        assertThat(Xtext.encode("\u20ac")).isEqualTo("+E2+82+AC");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mail.example.org", "a b+c=d", "\r\n\u0000\u007f", "caf\u00e9 \u20ac \uD83D\uDE00", "", "+"})
    void decodeRoundTrips(String value) {
        assertThat(Xtext.decode(Xtext.encode(value))).isEqualTo(value);
    }

    @Test
    void decodeAcceptsLowerCaseHexAndNeedlessEscapes() {
        assertThat(Xtext.decode("caf+c3+a9")).isEqualTo("caf\u00e9");
        assertThat(Xtext.decode("+41+42")).isEqualTo("AB");
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @CsvSource(delimiter = '|', value = {
        "a+          | bad xtext escape at offset 1: '+' must be followed by two hex digits",
        "a+4         | bad xtext escape at offset 1: '+' must be followed by two hex digits",
        "+4G         | bad xtext escape at offset 0: '+' must be followed by two hex digits",
        "+G4         | bad xtext escape at offset 0: '+' must be followed by two hex digits",
        "ab+\u0661\u0662 | bad xtext escape at offset 2: '+' must be followed by two hex digits",
        "a=b         | character U+003D at offset 1 is not allowed unencoded in xtext",
        "'a b'       | character U+0020 at offset 1 is not allowed unencoded in xtext",
        "caf\u00e9   | character U+00E9 at offset 3 is not allowed unencoded in xtext",
    })
    void decodeRejectsBadInput(String xtext, String message) {
        assertThatThrownBy(() -> Xtext.decode(xtext))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
