package io.smtpsidecar.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server certificate chain and its private key, read from PEM text as cert-manager, openssl and ACME clients write
 * them: the key as PKCS#8 ({@code PRIVATE KEY}), PKCS#1 RSA ({@code RSA PRIVATE KEY}, cert-manager's default
 * encoding) or SEC1 EC ({@code EC PRIVATE KEY}); the chain leaf first. The key must belong to the leaf. Pure: no I/O.
 */
public record PemPair(PrivateKey key, List<X509Certificate> chain) {
    private static final Pattern KEY_BLOCK = Pattern.compile(
        "-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    /**
     * @throws IllegalArgumentException saying what is wrong (no certificate, an encrypted or unknown key, a key that
     *     is not the certificate's)
     */
    public static PemPair parse(byte[] certificatePem, byte[] keyPem) {
        List<X509Certificate> chain = certificates(certificatePem);
        PrivateKey key = privateKey(new String(keyPem, StandardCharsets.US_ASCII));
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new IllegalArgumentException("the key does not belong to the certificate ("
                + chain.get(0).getSubjectX500Principal().getName() + ")");
        }
        return new PemPair(key, List.copyOf(chain));
    }

    private static List<X509Certificate> certificates(byte[] pem) {
        if (!new String(pem, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException("no certificate in the certificate file");
        }
        try {
            List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem)).stream().map(c -> (X509Certificate) c).toList();
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("no certificate in the certificate file");
            }
            return chain;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the certificate file is not PEM certificates: " + e.getMessage());
        }
    }

    private static PrivateKey privateKey(String pem) {
        if (pem.contains("ENCRYPTED PRIVATE KEY")) {
            throw new IllegalArgumentException("the key is encrypted (a mounted key must be unencrypted)");
        }
        Matcher m = KEY_BLOCK.matcher(pem);
        if (!m.find()) {
            throw new IllegalArgumentException("no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the private key's base64 is broken");
        }
        byte[] pkcs8 = switch (m.group(1)) {
            case "RSA PRIVATE KEY" -> wrap(RSA_ALGORITHM, der);
            case "EC PRIVATE KEY" -> wrap(ecAlgorithm(der), der);
            default -> der;
        };
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("the private key is not an RSA, EC or EdDSA key this runtime can read");
    }

    /** PKCS#8 PrivateKeyInfo: SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING key }. */
    private static byte[] wrap(byte[] algorithm, byte[] key) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.writeBytes(tlv(0x04, key));
        return tlv(0x30, body.toByteArray());
    }

    /** SEC1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING, [0] curve OID, [1] public key }: the curve for PKCS#8. */
    private static byte[] ecAlgorithm(byte[] sec1) {
        Der outer = new Der(sec1, 0);
        int p = outer.contentStart;
        while (p < outer.end) {
            Der field = new Der(sec1, p);
            if ((sec1[p] & 0xff) == 0xa0) {
                Der oid = new Der(sec1, field.contentStart);
                byte[] curve = java.util.Arrays.copyOfRange(sec1, field.contentStart, oid.end);
                ByteArrayOutputStream alg = new ByteArrayOutputStream();
                alg.writeBytes(EC_PUBLIC_KEY_OID);
                alg.writeBytes(curve);
                return tlv(0x30, alg.toByteArray());
            }
            p = field.end;
        }
        throw new IllegalArgumentException("the EC private key does not name its curve");
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n & 0xff);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write((n >> 8) & 0xff);
            out.write(n & 0xff);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** One DER element's bounds. */
    private static final class Der {
        final int contentStart;
        final int end;

        Der(byte[] b, int at) {
            if (at + 2 > b.length) {
                throw new IllegalArgumentException("the private key's DER is truncated");
            }
            int len = b[at + 1] & 0xff;
            int p = at + 2;
            if (len >= 0x80) {
                int octets = len & 0x7f;
                if (octets == 0 || octets > 3 || p + octets > b.length) {
                    throw new IllegalArgumentException("the private key's DER has a bad length");
                }
                len = 0;
                for (int i = 0; i < octets; i++) {
                    len = (len << 8) | (b[p++] & 0xff);
                }
            }
            if (p + len > b.length) {
                throw new IllegalArgumentException("the private key's DER is truncated");
            }
            contentStart = p;
            end = p + len;
        }
    }

    /** Signs a nonce with the key and checks it with the certificate's public key. */
    private static boolean matches(PrivateKey key, PublicKey certificateKey) {
        if (!key.getAlgorithm().equals(certificateKey.getAlgorithm())) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] nonce = new byte[32];
            new SecureRandom().nextBytes(nonce);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(nonce);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificateKey);
            verifier.update(nonce);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
