package dev.modproxy.proxy.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What every {@link Storage} promises, run against each implementation by a subclass. */
abstract class StorageContract {

    static final StorageKey MOD = new StorageKey("example.com/a/@v/v1.0.0.mod");
    static final StorageKey LIST = new StorageKey("example.com/a/@v/list");

    /** A fresh, empty storage for one test. */
    abstract Storage storage() throws Exception;

    @Test
    void aCommittedObjectReadsBackWhole() throws Exception {
        Storage storage = storage();
        put(storage, MOD, "module example.com/a\n");

        StoredObject found = storage.lookup(MOD).orElseThrow();

        assertEquals(21, found.size());
        assertEquals("module example.com/a\n", read(found));
    }

    @Test
    void nothingIsVisibleBeforeCommitAndAnAbandonedWriteLeavesNothing() throws Exception {
        Storage storage = storage();
        try (StorageWriter writer = storage.openWriter(MOD)) {
            writer.output().write(new byte[4096]);
            writer.output().flush();
            assertTrue(storage.lookup(MOD).isEmpty());
        }
        assertTrue(storage.lookup(MOD).isEmpty());
        try (Stream<StorageEntry> entries = storage.entries()) {
            assertEquals(0, entries.count());
        }
    }

    @Test
    void aWriterPublishesOnceAndLeavesNoStagedFileBehind() throws Exception {
        Storage storage = storage();
        Path staged;
        try (StorageWriter writer = storage.openWriter(MOD)) {
            writer.output().write("module example.com/a\n".getBytes(StandardCharsets.UTF_8));
            staged = writer.stagedFile();
            writer.commit();
            assertThrows(IllegalStateException.class, writer::commit);
        }

        assertFalse(Files.exists(staged));
        assertEquals("module example.com/a\n", read(storage.lookup(MOD).orElseThrow()));
    }

    @Test
    void deleteRemovesOnce() throws Exception {
        Storage storage = storage();
        put(storage, MOD, "x");

        assertTrue(storage.delete(MOD));
        assertFalse(storage.delete(MOD));
        assertTrue(storage.lookup(MOD).isEmpty());
    }

    @Test
    void removalListenersHearOfEachDeletionOnce() throws Exception {
        Storage storage = storage();
        List<StorageKey> removed = new CopyOnWriteArrayList<>();
        storage.addRemovalListener(removed::add);
        put(storage, MOD, "x");
        put(storage, LIST, "v1.0.0\n");

        storage.delete(MOD);
        storage.delete(MOD);

        assertEquals(List.of(MOD), removed);
    }

    @Test
    void entriesListEveryObjectWithItsSize() throws Exception {
        Storage storage = storage();
        put(storage, MOD, "abc");
        put(storage, LIST, "v1.0.0\n");
        put(storage, new StorageKey("sumdb/sum.golang.org/latest"), "note");

        try (Stream<StorageEntry> entries = storage.entries()) {
            assertEquals(
                    List.of(
                            "example.com/a/@v/list=7",
                            "example.com/a/@v/v1.0.0.mod=3",
                            "sumdb/sum.golang.org/latest=4"),
                    entries.map(e -> e.key() + "=" + e.size()).sorted().toList());
        }
    }

    /**
     * Keys hold the characters the case encoding and versions bring ('!', '+' of +incompatible, '~', '@'): each a
     * character a URL path or an S3 request may encode, and '+' one some S3 servers once read as a space.
     */
    @Test
    void keysWithCharactersUrlsEncodeReadBackAndListUnderTheirOwnNames() throws Exception {
        Storage storage = storage();
        StorageKey incompatible = new StorageKey("github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip");
        StorageKey tilde = new StorageKey("example.com/a~b/@v/v1.0.0-rc.1.info");
        put(storage, incompatible, "zip bytes");
        put(storage, tilde, "{}");

        assertEquals("zip bytes", read(storage.lookup(incompatible).orElseThrow()));
        assertEquals("{}", read(storage.lookup(tilde).orElseThrow()));
        try (Stream<StorageEntry> entries = storage.entries()) {
            assertEquals(
                    List.of(
                            "example.com/a~b/@v/v1.0.0-rc.1.info=2",
                            "github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip=9"),
                    entries.map(e -> e.key() + "=" + e.size()).sorted().toList());
        }
        assertTrue(storage.delete(incompatible));
        assertTrue(storage.lookup(incompatible).isEmpty());
    }

    @Test
    void usageFollowsPutsReplacementsAndDeletes() throws Exception {
        Storage storage = storage();
        // the first count of what the store holds runs in the background and adds what it lists: puts made while it
        // lists would be counted twice (an S3 bucket's listing once went 5 bytes over in CI)
        await().atMost(Duration.ofSeconds(30)).until(storage::usageCounted);
        put(storage, MOD, "12345");
        put(storage, LIST, "v1\n");
        put(storage, MOD, "12");
        assertEquals(new StorageUsage(5, 2), storage.usage());

        storage.delete(LIST);
        assertEquals(new StorageUsage(2, 1), storage.usage());
    }

    @Test
    void aReplacementIsSeenWhole() throws Exception {
        Storage storage = storage();
        put(storage, LIST, "v1.0.0\n");
        put(storage, LIST, "v1.0.0\nv1.1.0\n");

        assertEquals("v1.0.0\nv1.1.0\n", read(storage.lookup(LIST).orElseThrow()));
    }

    @Test
    void aWritableStoragePassesTheProbe() throws Exception {
        storage().probeWritable();
    }

    static void put(Storage storage, StorageKey key, String content) throws IOException {
        try (StorageWriter writer = storage.openWriter(key)) {
            writer.output().write(content.getBytes(StandardCharsets.UTF_8));
            writer.commit();
        }
    }

    static String read(StoredObject object) throws IOException {
        try (InputStream in = object.open()) {
            byte[] bytes = in.readAllBytes();
            assertEquals(object.size(), bytes.length);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    static void assertContent(byte[] expected, StoredObject object) throws IOException {
        try (InputStream in = object.open()) {
            assertArrayEquals(expected, in.readAllBytes());
        }
    }
}
