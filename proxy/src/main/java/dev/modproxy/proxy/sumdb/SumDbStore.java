package dev.modproxy.proxy.sumdb;

import java.util.Optional;

/** Where proven pieces of the checksum database are kept between requests and restarts. */
public interface SumDbStore {

    /** The piece kept under path ("lookup/...", "tile/...", "latest"), if any. */
    Optional<byte[]> read(String path) throws SumDbException;

    /** Keeps a piece that has been proven. */
    void keep(String path, byte[] proven);

    /** Drops a kept piece that no longer proves out (e.g. written by an older version that kept answers unproven). */
    void discard(String path);

    SumDbStore NONE = new SumDbStore() {
        @Override
        public Optional<byte[]> read(String path) {
            return Optional.empty();
        }

        @Override
        public void keep(String path, byte[] proven) {}

        @Override
        public void discard(String path) {}
    };
}
