package dev.modproxy.proxy.sumdb;

import java.util.List;

/** Fetches a checksum database path ("latest", "lookup/...", "tile/...") from wherever it is served. */
@FunctionalInterface
public interface SumDbFetcher {

    /** No database answer comes near this; a larger one is hostile. */
    int MAX_ANSWER_BYTES = 1 << 20;

    /** The answer's body; throws {@link SumDbNotFoundException} on 404 or 410. */
    byte[] fetch(String path) throws SumDbException;

    /**
     * The independent sources behind this fetcher in the order they are asked (upstream proxies,
     * then the database): an answer that fails its proof from one is asked of the next.
     */
    default List<SumDbFetcher> sources() {
        return List.of(this);
    }
}
