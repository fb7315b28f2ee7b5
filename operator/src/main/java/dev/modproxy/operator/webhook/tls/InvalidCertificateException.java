package dev.modproxy.operator.webhook.tls;

/** Stored or mounted certificate material that cannot be used; the message never carries key bytes. */
public class InvalidCertificateException extends RuntimeException {

    public InvalidCertificateException(String message) {
        super(message);
    }
}
