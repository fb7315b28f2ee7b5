package dev.modproxy.operator.webhook.tls;

/** Where the webhook's serving certificate comes from; called at start and then periodically. */
public interface CertificateSource {

    /** The certificate to serve now, renewing or reloading it first when needed. */
    WebhookCertificate current();
}
