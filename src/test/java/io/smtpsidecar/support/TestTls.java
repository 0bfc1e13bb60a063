package io.smtpsidecar.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed ECDSA P-256 certificate and key made for a test by the JDK's own {@code keytool}, written as the PEM
 * files a {@code tls: terminate} listener reads, with a client TLS context that trusts exactly it.
 */
public final class TestTls {
    private static final char[] PASSWORD = "changeit".toCharArray();

    private final X509Certificate certificate;
    private final PrivateKey key;

    private TestTls(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** A new key pair and certificate for {@code commonName}, made in {@code dir}. */
    public static TestTls generate(Path dir, String commonName) throws Exception {
        Path store = Files.createTempFile(dir, commonName, ".p12");
        Files.delete(store);
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
            "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "CN=" + commonName,
            "-ext", "SAN=dns:" + commonName, "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
            "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD);
        }
        return new TestTls((X509Certificate) ks.getCertificate("server"), (PrivateKey) ks.getKey("server", PASSWORD));
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The certificate as PEM. */
    public String certificatePem() throws Exception {
        return pem("CERTIFICATE", certificate.getEncoded());
    }

    /** The key as PKCS#8 PEM. */
    public String keyPem() {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    /** Writes both PEM files (replacing them as a renewal does: each file written whole, then moved into place). */
    public void writeTo(Path certificateFile, Path keyFile) throws Exception {
        replace(certificateFile, certificatePem());
        replace(keyFile, keyPem());
    }

    private static void replace(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.writeString(tmp, text);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** A client context that trusts this certificate only. */
    public SSLContext clientContext() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", certificate);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    /** A server context with this certificate and key (a TLS backend behind a passthrough listener). */
    public SSLContext serverContext() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key, PASSWORD, new java.security.cert.Certificate[] {certificate});
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
            javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
