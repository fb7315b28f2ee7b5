package dev.modproxy.proxy.cache;

import java.util.Optional;

/**
 * An upstream artifact failed a check; the cache refuses to store or serve it. The refusal is of the artifact's
 * content, which the upstream would send again: it is remembered for {@code MODPROXY_NEGATIVE_TTL}. A check that
 * could not be made throws {@link CheckNotMadeException} instead.
 */
public class ArtifactRejectedException extends Exception {

    /** What failed to vouch for the artifact (the checksum database, named), or null when the artifact failed. */
    private final String voucher;

    public ArtifactRejectedException(String reason) {
        this(reason, null, null);
    }

    public ArtifactRejectedException(String reason, Throwable cause) {
        this(reason, cause, null);
    }

    protected ArtifactRejectedException(String reason, Throwable cause, String voucher) {
        super(reason, cause);
        this.voucher = voucher;
    }

    /**
     * Refused because voucher could not vouch for an artifact the upstream may have sent right (the checksum database
     * has no record of it): the refusal names the voucher, not the upstream, as what failed.
     */
    public static ArtifactRejectedException unvouched(String voucher, String reason, Throwable cause) {
        return new ArtifactRejectedException(reason, cause, voucher);
    }

    /** What failed to vouch for the artifact; empty when the artifact itself failed the check. */
    public Optional<String> voucher() {
        return Optional.ofNullable(voucher);
    }
}
