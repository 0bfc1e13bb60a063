package io.smtpsidecar.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
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
 * the JDK's TLS. {@link #reloadIfChanged()} re-reads the PEM files (cert-manager renews a mounted Secret in place);
 * a new pair that does not load keeps the old one. Sessions take the context current at their handshake, so a
 * reload never touches a session.
 */
public final class ServerTls {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** What a reload found. */
    public enum Reload { UNCHANGED, RELOADED, INVALID }

    private final Path certificate;
    private final Path key;
    private volatile SslContext context;
    private volatile String subject;
    private byte[] loaded;
    private byte[] rejected;
    private String problem;

    private ServerTls(Path certificate, Path key) {
        this.certificate = certificate;
        this.key = key;
    }

    /**
     * Reads and checks the pair (blocking: call at start or on a worker thread).
     *
     * @throws IllegalArgumentException saying what is wrong with the files
     */
    public static ServerTls load(String certificatePath, String keyPath) {
        ServerTls tls = new ServerTls(Path.of(certificatePath), Path.of(keyPath));
        if (tls.reloadIfChanged() == Reload.INVALID) {
            throw new IllegalArgumentException(tls.problem);
        }
        return tls;
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
        try {
            PemPair pair = PemPair.parse(certBytes, keyBytes);
            context = SslContextBuilder.forServer(pair.key(), pair.chain().toArray(new X509Certificate[0]))
                .sslProvider(SslProvider.JDK).protocols(PROTOCOLS).build();
            subject = pair.chain().get(0).getSubjectX500Principal().getName();
        } catch (IllegalArgumentException | SSLException e) {
            return invalid(digest, e.getMessage());
        }
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
