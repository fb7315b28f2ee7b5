package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica's size figures with s3 are its listing at start plus its own uploads: a delete or an upload over an object
 * another replica stored since that listing must not take out of them what they never held (they went low, were
 * clamped at zero, and this replica's own uploads after went missing from them).
 */
class S3UsageFiguresTest {

    private static final StorageKey K1 = new StorageKey("example.com/a/@v/v1.0.0.mod");
    private static final StorageKey K2 = new StorageKey("example.com/a/@v/v1.0.0.info");
    private static final StorageKey K3 = new StorageKey("example.com/a/@v/v1.1.0.mod");

    @TempDir
    Path work;

    S3Server s3;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3Server();
        s3.createBucket("figures");
    }

    @AfterEach
    void stop() {
        s3.close();
    }

    private S3Storage replica(String name) throws Exception {
        S3Storage storage = s3.storage("figures", "modproxy", work.resolve("staging-" + name));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(storage::usageCounted);
        return storage;
    }

    private static void write(Storage storage, StorageKey key, String content) throws Exception {
        try (StorageWriter writer = storage.openWriter(key)) {
            writer.output().write(content.getBytes(StandardCharsets.UTF_8));
            writer.commit();
        }
    }

    /** What the listing at start counted is subtracted when deleted, even objects stored moments before it. */
    @Test
    void anObjectTheListingCountedIsSubtracted() throws Exception {
        try (S3Storage before = replica("before")) {
            write(before, K1, "12345");
            write(before, K2, "123");
        }
        try (S3Storage a = replica("a")) {
            assertEquals(new StorageUsage(8, 2), a.usage());

            assertTrue(a.delete(K1));

            assertEquals(new StorageUsage(3, 1), a.usage());

            // stored again by another replica, since: no longer what the listing counted
            try (S3Storage b = replica("b")) {
                write(b, K1, "1234567");
            }
            assertTrue(a.delete(K1));
            assertEquals(new StorageUsage(3, 1), a.usage(), "after deleting another replica's upload since");
        }
    }

    @Test
    void anotherReplicasUploadSinceTheListingIsInNoneOfThisReplicasFigures() throws Exception {
        try (S3Storage a = replica("a");
                S3Storage b = replica("b")) {
            write(b, K1, "1234567"); // both stored by B after A listed an empty bucket
            write(b, K2, "12");
            assertEquals(new StorageUsage(0, 0), a.usage());

            // A reads B's K1 and uploads over it (a list refreshed, say): a new entry in A's figures, not a replacement
            Optional<StoredObject> found = a.lookup(K1);
            assertTrue(found.isPresent());
            found.get().release();
            write(a, K1, "123");
            assertEquals(new StorageUsage(3, 1), a.usage(), "A's upload over B's object");

            // A deletes B's K2: nothing of A's figures goes with it
            assertTrue(a.delete(K2));
            assertEquals(new StorageUsage(3, 1), a.usage(), "after deleting an object only B counted");

            // A's own uploads are subtracted as ever
            write(a, K3, "1234");
            assertEquals(new StorageUsage(7, 2), a.usage());
            assertTrue(a.delete(K3));
            assertTrue(a.delete(K1));
            assertEquals(new StorageUsage(0, 0), a.usage());
        }
    }
}
