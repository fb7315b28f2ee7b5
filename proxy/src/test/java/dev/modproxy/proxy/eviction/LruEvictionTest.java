package dev.modproxy.proxy.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LruEvictionTest {

    @TempDir
    Path root;

    /**
     * A walk found a list too large to keep; before it acted, a refresh committed a list that fits. Doomed by the
     * walk's stale size, the new list went at its writer's release.
     */
    @Test
    void anObjectReplacedSinceTheWalkIsJudgedByWhatItIsNow() throws Exception {
        LocalDiskStorage disk = new LocalDiskStorage(root, Runnable::run);
        StorageKey list = new StorageKey("example.com/m/@v/list");
        write(disk, list, 950);
        ServingLeases leases = new ServingLeases(Duration.ofMinutes(10), Clock.systemUTC());
        LruEviction eviction = new LruEviction(disk, leases, evicted -> {});
        LruEviction.Holdings held = eviction.scan(root, 1);

        leases.acquireNew(list); // as a commit takes its lease, then publishes
        write(disk, list, 100);
        eviction.free(held, 0, 0, 900);

        assertFalse(leases.release(list), "the list that fits is not removed at its writer's release");
        assertEquals(100, Files.size(root.resolve("example.com/m/@v/list")));
    }

    private static void write(LocalDiskStorage disk, StorageKey key, int bytes) throws Exception {
        try (StorageWriter writer = disk.openWriter(key)) {
            writer.output().write(new byte[bytes]);
            writer.commit();
        }
    }
}
