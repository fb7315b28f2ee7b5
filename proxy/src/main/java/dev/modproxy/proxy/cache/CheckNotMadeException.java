package dev.modproxy.proxy.cache;

/**
 * A check could not be made this time (the checksum database unreachable, the staged file unreadable, the check
 * interrupted): the artifact is refused, but nothing was learnt about its content, so it is not remembered and the
 * next request fetches it again. A plain {@link ArtifactRejectedException} is a refusal of the content itself, which
 * the cache answers again for {@code MODPROXY_NEGATIVE_TTL} without downloading it.
 */
public class CheckNotMadeException extends ArtifactRejectedException {

    public CheckNotMadeException(String reason) {
        super(reason);
    }

    public CheckNotMadeException(String reason, Throwable cause) {
        super(reason, cause);
    }

    private CheckNotMadeException(String reason, Throwable cause, String voucher) {
        super(reason, cause, voucher);
    }

    /** The check could not be made because voucher (the checksum database, named) failed: out of reach, no proof. */
    public static CheckNotMadeException unvouched(String voucher, String reason, Throwable cause) {
        return new CheckNotMadeException(reason, cause, voucher);
    }
}
