package dev.modproxy.proxy.cache;

/** An upstream artifact failed a check; the cache refuses to store or serve it. */
public class ArtifactRejectedException extends Exception {

    public ArtifactRejectedException(String reason) {
        super(reason);
    }

    public ArtifactRejectedException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
