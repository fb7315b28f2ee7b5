package dev.modproxy.proxy.upstream;

import java.io.IOException;

/**
 * The upstream answered 200 but the body cannot be used (HTML page, wrong module, corrupt zip), or what vouches for it
 * (the checksum database) could not. Not a sign of an unhealthy upstream, so the circuit breaker ignores it; maps to
 * 502.
 */
public final class UnusableAnswerException extends IOException {

    private final boolean contentRefused;
    private final String voucher;

    public UnusableAnswerException(String message) {
        this(message, false, null);
    }

    public UnusableAnswerException(String message, boolean contentRefused) {
        this(message, contentRefused, null);
    }

    /**
     * @param contentRefused the whole answer was judged and refused for what it holds (a zip that breaks the rules,
     *     a hash the checksum database contradicts): asked again, the upstream would send the same
     * @param voucher what failed to vouch for an answer the upstream may have sent right (the checksum database,
     *     named), or null when the answer itself is at fault
     */
    public UnusableAnswerException(String message, boolean contentRefused, String voucher) {
        super(message);
        this.contentRefused = contentRefused;
        this.voucher = voucher;
    }

    /** The refusal of the answer from host, blaming what is at fault: the answer, or what could not vouch for it. */
    public String describe(String host) {
        return voucher == null
                ? "unusable answer from " + host + ": " + getMessage()
                : voucher + " could not vouch for the answer from " + host + ": " + getMessage();
    }

    public boolean contentRefused() {
        return contentRefused;
    }
}
