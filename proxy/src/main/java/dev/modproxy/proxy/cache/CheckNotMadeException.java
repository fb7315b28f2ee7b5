package dev.modproxy.proxy.cache;

import java.io.IOException;
import org.jboss.logging.Logger;

/**
 * A check could not be made this time (the checksum database unreachable, the staged file unreadable, the check
 * interrupted): the artifact is refused, but nothing was learnt about its content, so it is not remembered and the
 * next request fetches it again. A plain {@link ArtifactRejectedException} is a refusal of the content itself, which
 * the cache answers again for {@code MODPROXY_NEGATIVE_TTL} without downloading it.
 */
public class CheckNotMadeException extends ArtifactRejectedException {

    private static final Logger LOG = Logger.getLogger(CheckNotMadeException.class);

    /**
     * The staged copy of an answer could not be read (gone, too many open files, a disk error): the cache's own
     * failure. Logged with its detail, which names paths inside the cache; the client's reason names the kind only.
     */
    static CheckNotMadeException unreadableStaged(String what, IOException e) {
        LOG.warnf("cannot read the staged %s: %s", what, e.toString());
        return new CheckNotMadeException(
                "cannot read the staged " + what + " (" + e.getClass().getSimpleName() + "; the proxy's log says more)",
                e);
    }

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
