package dev.modproxy.operator.webhook.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * The webhook's TLS material as PEM text: the CA that the API server trusts (caBundle) and the
 * serving certificate and key. {@code caKeyPem} is absent when another party (cert-manager) signs.
 * {@link #toString()} never shows keys.
 */
public record WebhookCertificate(String caCertificatePem, String caKeyPem, String certificatePem, String keyPem) {

    public WebhookCertificate {
        Objects.requireNonNull(certificatePem, "certificatePem");
        Objects.requireNonNull(keyPem, "keyPem");
    }

    public X509Certificate certificate() {
        return Pem.certificate(certificatePem);
    }

    public PrivateKey key() {
        return Pem.privateKey(keyPem);
    }

    public boolean hasAuthority() {
        return caCertificatePem != null && !caCertificatePem.isBlank();
    }

    public X509Certificate caCertificate() {
        return Pem.certificate(caCertificatePem);
    }

    public PrivateKey caKey() {
        return Pem.privateKey(caKeyPem);
    }

    @Override
    public String toString() {
        return "WebhookCertificate[serving certificate expires "
                + certificate().getNotAfter().toInstant() + "]";
    }
}
