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

    /**
     * The largest block size taken for the unit files are allocated in. Local file systems report theirs (ext4 and
     * XFS 4 KiB, at most 64 KiB); a network file system reports something else (NFS its transfer size, often 1 MiB;
     * CephFS its object size, 4 MiB), and counting each small file as that much would make eviction stop long before
     * it has freed what it must.
     */
    long MAX_ALLOCATION_UNIT = 64 * 1024;

    /** The reported block size when it can be the allocation unit; else empty (lengths are counted). */
    static OptionalLong allocationUnit(long reportedBlockSize) {
        return reportedBlockSize > 0 && reportedBlockSize <= MAX_ALLOCATION_UNIT
                ? OptionalLong.of(reportedBlockSize)
                : OptionalLong.empty();
    }

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
                    return allocationUnit(store.getBlockSize());
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
