package dev.modproxy.proxy.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class VolumeSpaceTest {

    /**
     * A network file system's block size is no allocation unit: taken for one, a 20-byte .info counted as 1 MiB freed
     * (NFS) or 4 MiB (CephFS), and eviction removed 3 of 200 small objects where it had to remove all.
     */
    @Test
    void onlyALocalFileSystemsBlockSizeIsTakenForTheUnitFilesTake() {
        assertEquals(OptionalLong.of(4096), VolumeSpace.allocationUnit(4096));
        assertEquals(OptionalLong.of(65536), VolumeSpace.allocationUnit(65536));
        assertEquals(OptionalLong.empty(), VolumeSpace.allocationUnit(1024 * 1024), "NFS's transfer size");
        assertEquals(OptionalLong.empty(), VolumeSpace.allocationUnit(4 * 1024 * 1024), "CephFS's object size");
        assertEquals(OptionalLong.empty(), VolumeSpace.allocationUnit(0));
    }
}
