package io.smtpsidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.BindException;
import org.junit.jupiter.api.Test;

/** The one line an operator reads when a port cannot be opened, whatever transport failed. */
class ListenExceptionTest {

    @Test
    void namesAddressKeyAndTheSystemsReason() {
        assertThat(new ListenException("listen.port", "127.0.0.1", 2525, new BindException("Address already in use")))
            .hasMessage("cannot listen on 127.0.0.1:2525 (listen.port): address already in use");
    }

    @Test
    void nativeTransportsPrefixTheCallThatFailed() {
        // Netty's Errors$NativeIoException is an IOException with this message
        assertThat(new ListenException("metrics.port", "0.0.0.0", 9100,
            new IOException("bind(..) failed: Address already in use")))
            .hasMessage("cannot listen on 0.0.0.0:9100 (metrics.port): address already in use");
    }

    @Test
    void ipv6AddressesAreBracketed() {
        assertThat(new ListenException("listen.port", "::1", 25, new BindException("Permission denied")))
            .hasMessage("cannot listen on [::1]:25 (listen.port): permission denied");
    }
}
