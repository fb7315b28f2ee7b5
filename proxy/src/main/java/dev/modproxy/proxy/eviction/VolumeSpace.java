package dev.modproxy.proxy.eviction;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/** How full the file system holding the cache is, in the sense of df's Use%. */
public interface VolumeSpace {

    /** Bytes in use plus bytes still available to this process (blocks reserved for root excluded). */
    long capacity() throws IOException;

    long used() throws IOException;

    static VolumeSpace of(Path dir) throws IOException {
        FileStore store = Files.getFileStore(dir);
        return new VolumeSpace() {
            @Override
            public long capacity() throws IOException {
                return used() + store.getUsableSpace();
            }

            @Override
            public long used() throws IOException {
                return store.getTotalSpace() - store.getUnallocatedSpace();
            }
        };
    }

    /** A volume that never fills: only MODPROXY_MAX_SIZE bounds the cache. */
    static VolumeSpace unbounded() {
        return new VolumeSpace() {
            @Override
            public long capacity() {
                return 0;
            }

            @Override
            public long used() {
                return 0;
            }
        };
    }
}
