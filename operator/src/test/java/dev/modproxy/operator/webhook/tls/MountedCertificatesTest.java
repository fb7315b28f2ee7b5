package dev.modproxy.operator.webhook.tls;

import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.NAMES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountedCertificatesTest {

    @TempDir
    Path mount;

    @Test
    void readsTheFilesCertManagerMountsIncludingSec1Keys() throws Exception {
        WebhookCertificate issued = new CertificateIssuer(Clock.systemUTC()).newAuthority(NAMES);
        // SEC1 "EC PRIVATE KEY" with the curve named inside, as cert-manager writes ECDSA keys
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(issued.key().getEncoded());
        ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
        ECPrivateKey sec1Key = new ECPrivateKey(
                256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters());
        StringWriter sec1 = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(sec1)) {
            writer.writeObject(new PemObject("EC PRIVATE KEY", sec1Key.getEncoded()));
        }
        assertThat(sec1.toString().startsWith("-----BEGIN EC PRIVATE KEY-----")).isTrue();
        Files.writeString(mount.resolve("tls.crt"), issued.certificatePem());
        Files.writeString(mount.resolve("tls.key"), sec1.toString());
        Files.writeString(mount.resolve("ca.crt"), issued.caCertificatePem());

        WebhookCertificate loaded = new MountedCertificates(mount).current();

        assertThat(loaded.certificate()).isEqualTo(issued.certificate());
        assertThat(((java.security.interfaces.ECPrivateKey) loaded.key()).getS())
                .isEqualTo(((java.security.interfaces.ECPrivateKey) issued.key()).getS());
        assertThat(loaded.caCertificatePem()).isEqualTo(issued.caCertificatePem());
    }

    @Test
    void missingOrHalfWrittenFilesAreRejectedSoTheServedCertificateStays() throws Exception {
        WebhookCertificate issued = new CertificateIssuer(Clock.systemUTC()).newAuthority(NAMES);
        Files.writeString(mount.resolve("tls.crt"), issued.certificatePem());
        assertThatExceptionOfType(UncheckedIOException.class)
                .isThrownBy(() -> new MountedCertificates(mount).current());

        Files.writeString(mount.resolve("tls.key"), issued.keyPem().substring(0, 60));
        assertThatExceptionOfType(InvalidCertificateException.class)
                .isThrownBy(() -> new MountedCertificates(mount).current());
    }
}
