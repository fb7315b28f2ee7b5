package dev.modproxy.operator.webhook.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * Creates the webhook's own CA and the serving certificates it signs. ECDSA P-256 keys: short
 * handshakes, accepted by every supported API server.
 */
public final class CertificateIssuer {

    public static final Duration AUTHORITY_VALIDITY = Duration.ofDays(5 * 365 + 1);
    public static final Duration SERVING_VALIDITY = Duration.ofDays(365);
    // tolerate API servers whose clock runs a little behind ours
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final String SIGNATURE = "SHA256withECDSA";

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public CertificateIssuer(Clock clock) {
        this.clock = clock;
    }

    /** A fresh CA and a serving certificate for {@code dnsNames} signed by it. */
    public WebhookCertificate newAuthority(List<String> dnsNames) {
        KeyPair caKeys = newKeyPair();
        Instant now = clock.instant();
        X500Name subject = new X500Name("CN=modproxy-webhook-ca");
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            subject,
                            serial(),
                            Date.from(now.minus(BACKDATE)),
                            Date.from(now.plus(AUTHORITY_VALIDITY)),
                            subject,
                            caKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier,
                            false,
                            extensions.createSubjectKeyIdentifier(caKeys.getPublic()));
            X509Certificate ca = sign(builder, caKeys.getPrivate());
            return issue(Pem.of(ca), Pem.of(caKeys.getPrivate()), ca, caKeys.getPrivate(), dnsNames);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create the webhook CA", e);
        }
    }

    /** A new serving certificate signed by the CA already in {@code current}. */
    public WebhookCertificate renewServing(WebhookCertificate current, List<String> dnsNames) {
        return issue(
                current.caCertificatePem(), current.caKeyPem(), current.caCertificate(), current.caKey(), dnsNames);
    }

    private WebhookCertificate issue(
            String caPem, String caKeyPem, X509Certificate ca, PrivateKey caKey, List<String> dnsNames) {
        KeyPair keys = newKeyPair();
        Instant now = clock.instant();
        // a serving certificate never outlives the CA that vouches for it
        Instant notAfter = min(now.plus(SERVING_VALIDITY), ca.getNotAfter().toInstant());
        // an IP literal (clientConfig.url at an address, e.g. an operator run beside the cluster) is an IP SAN
        GeneralName[] names = dnsNames.stream()
                .map(n -> new GeneralName(IPAddress.isValid(n) ? GeneralName.iPAddress : GeneralName.dNSName, n))
                .toArray(GeneralName[]::new);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            ca,
                            serial(),
                            Date.from(now.minus(BACKDATE)),
                            Date.from(notAfter),
                            new X500Name("CN=modproxy-webhook"),
                            keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(
                            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(ca))
                    .addExtension(
                            Extension.subjectKeyIdentifier,
                            false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate serving = sign(builder, caKey);
            return new WebhookCertificate(caPem, caKeyPem, Pem.of(serving), Pem.of(keys.getPrivate()));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue the webhook serving certificate", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator in this JVM", e);
        }
    }

    private BigInteger serial() {
        return new BigInteger(127, random).add(BigInteger.ONE);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
