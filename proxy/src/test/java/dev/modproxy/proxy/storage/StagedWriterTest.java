package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large file staged as an upload arrives, in small flushed writes, is published through a copy written in large
 * ones (what the page cache keeps it in, and every later sendfile of it walks); everything else is published as it
 * was written, and whatever goes wrong on the way leaves nothing behind.
 */
class StagedWriterTest {

    /** A modification time no write here makes: the one a rename keeps, and the copy must keep too. */
    private static final FileTime USED = FileTime.from(Instant.parse("2026-01-02T03:04:05Z"));

    @TempDir
    Path staging;

    /** What {@link StagedWriter#publish} was given: the file, its inode and modification time, its bytes. */
    private record Published(Path file, Object inode, FileTime modified, byte[] bytes) {}

    private final List<Published> published = new java.util.ArrayList<>();

    private StagedWriter writer(Path staged, boolean servedFromPageCache) throws IOException {
        return new StagedWriter(staged, true, servedFromPageCache) {
            @Override
            StoredObject publish(Path stagedFile, long size) throws IOException {
                published.add(new Published(
                        stagedFile,
                        Files.getAttribute(stagedFile, "unix:ino"),
                        Files.getLastModifiedTime(stagedFile),
                        Files.readAllBytes(stagedFile)));
                assertEquals(size, Files.size(stagedFile));
                Files.delete(stagedFile); // as a rename into place takes it out of staging
                return StoredObject.ofFile(
                        new StorageKey("example.com/a/@v/v1.0.0.zip"), stagedFile, size, Instant.EPOCH);
            }
        };
    }

    /** Writes the bytes 4 KiB at a time, each flushed, as the upstream's reads are; dates the staged file USED. */
    private static Object stage(StagedWriter writer, byte[] bytes) throws IOException {
        for (int at = 0; at < bytes.length; at += 4096) {
            writer.output().write(bytes, at, Math.min(4096, bytes.length - at));
            writer.output().flush();
        }
        Files.setLastModifiedTime(writer.stagedFile(), USED);
        return Files.getAttribute(writer.stagedFile(), "unix:ino");
    }

    private static byte[] bytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private List<Path> leftInStaging() throws IOException {
        try (Stream<Path> files = Files.list(staging)) {
            return files.toList();
        }
    }

    @Test
    void aLargeFileServedFromThePageCacheIsPublishedThroughACopyWithTheSameBytesAndTime() throws IOException {
        Path staged = Files.createFile(staging.resolve("put-1.part"));
        byte[] content = bytes((int) StagedWriter.WHOLE_COPY_FROM + 3 * StagedWriter.WHOLE_COPY_WRITE + 12345);
        try (StagedWriter writer = writer(staged, true)) {
            Object writtenInode = stage(writer, content);

            writer.commit();

            Published copy = published.get(0);
            assertNotEquals(staged, copy.file(), "published through a file of its own");
            assertNotEquals(writtenInode, copy.inode(), "a new file, written afresh, not the staged one renamed");
            assertArrayEquals(content, copy.bytes());
            assertEquals(USED, copy.modified(), "the staged file's time, as a rename keeps it (eviction reads it)");
            assertFalse(Files.exists(staged), "the staged file is removed once its copy is published");
        }
        assertEquals(List.of(), leftInStaging());
    }

    @Test
    void smallFilesAndFilesForABucketArePublishedAsWritten() throws IOException {
        byte[] small = bytes((int) StagedWriter.WHOLE_COPY_FROM - 1);
        byte[] large = bytes((int) StagedWriter.WHOLE_COPY_FROM);
        for (var written : List.of(new Object[] {small, true}, new Object[] {large, false})) {
            published.clear();
            Path staged = Files.createFile(staging.resolve("put-" + ((byte[]) written[0]).length + ".part"));
            try (StagedWriter writer = writer(staged, (Boolean) written[1])) {
                Object writtenInode = stage(writer, (byte[]) written[0]);

                writer.commit();

                assertEquals(staged, published.get(0).file());
                assertEquals(writtenInode, published.get(0).inode());
                assertArrayEquals((byte[]) written[0], published.get(0).bytes());
            }
        }
        assertEquals(List.of(), leftInStaging());
    }

    /** On a volume too full for the copy, or with its name taken, the staged file is published; nothing else is. */
    @Test
    void whenTheCopyCannotBeMadeTheStagedFileIsPublishedAndWhatHoldsTheNameIsLeftAlone() throws IOException {
        Path staged = Files.createFile(staging.resolve("put-2.part"));
        Path inTheWay = Files.writeString(staging.resolve("put-2.part.whole"), "not this writer's");
        byte[] content = bytes((int) StagedWriter.WHOLE_COPY_FROM + 1);
        try (StagedWriter writer = writer(staged, true)) {
            Object writtenInode = stage(writer, content);

            writer.commit();

            assertEquals(staged, published.get(0).file());
            assertEquals(writtenInode, published.get(0).inode());
            assertArrayEquals(content, published.get(0).bytes());
        }
        assertEquals("not this writer's", Files.readString(inTheWay));
        assertEquals(List.of(inTheWay), leftInStaging());
    }

    /** A publish that fails leaves the copy where the staged file was, and closing the writer removes it. */
    @Test
    void aCopyWhosePublishFailsIsRemovedWithTheWriter() throws IOException {
        Path staged = Files.createFile(staging.resolve("put-3.part"));
        StagedWriter writer = new StagedWriter(staged, true, true) {
            @Override
            StoredObject publish(Path stagedFile, long size) throws IOException {
                throw new IOException("the volume went read-only");
            }
        };
        stage(writer, bytes((int) StagedWriter.WHOLE_COPY_FROM));

        assertThrows(IOException.class, writer::commit);
        assertTrue(Files.exists(writer.stagedFile()), "left where it is for the caller, as publish promises");
        writer.close();

        assertEquals(List.of(), leftInStaging());
    }
}
