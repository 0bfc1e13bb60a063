package io.smtpsidecar.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class XclientAttributesTest {
    @Test
    void pairsAreDecodedAndNamesUpperCasedInOrder() throws Exception {
        assertThat(XclientAttributes.parse(" addr=192.0.2.1  PORT=50000 NAME=[UNAVAILABLE] HELO=a+2Bb"))
            .containsExactly(java.util.Map.entry("ADDR", "192.0.2.1"), java.util.Map.entry("PORT", "50000"),
                java.util.Map.entry("NAME", "[UNAVAILABLE]"), java.util.Map.entry("HELO", "a+b"));
    }

    @Test
    void aPairWithoutNameOrEqualsIsPostfixs501() {
        assertThatThrownBy(() -> XclientAttributes.parse("ADDR=192.0.2.1 junk"))
            .hasMessage("501 5.5.4 Error: attribute=value expected");
        assertThatThrownBy(() -> XclientAttributes.parse("=x")).hasMessage("501 5.5.4 Error: attribute=value expected");
    }

    @Test
    void badXtextNamesTheAttribute() {
        assertThatThrownBy(() -> XclientAttributes.parse("NAME=a+zz")).hasMessage("501 5.5.4 Bad NAME syntax");
    }
}
