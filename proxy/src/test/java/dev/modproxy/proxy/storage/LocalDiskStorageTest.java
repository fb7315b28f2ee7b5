package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.Staging;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
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
        assertEquals(List.of(), Staging.stagedFiles(root));
    }

    @Test
    void crashLeftoversInStagingAreRemovedAtStartupAndNeverListed() throws IOException {
        // a process that is gone: its lock is free
        Path gone = Files.createDirectories(root.resolve(".tmp/p-123"));
        Files.writeString(gone.resolve(LocalDiskStorage.OWNER_LOCK), "");
        Files.writeString(gone.resolve("put-1.part"), "half a zip");
        // staged straight into .tmp by an older version: removed once untouched for long enough
        Path old = Files.writeString(root.resolve(".tmp/put-123.part"), "half a zip");
        Files.setLastModifiedTime(
                old,
                FileTime.from(Instant.now()
                        .minus(LocalDiskStorage.ABANDONED_STAGING_AGE)
                        .minusSeconds(60)));

        LocalDiskStorage storage = new LocalDiskStorage(root);

        assertEquals(List.of(), Staging.stagedFiles(root));
        assertFalse(Files.exists(gone));
        try (Stream<StorageEntry> entries = storage.entries()) {
            assertEquals(0, entries.count());
        }
    }

    /**
     * Replicas on one ReadWriteMany volume: a replica starting (a rolling update) deleted another's unfinished
     * download, which then failed as an unusable answer from the upstream.
     */
    @Test
    void aStartingProcessLeavesTheDownloadsOfARunningOneAlone() throws IOException {
        LocalDiskStorage running = new LocalDiskStorage(root);
        // staged by an older version that is still running: written to just now
        Path olderVersionsDownload = Files.writeString(root.resolve(".tmp/put-7.part"), "half a zip");
        try (StorageWriter writer = running.openWriter(KEY)) {
            writer.output().write("module example.com/a\n".getBytes(StandardCharsets.UTF_8));
            writer.output().flush();

            LocalDiskStorage starting = new LocalDiskStorage(root);
            starting.probeWritable();

            assertTrue(Files.exists(writer.stagedFile()), "the running process's staged file is left");
            writer.commit();
            assertEquals(21, starting.lookup(KEY).orElseThrow().size());
        }
        assertTrue(Files.exists(olderVersionsDownload));
    }

    /** Planted by someone with access to the volume: served as the module's go.mod, and the go command took it. */
    @Test
    void aLinkWhereAnObjectShouldBeIsNeitherReadNorWrittenThrough(@TempDir Path outside) throws IOException {
        Path secret = Files.writeString(outside.resolve("passwd"), "root:x:0:0\n");
        Path file = root.resolve(KEY.value());
        Files.createDirectories(file.getParent());
        Files.createSymbolicLink(file, secret);
        LocalDiskStorage storage = new LocalDiskStorage(root);

        UnusableEntryException refused = assertThrows(UnusableEntryException.class, () -> storage.lookup(KEY));
        assertTrue(refused.getMessage().contains("symbolic link"), refused.getMessage());
        assertThrows(UnusableEntryException.class, () -> put(storage, KEY, "module example.com/a\n"));
        assertEquals(secret, Files.readSymbolicLink(file), "the link is not replaced");
        assertEquals("root:x:0:0\n", Files.readString(secret));
        try (Stream<StorageEntry> entries = storage.entries()) {
            assertEquals(0, entries.count(), "a link is no object");
        }
        assertEquals(List.of(), Staging.stagedFiles(root));
    }

    /** A module's directory linked out of the root: its .info, .mod and .zip were written where the link led. */
    @Test
    void aWriteDoesNotFollowALinkedDirectoryOutOfTheRoot(@TempDir Path outside) throws IOException {
        Files.createDirectories(root.resolve("example.com"));
        Files.createSymbolicLink(root.resolve("example.com/a"), outside);
        LocalDiskStorage storage = new LocalDiskStorage(root);

        assertThrows(UnusableEntryException.class, () -> put(storage, KEY, "module example.com/a\n"));

        try (Stream<Path> written = Files.list(outside)) {
            assertEquals(List.of(), written.toList());
        }
        assertEquals(new StorageUsage(0, 0), storage.usage());
    }

    @Test
    void aDirectoryWhereAnObjectShouldBeIsUnusableAndLeftAsItIs() throws IOException {
        Files.createDirectories(root.resolve(KEY.value()));
        LocalDiskStorage storage = new LocalDiskStorage(root);

        UnusableEntryException refused = assertThrows(UnusableEntryException.class, () -> storage.lookup(KEY));
        assertTrue(refused.getMessage().contains("is a directory"), refused.getMessage());
        assertThrows(UnusableEntryException.class, () -> put(storage, KEY, "module example.com/a\n"));
        assertTrue(Files.isDirectory(root.resolve(KEY.value())));
    }

    /** An empty .info, .mod or .zip is never what the upstream sent: a miss, so a fetch replaces it. */
    @ParameterizedTest
    @ValueSource(
            strings = {"example.com/a/@v/v1.0.0.info", "example.com/a/@v/v1.0.0.mod", "example.com/a/@v/v1.0.0.zip"})
    void anEmptyArtifactIsAMissAndItsFetchReplacesIt(String name) throws IOException {
        StorageKey key = new StorageKey(name);
        LocalDiskStorage storage = new LocalDiskStorage(root);
        put(storage, key, "");

        assertTrue(storage.lookup(key).isEmpty());
        put(storage, key, "fetched again");
        assertEquals(13, storage.lookup(key).orElseThrow().size());
    }

    @Test
    void anEmptyListIsAnObject() throws IOException {
        StorageKey list = new StorageKey("example.com/a/@v/list");
        LocalDiskStorage storage = new LocalDiskStorage(root);
        put(storage, list, "");

        assertEquals(0, storage.lookup(list).orElseThrow().size());
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
