package dev.modproxy.proxy.upstream;

import java.io.IOException;

/**
 * The upstream answered 200 but the body cannot be used (HTML page, wrong module, corrupt zip).
 * Not a sign of an unhealthy upstream, so the circuit breaker ignores it; maps to 502.
 */
public final class UnusableAnswerException extends IOException {

    private final boolean contentRefused;

    public UnusableAnswerException(String message) {
        this(message, false);
    }

    /**
     * @param contentRefused the whole answer was judged and refused for what it holds (a zip that breaks the rules,
     *     a hash the checksum database contradicts): asked again, the upstream would send the same
     */
    public UnusableAnswerException(String message, boolean contentRefused) {
        super(message);
        this.contentRefused = contentRefused;
    }

    public boolean contentRefused() {
        return contentRefused;
    }
}
