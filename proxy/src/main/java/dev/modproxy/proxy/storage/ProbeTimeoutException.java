package dev.modproxy.proxy.storage;

import java.io.IOException;

/**
 * The readiness probe's call to the storage got no answer within the probe's own short bound ({@link
 * S3Storage#PROBE_TIMEOUT}), which a bucket that is merely slow may miss as well as a hung one: a {@link
 * CircuitBreakingStorage} counts it neither way, so that probes alone never open the circuit on a slow bucket that
 * answers the lookups; the lookups, with their full timeouts, are what open it on a hung one.
 */
public final class ProbeTimeoutException extends IOException {

    public ProbeTimeoutException(String message, Exception cause) {
        super(message, cause);
    }
}
