package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.PassThroughStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.testing.FullDisk;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the readiness probe says of the cache's disk: /q/health/ready is where an operator looks first. */
class StorageReadinessTest {

    @TempDir
    Path root;

    @TempDir
    Path spill;

    /**
     * A full cache disk with room in the pass-through directory: ready (modules are still served), but the answer said
     * nothing else than a healthy disk's, and only the log, once a minute, told that nothing was being cached.
     */
    @Test
    void aFullDiskServedThroughThePassThroughIsReadyAndSaysNothingIsCached() throws Exception {
        LocalDiskStorage disk = new LocalDiskStorage(root);
        Storage full = new PassThroughStorage(
                new FullDisk(disk, 0, FullDisk.FailAt.WRITE), spill, () -> {}, Clock.systemUTC());

        HealthCheckResponse ready = StorageReadinessCheck.of(full);

        assertEquals(HealthCheckResponse.Status.UP, ready.getStatus());
        Map<String, Object> data = ready.getData().orElseThrow();
        String writes = String.valueOf(data.get("writes"));
        assertTrue(writes.startsWith("nothing new is cached: "), writes);
        assertTrue(writes.contains(root + " cannot take writes (No space left on device)"), writes);
        assertTrue(
                writes.endsWith("served through the pass-through directory " + spill + " without being kept"), writes);
    }

    @Test
    void aDiskWithRoomSaysNothingOfWrites() throws Exception {
        Storage healthy = new PassThroughStorage(new LocalDiskStorage(root), spill, () -> {}, Clock.systemUTC());

        HealthCheckResponse ready = StorageReadinessCheck.of(healthy);

        assertEquals(HealthCheckResponse.Status.UP, ready.getStatus());
        assertFalse(
                ready.getData().orElseThrow().containsKey("writes"),
                ready.getData().toString());
    }

    /** Once the disk takes writes again, the note goes at the next probe. */
    @Test
    void theNoteGoesOnceTheDiskTakesWritesAgain() throws Exception {
        LocalDiskStorage disk = new LocalDiskStorage(root);
        boolean[] full = {true};
        Storage storage = new PassThroughStorage(
                new dev.modproxy.proxy.storage.ForwardingStorage(disk) {
                    @Override
                    public void probeWritable() throws java.io.IOException {
                        if (full[0]) {
                            throw new java.io.IOException("No space left on device");
                        }
                        super.probeWritable();
                    }
                },
                spill,
                () -> {},
                Clock.systemUTC());
        assertTrue(StorageReadinessCheck.of(storage).getData().orElseThrow().containsKey("writes"));

        full[0] = false;

        assertFalse(StorageReadinessCheck.of(storage).getData().orElseThrow().containsKey("writes"));
    }
}
