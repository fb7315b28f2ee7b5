package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.Staging;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    /** A delete removes the directories it empties, up to the root and never it; one still holding a file stays. */
    @Test
    void aDeleteRemovesTheDirectoriesItEmptiesButNotTheRoot() throws IOException {
        LocalDiskStorage storage = new LocalDiskStorage(root);
        StorageKey other = new StorageKey("example.com/a/@v/v1.1.0.mod");
        for (StorageKey key : List.of(KEY, other)) {
            try (StorageWriter writer = storage.openWriter(key)) {
                writer.output().write("module example.com/a\n".getBytes(StandardCharsets.UTF_8));
                writer.commit();
            }
        }

        assertTrue(storage.delete(KEY));
        assertTrue(Files.isDirectory(root.resolve("example.com/a/@v")), "still holds v1.1.0.mod");

        assertTrue(storage.delete(other));
        assertFalse(Files.exists(root.resolve("example.com")), "emptied by the last delete");
        assertTrue(Files.isDirectory(root), "the root stays");
        assertFalse(storage.delete(other), "deleted already");
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
        Files.writeString(gone.resolve(ProcessStaging.OWNER_LOCK), "");
        Files.writeString(gone.resolve("put-1.part"), "half a zip");
        // staged straight into .tmp by an older version: removed once untouched for long enough
        Path old = Files.writeString(root.resolve(".tmp/put-123.part"), "half a zip");
        Files.setLastModifiedTime(
                old,
                FileTime.from(Instant.now()
                        .minus(ProcessStaging.ABANDONED_STAGING_AGE)
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

    /**
     * A module's directory someone replaced with a link out of the root: the file where it led was served as the
     * module (a lookup checked the object itself, not the directories above it).
     */
    @Test
    void aReadDoesNotFollowALinkedDirectoryOutOfTheRoot(@TempDir Path outside) throws IOException {
        Files.writeString(Files.createDirectories(outside.resolve("@v")).resolve("v1.0.0.mod"), "root:x:0:0\n");
        Files.createDirectories(root.resolve("example.com"));
        Files.createSymbolicLink(root.resolve("example.com/a"), outside);
        LocalDiskStorage storage = new LocalDiskStorage(root);

        UnusableEntryException refused = assertThrows(UnusableEntryException.class, () -> storage.lookup(KEY));

        assertTrue(
                refused.getMessage()
                        .contains("linked to " + outside.toRealPath().resolve("@v")),
                refused.getMessage());
        assertFalse(refused.replacedByAFetch(), "the link stays: a fetch's write refuses it too");
    }

    /** Links that stay under the root are followed, the root's own included (a cache root made a link to a volume). */
    @Test
    void linksThatStayUnderTheRootAreRead(@TempDir Path elsewhere) throws IOException {
        Path linkedRoot = Files.createSymbolicLink(elsewhere.resolve("cache"), root);
        LocalDiskStorage storage = new LocalDiskStorage(linkedRoot);
        put(storage, new StorageKey("example.com/b/@v/v1.0.0.mod"), "module example.com/b\n");
        Files.createSymbolicLink(root.resolve("example.com/a"), root.resolve("example.com/b"));

        assertEquals(
                "module example.com/b\n",
                Files.readString(storage.lookup(KEY).orElseThrow().localFile().orElseThrow()));
        assertEquals(
                21,
                storage.lookup(new StorageKey("example.com/b/@v/v1.0.0.mod"))
                        .orElseThrow()
                        .size());
    }

    /** A link into the staging directory would serve a download still being written. */
    @Test
    void aReadDoesNotFollowALinkedDirectoryIntoStaging() throws IOException {
        LocalDiskStorage storage = new LocalDiskStorage(root);
        Path partial = Files.createDirectories(root.resolve(".tmp/p-gone/@v"));
        Files.writeString(partial.resolve("v1.0.0.mod"), "module exam");
        Files.createDirectories(root.resolve("example.com"));
        Files.createSymbolicLink(root.resolve("example.com/a"), root.resolve(".tmp/p-gone"));

        assertThrows(UnusableEntryException.class, () -> storage.lookup(KEY));
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

    /**
     * Objects deleted or replaced while the count at start runs, some before it reaches them, some after it passed
     * them: each is counted once at what it is at the end, or not at all. One deleted before the walk reached it was
     * subtracted and never added: the count ended low (eviction deletes in bulk during the count).
     */
    @Test
    void objectsChangedBeforeAndAfterTheCountReachesThemAreCountedOnce() throws IOException {
        LocalDiskStorage first = new LocalDiskStorage(root);
        for (int i = 0; i < 10; i++) {
            put(first, mod(i), "12345");
        }
        List<Runnable> heldBack = new java.util.ArrayList<>();
        LocalDiskStorage restarted = new LocalDiskStorage(root, heldBack::add);
        restarted.afterCounting(key -> {
            if (key.equals(mod(5))) {
                try {
                    assertTrue(restarted.delete(mod(2)), "passed");
                    assertTrue(restarted.delete(mod(7)), "not reached yet");
                    put(restarted, mod(3), "1234567"); // passed
                    put(restarted, mod(8), "123"); // not reached yet
                    assertTrue(restarted.delete(mod(9)));
                    put(restarted, mod(9), "1"); // deleted and written again before the walk gets there
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        assertTrue(restarted.delete(mod(0)), "deleted before the walk began");

        heldBack.get(0).run();

        assertEquals(
                new StorageUsage(4 * 5 + 7 + 3 + 1, 7), restarted.usage(), "m1, m4, m5, m6 as they were; m3, m8, m9");
    }

    @Test
    void theCountAtStartWalksInTheOrderItJudgesChangesBy() {
        List<String> keys = List.of("a/b", "a-b/c", "a.b/c", "a/b.c", "a/b/c", "a!/c", "A/c", "a~/c");
        List<String> byWalk = keys.stream()
                .map(StorageKey::new)
                .sorted(LocalDiskStorage::walkOrder)
                .map(StorageKey::value)
                .toList();
        // a directory's names sorted, and each directory's objects right after it
        assertEquals(List.of("A/c", "a/b", "a/b/c", "a/b.c", "a!/c", "a-b/c", "a.b/c", "a~/c"), byWalk);
    }

    private static StorageKey mod(int i) {
        return new StorageKey("example.com/m" + i + "/@v/v1.0.0.mod");
    }

    /**
     * A staged file is made, then opened: when the opening fails (here: a directory in its place; on a volume, one
     * gone read-only or out of file descriptors), the file made was left behind until the next start's clean-up.
     */
    @Test
    void aStagedFileThatCannotBeOpenedIsNotLeftBehind() throws IOException {
        Path staged = root.resolve("put-1.part");
        Files.createDirectory(staged);

        assertThrows(IOException.class, () -> new StagedWriter(staged, true, true) {
            @Override
            StoredObject publish(Path stagedFile, long size) {
                throw new AssertionError("never opened, never published");
            }
        });

        assertFalse(Files.exists(staged));
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

    /**
     * A .tmp linked elsewhere: start-up removed every file there older than an hour and every directory without an
     * owner.lock, wherever the link led.
     */
    @Test
    void aLinkInPlaceOfTheStagingDirectoryIsReplacedAndWhatItPointsToIsLeftAlone(@TempDir Path outside)
            throws IOException {
        FileTime twoHoursAgo = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
        Path notes = Files.writeString(outside.resolve("notes.txt"), "precious");
        Path oldDirectory = Files.createDirectories(outside.resolve("olddir"));
        Path kept = Files.writeString(oldDirectory.resolve("keep.txt"), "precious");
        for (Path old : List.of(notes, kept, oldDirectory)) {
            Files.setLastModifiedTime(old, twoHoursAgo);
        }
        Files.createSymbolicLink(root.resolve(".tmp"), outside);

        LocalDiskStorage storage = new LocalDiskStorage(root);

        assertEquals("precious", Files.readString(notes));
        assertEquals("precious", Files.readString(kept));
        try (Stream<Path> there = Files.list(outside)) {
            assertEquals(
                    List.of("notes.txt", "olddir"),
                    there.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(Files.isDirectory(root.resolve(".tmp"), LinkOption.NOFOLLOW_LINKS), "a real directory in its place");
        put(storage, KEY, "module example.com/a\n");
        assertEquals(21, storage.lookup(KEY).orElseThrow().size());
    }

    /**
     * Another replica's clean-up (on a file system whose locks are local to one node), or an older version's start-up
     * emptying .tmp, removed this process's staging directory: every write and the readiness probe failed until it
     * restarted.
     */
    @ParameterizedTest
    @ValueSource(strings = {"own staging directory", "whole .tmp"})
    void aStagingDirectoryRemovedBySomeoneElseIsMadeAgainAtTheNextWrite(String removed) throws IOException {
        LocalDiskStorage storage = new LocalDiskStorage(root);
        Path own = onlyStagingDirectory();
        deleteTree(removed.equals("whole .tmp") ? root.resolve(".tmp") : own);

        storage.probeWritable();
        put(storage, KEY, "module example.com/a\n");

        assertEquals(21, storage.lookup(KEY).orElseThrow().size());
        assertTrue(Files.exists(own.resolve(ProcessStaging.OWNER_LOCK)), "made again under its name, with its lock");
        assertEquals(List.of(), Staging.stagedFiles(root));
    }

    /**
     * Two storages on one root in this process (tests, a dev-mode reload): the second's probe of the first's lock
     * released it (closing any channel on a file drops this process's fcntl locks on it), and the next process to
     * start removed the first's staging. The starting process is a real one: locks do not tell within one.
     */
    @Test
    void aSecondStorageInThisProcessLeavesTheFirstsStagingLocked() throws Exception {
        LocalDiskStorage firstStorage = new LocalDiskStorage(root);
        Path first = onlyStagingDirectory();
        LocalDiskStorage secondStorage = new LocalDiskStorage(root);

        Process starting = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        DiskStorageStartingProcess.class.getName(),
                        root.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertTrue(starting.waitFor(60, TimeUnit.SECONDS), "the starting process ended");
        assertEquals(0, starting.exitValue());

        assertTrue(Files.exists(first.resolve(ProcessStaging.OWNER_LOCK)), "the first storage's staging is left");
        // held to here: a storage collected early closes its lock's channel, which would release the lock
        Reference.reachabilityFence(firstStorage);
        Reference.reachabilityFence(secondStorage);
    }

    /**
     * A process starting while another has made its staging directory but not yet locked it took that lock and
     * removed the directory. A directory is now locked before it gets its p- name; one still being made is
     * judged by its age alone.
     */
    @Test
    void aStagingDirectoryBeingMadeIsLeftAloneUntilItIsOld() throws IOException {
        Path beingMade = Files.createDirectories(root.resolve(".tmp/n-123"));
        Files.writeString(beingMade.resolve(ProcessStaging.OWNER_LOCK), "");
        Path abandoned = Files.createDirectories(root.resolve(".tmp/n-456"));
        Path abandonedLock = Files.writeString(abandoned.resolve(ProcessStaging.OWNER_LOCK), "");
        FileTime old = FileTime.from(
                Instant.now().minus(ProcessStaging.ABANDONED_STAGING_AGE).minusSeconds(60));
        Files.setLastModifiedTime(abandonedLock, old);
        Files.setLastModifiedTime(abandoned, old);

        new LocalDiskStorage(root);

        assertTrue(Files.exists(beingMade.resolve(ProcessStaging.OWNER_LOCK)));
        assertFalse(Files.exists(abandoned));
        assertTrue(onlyStagingDirectory().getFileName().toString().startsWith("p-"));
    }

    /** A module's directory linked out of the root: a mutable key's 404 deleted the list where the link led. */
    @Test
    void aDeleteDoesNotGoThroughALinkedDirectory(@TempDir Path outside) throws IOException {
        Path list =
                Files.writeString(Files.createDirectories(outside.resolve("@v")).resolve("list"), "v1.0.0\n");
        Files.createDirectories(root.resolve("example.com"));
        Files.createSymbolicLink(root.resolve("example.com/a"), outside);
        LocalDiskStorage storage = new LocalDiskStorage(root);

        assertThrows(UnusableEntryException.class, () -> storage.delete(new StorageKey("example.com/a/@v/list")));

        assertEquals("v1.0.0\n", Files.readString(list));
    }

    /** The one p- directory under .tmp: the staging of the one storage made on root. */
    private Path onlyStagingDirectory() throws IOException {
        try (Stream<Path> staging = Files.list(root.resolve(".tmp"))) {
            List<Path> own = staging.filter(p -> p.getFileName().toString().startsWith("p-"))
                    .toList();
            assertEquals(1, own.size(), own.toString());
            return own.get(0);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
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
