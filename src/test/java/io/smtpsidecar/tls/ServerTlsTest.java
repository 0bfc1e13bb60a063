package io.smtpsidecar.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import io.smtpsidecar.config.SidecarConfig.TlsProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-reading the PEM files: a change is taken once, a broken pair is reported once and the old one kept. BoringSSL
 * (netty-tcnative, a dependency for linux-x86_64) must load here: {@code auto} means it.
 */
class ServerTlsTest {
    @TempDir
    Path dir;

    private void put(String resource, String name) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/tls/" + resource)) {
            Files.write(dir.resolve(name), in.readAllBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void reloadsOnlyWhatChangedAndKeepsTheOldPairWhenTheNewOneIsBroken(TlsProvider provider) throws Exception {
        put("ec.crt", "tls.crt");
        put("ec-sec1.key", "tls.key");
        ServerTls tls = ServerTls.load(dir.resolve("tls.crt").toString(), dir.resolve("tls.key").toString(),
            provider);
        assertThat(tls.providerName()).isEqualTo(provider == TlsProvider.JDK ? "jdk" : "openssl");
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
    void boringSslStateIsFreedWithTheConnectionNotByAFinalizer() throws Exception {
        put("ec.crt", "tls.crt");
        put("ec-sec1.key", "tls.key");
        ServerTls tls = ServerTls.load(dir.resolve("tls.crt").toString(), dir.resolve("tls.key").toString(),
            TlsProvider.OPENSSL);
        io.netty.channel.embedded.EmbeddedChannel channel = new io.netty.channel.embedded.EmbeddedChannel();
        io.netty.handler.ssl.SslHandler handler = tls.newHandler(channel.alloc(), java.time.Duration.ofSeconds(5));
        channel.pipeline().addLast(handler);
        // the image runs with --finalization=disabled: the engine must be reference-counted and released on close
        // (OpenSslEngine, the OPENSSL provider's, frees its native state in finalize())
        assertThat(handler.engine().getClass().getName())
            .isEqualTo("io.netty.handler.ssl.ReferenceCountedOpenSslEngine");
        io.netty.util.ReferenceCounted engine = (io.netty.util.ReferenceCounted) handler.engine();
        assertThat(engine.refCnt()).isEqualTo(1);
        channel.close().sync();
        channel.finishAndReleaseAll();
        assertThat(engine.refCnt()).isZero();
    }

    @Test
    void aPairThatDoesNotLoadAtStartIsAnError() throws Exception {
        put("ec.crt", "tls.crt");
        put("other-sec1.key", "tls.key");
        assertThatThrownBy(() -> ServerTls.load(dir.resolve("tls.crt").toString(), dir.resolve("tls.key").toString(),
            TlsProvider.AUTO))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not belong");
        assertThatThrownBy(() -> ServerTls.load(dir.resolve("none.crt").toString(), dir.resolve("tls.key").toString(),
            TlsProvider.AUTO))
            .hasMessageStartingWith("cannot read");
    }
}
