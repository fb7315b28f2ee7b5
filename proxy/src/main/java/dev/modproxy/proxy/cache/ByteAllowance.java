package dev.modproxy.proxy.cache;

/** The bytes prefetches may download at once: a prefetch that would take more is cancelled. */
public interface ByteAllowance {

    /** Takes bytes from the allowance; false (taking nothing) when they are not there. */
    boolean reserve(long bytes);

    void release(long bytes);
}
