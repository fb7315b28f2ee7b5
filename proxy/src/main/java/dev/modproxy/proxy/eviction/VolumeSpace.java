package dev.modproxy.proxy.eviction;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** How full the file system holding the cache is, in the sense of df's Use%. */
public interface VolumeSpace {

    /** Bytes in use plus bytes still available to this process (blocks reserved for root excluded). */
    long capacity() throws IOException;

    long used() throws IOException;

    /**
     * The block the file system allocates files in (used counts whole blocks: a 60-byte file takes 4 KiB on
     * ext4), or empty when it does not say.
     */
    OptionalLong blockSize() throws IOException;

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

            @Override
            public OptionalLong blockSize() throws IOException {
                try {
                    long size = store.getBlockSize();
                    return size > 0 ? OptionalLong.of(size) : OptionalLong.empty();
                } catch (UnsupportedOperationException e) {
                    return OptionalLong.empty();
                }
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

            @Override
            public OptionalLong blockSize() {
                return OptionalLong.empty();
            }
        };
    }
}
