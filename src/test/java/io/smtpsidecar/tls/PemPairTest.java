package io.smtpsidecar.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.ECPrivateKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** PEM pairs as openssl and cert-manager write them (vectors in src/test/resources/tls). */
class PemPairTest {

    private static byte[] file(String name) throws IOException {
        try (InputStream in = PemPairTest.class.getResourceAsStream("/tls/" + name)) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @CsvSource({"ec.crt, ec-sec1.key, EC, CN=ec.test", "ec.crt, ec-pkcs8.key, EC, CN=ec.test",
        "rsa.crt, rsa-pkcs1.key, RSA, CN=rsa.test"})
    void readsEveryUsualKeyEncoding(String cert, String key, String algorithm, String subject) throws Exception {
        PemPair pair = PemPair.parse(file(cert), file(key));
        assertThat(pair.key().getAlgorithm()).isEqualTo(algorithm);
        assertThat(pair.chain()).singleElement()
            .satisfies(c -> assertThat(c.getSubjectX500Principal().getName()).isEqualTo(subject));
    }

    @Test
    void theSec1AndPkcs8FormsAreTheSameKey() throws Exception {
        assertThat(((ECPrivateKey) PemPair.parse(file("ec.crt"), file("ec-sec1.key")).key()).getS())
            .isEqualTo(((ECPrivateKey) PemPair.parse(file("ec.crt"), file("ec-pkcs8.key")).key()).getS());
    }

    @Test
    void aChainKeepsItsOrder() throws Exception {
        byte[] chain = (new String(file("ec.crt"), StandardCharsets.US_ASCII)
            + new String(file("rsa.crt"), StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
        assertThat(PemPair.parse(chain, file("ec-sec1.key")).chain()).hasSize(2);
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        assertThatThrownBy(() -> PemPair.parse(file("ec.crt"), file("other-sec1.key")))
            .hasMessage("the key does not belong to the certificate (CN=ec.test)");
        assertThatThrownBy(() -> PemPair.parse(file("ec.crt"), file("rsa-pkcs1.key")))
            .hasMessageStartingWith("the key does not belong");
    }

    @Test
    void brokenFilesSayWhatIsWrong() {
        assertThatThrownBy(() -> PemPair.parse(file("ec.crt"), file("ec-encrypted.key")))
            .hasMessageStartingWith("the key is encrypted");
        assertThatThrownBy(() -> PemPair.parse(file("ec-sec1.key"), file("ec-sec1.key")))
            .hasMessageStartingWith("no certificate in the certificate file");
        assertThatThrownBy(() -> PemPair.parse(file("ec.crt"), file("ec.crt")))
            .hasMessageStartingWith("no PEM private key");
        assertThatThrownBy(() -> PemPair.parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
            .getBytes(StandardCharsets.US_ASCII), file("ec-sec1.key")))
            .hasMessageStartingWith("the certificate file is not PEM certificates");
        assertThatThrownBy(() -> PemPair.parse(file("ec.crt"),
            "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII)))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PemPair.parse(file("ec.crt"),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII)))
            .hasMessageStartingWith("the private key is not an RSA, EC or EdDSA key");
    }
}
