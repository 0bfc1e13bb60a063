package io.smtpsidecar.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.BindException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SocketErrorsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "recvAddress(..) failed with error(-104): Connection reset by peer|Connection reset by peer",
        "bind(..) failed: Address already in use|Address already in use",
        "writevAddresses(..) failed with error(-32): Broken pipe|Broken pipe",
        "Connection reset|Connection reset",
        "Address already in use|Address already in use",
        "  Connection refused: /127.0.0.1:25 |Connection refused: /127.0.0.1:25"})
    void nativePrefixIsDropped(String message, String text) {
        assertThat(SocketErrors.text(new IOException(message))).isEqualTo(text);
    }

    @Test
    void noMessageGivesTheType() {
        assertThat(SocketErrors.text(new BindException())).isEqualTo("BindException");
    }
}
