package io.smtpsidecar.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Re-reading the PEM files: a change is taken once, a broken pair is reported once and the old one kept. */
class ServerTlsTest {
    @TempDir
    Path dir;

    private void put(String resource, String name) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/tls/" + resource)) {
            Files.write(dir.resolve(name), in.readAllBytes());
        }
    }

    @Test
    void reloadsOnlyWhatChangedAndKeepsTheOldPairWhenTheNewOneIsBroken() throws Exception {
        put("ec.crt", "tls.crt");
        put("ec-sec1.key", "tls.key");
        ServerTls tls = ServerTls.load(dir.resolve("tls.crt").toString(), dir.resolve("tls.key").toString());
        assertThat(tls.subject()).isEqualTo("CN=ec.test");
        assertThat(tls.reloadIfChanged()).isEqualTo(ServerTls.Reload.UNCHANGED);

        put("rsa.crt", "tls.crt"); // half-way through a renewal: the key is still the old one
        assertThat(tls.reloadIfChanged()).isEqualTo(ServerTls.Reload.INVALID);
        assertThat(tls.problem()).startsWith("the key does not belong to the certificate (CN=rsa.test)");
        assertThat(tls.reloadIfChanged()).isEqualTo(ServerTls.Reload.UNCHANGED);
        assertThat(tls.subject()).isEqualTo("CN=ec.test");

        put("rsa-pkcs1.key", "tls.key");
        assertThat(tls.reloadIfChanged()).isEqualTo(ServerTls.Reload.RELOADED);
        assertThat(tls.subject()).isEqualTo("CN=rsa.test");

        Files.delete(dir.resolve("tls.key"));
        assertThat(tls.reloadIfChanged()).isEqualTo(ServerTls.Reload.INVALID);
        assertThat(tls.problem()).startsWith("cannot read");
        assertThat(tls.reloadIfChanged()).isEqualTo(ServerTls.Reload.UNCHANGED);
    }

    @Test
    void aPairThatDoesNotLoadAtStartIsAnError() throws Exception {
        put("ec.crt", "tls.crt");
        put("other-sec1.key", "tls.key");
        assertThatThrownBy(() -> ServerTls.load(dir.resolve("tls.crt").toString(), dir.resolve("tls.key").toString()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not belong");
        assertThatThrownBy(() -> ServerTls.load(dir.resolve("none.crt").toString(), dir.resolve("tls.key").toString()))
            .hasMessageStartingWith("cannot read");
    }
}
