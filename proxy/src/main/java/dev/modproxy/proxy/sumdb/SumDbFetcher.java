package dev.modproxy.proxy.sumdb;

/** Fetches a checksum database path ("latest", "lookup/...", "tile/...") from wherever it is served. */
@FunctionalInterface
public interface SumDbFetcher {

    /** The answer's body; throws {@link SumDbNotFoundException} on 404 or 410. */
    byte[] fetch(String path) throws SumDbException;
}
