package dev.modproxy.proxy.storage;

import java.io.IOException;

/**
 * This machine's own staging directory failed (a read-only or full local volume), not the storage a
 * {@link CircuitBreakingStorage} guards: the call failed, but says nothing of the bucket, so it neither opens the
 * circuit nor counts towards opening it. Its message names the directory, for the readiness check to show.
 */
public final class LocalStagingException extends IOException {

    public LocalStagingException(String message, IOException cause) {
        super(message, cause);
    }
}
