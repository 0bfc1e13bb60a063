package io.smtpsidecar.bench;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.net.Socket;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Implicit TLS for the load tool (SMTP on 465): the client speaks TLS 1.3 from the first byte after the PROXY header,
 * with the JDK's provider under Netty's {@link SslHandler}, accepting only the benchmark's own certificate.
 *
 * <p>Every session is a full handshake: the engines are made without a peer host and port, and the JDK offers a
 * cached session (a TLS 1.3 PSK) only to the host and port it was made for, so no ticket a server sends is ever used.
 */
final class TlsClient {
    static final String PROTOCOL = "TLSv1.3";
    /**
     * The one suite offered, so that both servers run the same cipher: left to choose, nginx takes the client's first
     * (this one, the JDK's and OpenSSL's first) and a JDK server behind Netty its own first (TLS_AES_128_GCM_SHA256).
     */
    static final String SUITE = "TLS_AES_256_GCM_SHA384";

    private final SSLContext context;
    private final int handshakeTimeoutMillis;

    private TlsClient(SSLContext context, int handshakeTimeoutMillis) {
        this.context = context;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    /**
     * A client that accepts exactly the certificate in the PEM file {@code pinned} (the benchmark's self-signed one)
     * and nothing else. A pin and not a PKIX trust store: the handshake still checks the server's CertificateVerify
     * signature with that certificate's key, but no certificate path is built and no signature of the certificate
     * itself is checked for every session (the client shares the cores with the servers it measures).
     */
    static TlsClient pinning(Path pinned, int handshakeTimeoutMillis) {
        try (InputStream in = Files.newInputStream(pinned)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new Pin(cert)}, null);
            return new TlsClient(context, handshakeTimeoutMillis);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read a certificate from " + pinned + ": " + e, e);
        }
    }

    /**
     * Writes {@code proxyHeader} (if any) in clear on a freshly connected socket, then starts the handshake; the
     * socket's handlers see only plain text from then on. {@code handshake}, if not null, gets the session's description
     * once the handshake is done (failures reach the socket's exception handler). Call on the socket's event loop.
     */
    void start(NetSocket socket, Buffer proxyHeader, Consumer<String> handshake) {
        ChannelHandlerContext vertx = ((NetSocketInternal) socket).channelHandlerContext();
        if (proxyHeader != null) {
            // straight past Vert.x's write queue: the header is in the channel's outbound buffer before the TLS
            // handler exists, so it cannot be encrypted
            vertx.writeAndFlush(Unpooled.wrappedBuffer(proxyHeader.getBytes()));
        }
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(new String[] {PROTOCOL});
        engine.setEnabledCipherSuites(new String[] {SUITE});
        SslHandler tls = new SslHandler(engine);
        tls.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        if (handshake != null) {
            tls.handshakeFuture().addListener(f -> {
                if (f.isSuccess()) {
                    handshake.accept(describe(engine.getSession()));
                }
            });
        }
        // added to an active channel, a client-mode SslHandler sends its ClientHello at once
        vertx.pipeline().addBefore(vertx.name(), "bench-tls", tls);
    }

    /** {@code TLSv1.3 TLS_AES_256_GCM_SHA384 EC-256}: protocol, cipher suite, the server key's type and size. */
    static String describe(SSLSession session) {
        String key = "?";
        try {
            PublicKey pk = session.getPeerCertificates()[0].getPublicKey();
            if (pk instanceof ECPublicKey ec) {
                key = "EC-" + ec.getParams().getCurve().getField().getFieldSize();
            } else if (pk instanceof RSAPublicKey rsa) {
                key = "RSA-" + rsa.getModulus().bitLength();
            } else {
                key = pk.getAlgorithm();
            }
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            key = "unverified";
        }
        return session.getProtocol() + " " + session.getCipherSuite() + " " + key;
    }

    /** Trusts one certificate, byte for byte. */
    private static final class Pin extends X509ExtendedTrustManager {
        private final X509Certificate cert;

        Pin(X509Certificate cert) {
            this.cert = cert;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0 || !chain[0].equals(cert)) {
                throw new CertificateException("not the benchmark's certificate: "
                    + (chain == null || chain.length == 0 ? "none" : chain[0].getSubjectX500Principal()));
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
            throw new CertificateException("a client only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
            throw new CertificateException("a client only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {cert};
        }
    }
}
