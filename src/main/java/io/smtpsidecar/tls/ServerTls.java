package io.smtpsidecar.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.smtpsidecar.config.SidecarConfig.TlsProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLException;

/**
 * The server side of a {@code tls: terminate} listener: the current certificate and key, TLS 1.2 and 1.3 only, on
 * BoringSSL (netty-tcnative) or the JDK's TLS. {@link #reloadIfChanged()} re-reads the PEM files (cert-manager renews a mounted Secret in place);
 * a new pair that does not load keeps the old one. Sessions take the context current at their handshake, so a
 * reload never touches a session.
 */
public final class ServerTls {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** What a reload found. */
    public enum Reload { UNCHANGED, RELOADED, INVALID }

    private final Path certificate;
    private final Path key;
    private final SslProvider provider;
    private volatile SslContext context;
    private volatile String subject;
    private byte[] loaded;
    private byte[] rejected;
    private String problem;

    private ServerTls(Path certificate, Path key, SslProvider provider) {
        this.certificate = certificate;
        this.key = key;
        this.provider = provider;
    }

    /**
     * Reads and checks the pair (blocking: call at start or on a worker thread).
     *
     * @throws IllegalArgumentException saying what is wrong with the files
     */
    public static ServerTls load(String certificatePath, String keyPath, TlsProvider provider) {
        ServerTls tls = new ServerTls(Path.of(certificatePath), Path.of(keyPath), provider(provider));
        if (tls.reloadIfChanged() == Reload.INVALID) {
            throw new IllegalArgumentException(tls.problem);
        }
        return tls;
    }

    /**
     * BoringSSL where its library loads ({@code auto}): its handshakes cost a fraction of the JDK's CPU
     * (docs/BENCHMARKS.md).
     *
     * @throws UnsupportedOperationException for {@code openssl} where it does not load, saying why
     */
    static SslProvider provider(TlsProvider wanted) {
        return switch (wanted) {
            case JDK -> SslProvider.JDK;
            // reference-counted: the plain OPENSSL kind frees its native state in finalizers, which the image's JVM
            // runs without (--finalization=disabled); SslHandler releases each engine when the connection ends
            case AUTO -> OpenSsl.isAvailable() ? SslProvider.OPENSSL_REFCNT : SslProvider.JDK;
            case OPENSSL -> {
                if (!OpenSsl.isAvailable()) {
                    throw new UnsupportedOperationException("BoringSSL is not available here: "
                        + OpenSsl.unavailabilityCause() + " (auto or jdk run anywhere)");
                }
                yield SslProvider.OPENSSL_REFCNT;
            }
        };
    }

    /** The TLS implementation in use: {@code openssl} (BoringSSL) or {@code jdk}. */
    public String providerName() {
        return provider == SslProvider.OPENSSL_REFCNT ? "openssl" : "jdk";
    }

    /** A handler for one accepted connection, with the current certificate. */
    public SslHandler newHandler(ByteBufAllocator alloc, Duration handshakeTimeout) {
        SslHandler handler = context.newHandler(alloc);
        handler.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        return handler;
    }

    /** The leaf certificate's subject, for logs. */
    public String subject() {
        return subject;
    }

    /** Why the last reload was {@link Reload#INVALID}. */
    public String problem() {
        return problem;
    }

    /**
     * Re-reads both files (blocking). Unchanged content, or content already rejected once, is {@code UNCHANGED}: a
     * broken pair is reported once, not every scan.
     */
    public synchronized Reload reloadIfChanged() {
        byte[] certBytes;
        byte[] keyBytes;
        try {
            certBytes = Files.readAllBytes(certificate);
            keyBytes = Files.readAllBytes(key);
        } catch (IOException e) {
            return invalid(null, "cannot read " + e.getMessage());
        }
        byte[] digest = digest(certBytes, keyBytes);
        if (Arrays.equals(digest, loaded) || Arrays.equals(digest, rejected)) {
            return Reload.UNCHANGED;
        }
        SslContext previous = context;
        try {
            PemPair pair = PemPair.parse(certBytes, keyBytes);
            context = SslContextBuilder.forServer(pair.key(), pair.chain().toArray(new X509Certificate[0]))
                .sslProvider(provider).protocols(PROTOCOLS).build();
            subject = pair.chain().get(0).getSubjectX500Principal().getName();
        } catch (IllegalArgumentException | SSLException e) {
            return invalid(digest, e.getMessage());
        }
        // engines made from the old context hold their own reference: sessions in progress keep it alive
        ReferenceCountUtil.release(previous);
        loaded = digest;
        rejected = null;
        problem = null;
        return Reload.RELOADED;
    }

    private Reload invalid(byte[] digest, String why) {
        String text = why + " (" + certificate + ", " + key + ")";
        if (digest == null && text.equals(problem)) {
            return Reload.UNCHANGED;
        }
        rejected = digest;
        problem = text;
        return Reload.INVALID;
    }

    private static byte[] digest(byte[] a, byte[] b) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(a);
            sha.update(new byte[] {0});
            sha.update(b);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
