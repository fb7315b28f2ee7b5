package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalDiskStorageTest {

    private static final StorageKey KEY = new StorageKey("example.com/a/@v/v1.0.0.mod");

    @TempDir
    Path root;

    @Test
    void objectBecomesVisibleOnlyOnCommit() throws IOException {
        LocalDiskStorage storage = new LocalDiskStorage(root);
        try (StorageWriter writer = storage.openWriter(KEY)) {
            writer.output().write("module example.com/a\n".getBytes(StandardCharsets.UTF_8));
            writer.output().flush();
            assertTrue(storage.lookup(KEY).isEmpty(), "not visible while staged");

            StoredObject stored = writer.commit();

            assertEquals(21, stored.size());
        }
        StoredObject found = storage.lookup(KEY).orElseThrow();
        assertEquals(
                "module example.com/a\n", Files.readString(found.localFile().orElseThrow()));
        assertEquals(new StorageUsage(21, 1), storage.usage());
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws IOException {
        LocalDiskStorage storage = new LocalDiskStorage(root);
        try (StorageWriter writer = storage.openWriter(KEY)) {
            writer.output().write(new byte[1000]);
        }

        assertTrue(storage.lookup(KEY).isEmpty());
        assertEquals(new StorageUsage(0, 0), storage.usage());
        try (Stream<Path> staged = Files.list(root.resolve(".tmp"))) {
            assertEquals(0, staged.count());
        }
    }

    @Test
    void crashLeftoversInStagingAreRemovedAtStartupAndNeverListed() throws IOException {
        Files.createDirectories(root.resolve(".tmp"));
        Files.writeString(root.resolve(".tmp/put-123.part"), "half a zip");

        LocalDiskStorage storage = new LocalDiskStorage(root);

        try (Stream<Path> staged = Files.list(root.resolve(".tmp"))) {
            assertEquals(0, staged.count());
        }
        try (Stream<StorageEntry> entries = storage.entries()) {
            assertEquals(0, entries.count());
        }
    }

    @Test
    void restartCountsWhatIsAlreadyStored() throws IOException {
        LocalDiskStorage first = new LocalDiskStorage(root);
        put(first, KEY, "abc");
        put(first, new StorageKey("example.com/a/@v/list"), "v1.0.0\n");

        LocalDiskStorage second = new LocalDiskStorage(root);

        assertEquals(new StorageUsage(10, 2), second.counted().join());
        assertEquals(new StorageUsage(10, 2), second.usage());
        assertTrue(second.usageCounted());
        try (Stream<StorageEntry> entries = second.entries()) {
            assertEquals(
                    List.of("example.com/a/@v/list", "example.com/a/@v/v1.0.0.mod"),
                    entries.map(e -> e.key().value()).sorted().toList());
        }
    }

    @Test
    void aLargeCacheServesBeforeItsObjectsAreCountedAndWritesMeanwhileAreCountedOnce() throws IOException {
        LocalDiskStorage first = new LocalDiskStorage(root);
        for (int i = 0; i < 50; i++) {
            put(first, new StorageKey("example.com/m" + i + "/@v/v1.0.0.mod"), "12345");
        }
        List<Runnable> heldBack = new java.util.ArrayList<>();

        LocalDiskStorage restarted = new LocalDiskStorage(root, heldBack::add);

        // the constructor did not walk the tree: the count is still to run, yet everything is served
        assertEquals(1, heldBack.size());
        assertFalse(restarted.usageCounted());
        assertEquals(new StorageUsage(0, 0), restarted.usage());
        assertEquals(
                5,
                restarted
                        .lookup(new StorageKey("example.com/m7/@v/v1.0.0.mod"))
                        .orElseThrow()
                        .size());
        put(restarted, new StorageKey("example.com/new/@v/v1.0.0.mod"), "abc");
        put(
                restarted,
                new StorageKey("example.com/m3/@v/v1.0.0.mod"),
                "1234567"); // replaced before the walk gets there
        assertEquals(new StorageUsage(3 + 2, 1), restarted.usage());

        heldBack.get(0).run();

        assertTrue(restarted.usageCounted());
        assertEquals(new StorageUsage(49 * 5 + 7 + 3, 51), restarted.usage());
        assertEquals(restarted.usage(), restarted.counted().join());
        // after the count, the ordinary bookkeeping goes on from the full figures
        assertTrue(restarted.delete(new StorageKey("example.com/m0/@v/v1.0.0.mod")));
        assertEquals(new StorageUsage(48 * 5 + 7 + 3, 50), restarted.usage());
    }

    @Test
    void replacingAndDeletingKeepTheTotalsRight() throws IOException {
        LocalDiskStorage storage = new LocalDiskStorage(root);
        put(storage, KEY, "12345");
        put(storage, KEY, "12");
        assertEquals(new StorageUsage(2, 1), storage.usage());

        assertTrue(storage.delete(KEY));
        assertFalse(storage.delete(KEY));
        assertEquals(new StorageUsage(0, 0), storage.usage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"../etc/passwd", "a/../../b", "/etc/passwd", ".tmp/x", "a//b", "a/./b", "a\\b", "a/b\u0000"})
    void keysThatCouldEscapeTheRootAreRefused(String key) {
        assertThrows(IllegalArgumentException.class, () -> new StorageKey(key));
    }

    @Test
    void writableProbeSucceedsOnAWritableRoot() throws IOException {
        new LocalDiskStorage(root).probeWritable();
    }

    private static void put(Storage storage, StorageKey key, String content) throws IOException {
        try (StorageWriter writer = storage.openWriter(key)) {
            writer.output().write(content.getBytes(StandardCharsets.UTF_8));
            writer.commit();
        }
    }

    @Test
    void sizeFiguresNeverGoNegative() throws IOException {
        Files.createDirectories(root.resolve("example.com/a/@v"));
        Files.write(root.resolve(KEY.value()), new byte[100]);
        // the count of what was there at start never runs: removals subtract what it did not add
        LocalDiskStorage storage = new LocalDiskStorage(root, task -> {});

        assertTrue(storage.delete(KEY));

        assertEquals(new StorageUsage(0, 0), storage.usage());
    }
}
