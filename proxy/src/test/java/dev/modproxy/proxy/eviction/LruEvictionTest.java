package dev.modproxy.proxy.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.stream.LongStream;
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

        long lease = leases.acquireNew(list); // as a commit takes its lease, then publishes
        write(disk, list, 100);
        eviction.free(held, 0, 0, 900, new HashSet<>());

        assertFalse(leases.release(list, lease), "the list that fits is not removed at its writer's release");
        assertEquals(100, Files.size(root.resolve("example.com/m/@v/list")));
    }

    /**
     * A walk kept every object it saw, then copied the list to sort it: a million files took about 170 MiB of heap,
     * an OutOfMemoryError at the default 128 MiB. It keeps now the oldest it needs for what is to go.
     */
    @Test
    void aWalkKeepsOnlyTheOldestObjectsWhatIsToGoNeeds() throws Exception {
        LocalDiskStorage disk = new LocalDiskStorage(root, Runnable::run);
        for (int i = 0; i < 500; i++) {
            StorageKey key = new StorageKey("example.com/m" + i + "/@v/v1.0.0.zip");
            write(disk, key, 100);
            // accessed in a shuffled order: the oldest are not the first the walk finds
            long accessed = 1_000_000L * ((i * 7919L) % 500);
            Files.getFileAttributeView(disk.fileFor(key), BasicFileAttributeView.class)
                    .setTimes(null, FileTime.fromMillis(accessed), null);
        }
        LruEviction eviction =
                new LruEviction(disk, new ServingLeases(Duration.ofMinutes(10), Clock.systemUTC()), evicted -> {}, 100);

        LruEviction.Holdings held = eviction.scan(root, 1, 1000, 0, Long.MAX_VALUE);

        assertEquals(
                LongStream.range(0, 10).map(t -> t * 1_000_000L).boxed().toList(),
                held.candidates().stream()
                        .map(LruEvictionTest::accessed)
                        .sorted()
                        .toList(),
                "1000 bytes of 100-byte objects to go: the 10 least recently used, no more");
        assertTrue(held.partial());
        assertTrue(held.occupied() > 500 * 100, "all counted as occupied, kept or not");

        LruEviction.Holdings byBlocks = eviction.scan(root, 4096, 0, 4096 * 25, Long.MAX_VALUE);
        assertEquals(25, byBlocks.candidates().size(), "25 blocks to go on the volume: 25 objects of a block each");

        LruEviction.Holdings all = eviction.scan(root, 1, Long.MAX_VALUE, 0, Long.MAX_VALUE);
        assertEquals(100, all.candidates().size(), "more than a walk may keep: its bound of 100, the oldest");
        assertEquals(
                99 * 1_000_000L,
                all.candidates().stream()
                        .mapToLong(LruEvictionTest::accessed)
                        .max()
                        .orElseThrow());

        LruEviction.Holdings large = eviction.scan(root, 1, 0, 0, 99);
        assertEquals(100, large.candidates().size(), "objects too large to keep: as many as the bound");
    }

    private static long accessed(LruEviction.Candidate c) {
        return c.lastAccessMillis();
    }

    private static void write(LocalDiskStorage disk, StorageKey key, int bytes) throws Exception {
        try (StorageWriter writer = disk.openWriter(key)) {
            writer.output().write(new byte[bytes]);
            writer.commit();
        }
    }
}
