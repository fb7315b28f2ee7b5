package dev.modproxy.proxy.upstream;

import java.io.IOException;

/**
 * The upstream answered 200 but the body cannot be used (HTML page, wrong module, corrupt zip).
 * Not a sign of an unhealthy upstream, so the circuit breaker ignores it; maps to 502.
 */
public final class UnusableAnswerException extends IOException {

    public UnusableAnswerException(String message) {
        super(message);
    }
}
