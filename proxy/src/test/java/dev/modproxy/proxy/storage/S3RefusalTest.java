package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.resilience.CircuitState;
import dev.modproxy.proxy.testing.S3Server;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bucket that answers "no" is up: its refusals are told apart from a bucket that does not answer. */
class S3RefusalTest {

    static S3Server server;

    @TempDir
    Path staging;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3Server();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void aBucketsRefusalIsAnAnswerAndKeepsTheCircuitClosed() throws Exception {
        AtomicInteger skipped = new AtomicInteger();
        // never created: every call gets the bucket's own 404 NoSuchBucket at once
        try (S3Storage bucket = server.storage("never-created", "cache", staging)) {
            CircuitBreakingStorage breaker =
                    new CircuitBreakingStorage(bucket, skipped::incrementAndGet, Clock.systemUTC());
            StorageKey key = new StorageKey("example.com/a/@v/v1.0.0.mod");
            for (int i = 0; i < 3 * CircuitBreakingStorage.FAILURES_TO_OPEN; i++) {
                try (StorageWriter writer = breaker.openWriter(key)) {
                    // nothing written: s3proxy answers NoSuchBucket without reading a request body and drops the
                    // connection, and the JDK's HTTP client then may report the failed body write (or reuse the
                    // dropped connection) instead of the answer, which a CI run saw; an empty upload is read whole
                    StorageRefusedException refused = assertThrows(StorageRefusedException.class, writer::commit);
                    assertTrue(refused.getMessage().contains("never-created"), refused.getMessage());
                }
            }

            assertEquals(CircuitState.CLOSED, breaker.state());
            assertEquals(0, skipped.get(), "every call went to the bucket");
        }
    }

    @Test
    void aLookupInABucketThatDoesNotExistIsARefusalNotAMissingObject() throws Exception {
        // a bucket deleted while the proxy serves: its lookups were quiet misses (the 404 read as "no such key"), so
        // modproxy_storage_read_failures_total and the read warnings said nothing; only each upload's failure did
        try (S3Storage bucket = server.storage("deleted-meanwhile", "cache", staging)) {
            StorageRefusedException refused = assertThrows(
                    StorageRefusedException.class, () -> bucket.lookup(new StorageKey("example.com/a/@v/v1.0.0.info")));
            assertTrue(refused.getMessage().contains("deleted-meanwhile"), refused.getMessage());
            assertTrue(refused.getMessage().contains("bucket does not exist"), refused.getMessage());
        }
    }
}
