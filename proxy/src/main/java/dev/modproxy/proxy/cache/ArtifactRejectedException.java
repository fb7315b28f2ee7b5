package dev.modproxy.proxy.cache;

/**
 * An upstream artifact failed a check; the cache refuses to store or serve it. The refusal is of the artifact's
 * content, which the upstream would send again: it is remembered for {@code MODPROXY_NEGATIVE_TTL}. A check that
 * could not be made throws {@link CheckNotMadeException} instead.
 */
public class ArtifactRejectedException extends Exception {

    public ArtifactRejectedException(String reason) {
        super(reason);
    }

    public ArtifactRejectedException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
