package dev.modproxy.operator.webhook.tls;

/** Where the webhook's serving certificate comes from; called at start and then periodically. */
public interface CertificateSource {

    /** The certificate to serve now, renewing or reloading it first when needed. */
    WebhookCertificate current();

    /**
     * Calls {@code republish} whenever the CA that {@link #current()} published for the API server is no longer where
     * it put it (the caBundle emptied, or replaced with another), until the returned watch is closed. By default it
     * never calls it: a source that publishes nothing has nothing to lose.
     */
    default Watch onCaBundleLost(Runnable republish) {
        return () -> {};
    }

    /** Stops an {@link #onCaBundleLost} watch. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }
}
