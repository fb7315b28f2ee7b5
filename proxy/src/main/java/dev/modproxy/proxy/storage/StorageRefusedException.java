package dev.modproxy.proxy.storage;

import java.io.IOException;

/**
 * The storage answered and turned the call down (a bucket's 4xx: access denied, no such bucket): the call failed,
 * but the storage is up. {@link CircuitBreakingStorage} counts it as an answer, so a bucket whose credentials may
 * only read keeps serving its hits however many uploads it refuses in a row.
 */
public final class StorageRefusedException extends IOException {

    public StorageRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
