package dev.modproxy.operator.webhook;

/** An AdmissionReview the webhook cannot act on; the message is returned to the caller. */
public class MalformedReviewException extends RuntimeException {

    public MalformedReviewException(String message) {
        super(message);
    }
}
