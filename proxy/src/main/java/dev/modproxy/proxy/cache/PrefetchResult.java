package dev.modproxy.proxy.cache;

/** How one prefetch of {@link ModuleCache#prefetch} ended. */
public enum PrefetchResult {
    /** Already stored: nothing fetched. */
    CACHED,
    /** Private, or remembered absent from every upstream or refused for its content: nothing fetched. */
    SKIPPED,
    /** A client (or another prefetch) is fetching it already: nothing fetched, that fetch is the one. */
    IN_FLIGHT,
    /**
     * Not sent: every upstream the chain would ask is skipped by its open circuit. Neither issued nor wasted; the
     * prefetcher counts it as dropped.
     */
    CIRCUIT_OPEN,
    /** Fetched, verified and stored. */
    STORED,
    /** The upstreams did not have it, or gave an answer the verifiers refused: nothing stored. */
    FAILED,
    /** Stopped before it finished because it would exceed the byte allowance: nothing stored. */
    CANCELLED,
    /** Stopped because the answer is larger than a prefetch may fetch: nothing stored. */
    TOO_LARGE
}
