package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.resilience.CircuitState;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.MutableClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CircuitBreakingStorageTest {

    private static final StorageKey MOD = new StorageKey("example.com/a/@v/v1.0.0.mod");
    private static final StorageKey ZIP = new StorageKey("example.com/a/@v/v1.0.0.zip");

    @TempDir
    Path root;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final AtomicInteger skipped = new AtomicInteger();
    private CapturedLog log;
    private HangingStorage bucket;
    private CircuitBreakingStorage breaker;

    @BeforeEach
    void setUp() throws IOException {
        log = CapturedLog.of(CircuitBreakingStorage.class);
        bucket = new HangingStorage(new LocalDiskStorage(root));
        breaker = new CircuitBreakingStorage(bucket, skipped::incrementAndGet, clock);
    }

    @AfterEach
    void tearDown() {
        log.close();
    }

    @Test
    void threeFailedCallsInARowOpenItAndLaterCallsAreRefusedWithoutReachingTheStorage() {
        hang();
        for (int i = 0; i < CircuitBreakingStorage.FAILURES_TO_OPEN; i++) {
            IOException failed = assertThrows(IOException.class, () -> breaker.lookup(MOD));
            assertFalse(failed instanceof CircuitBreakingStorage.Skipped, "the storage was asked and failed");
        }

        assertEquals(CircuitState.OPEN, breaker.state());
        assertThrows(CircuitBreakingStorage.Skipped.class, () -> breaker.lookup(MOD));
        assertThrows(CircuitBreakingStorage.Skipped.class, () -> breaker.openWriter(MOD));
        assertThrows(CircuitBreakingStorage.Skipped.class, () -> breaker.delete(MOD));
        assertThrows(CircuitBreakingStorage.Skipped.class, breaker::probeWritable);
        assertEquals(CircuitBreakingStorage.FAILURES_TO_OPEN, bucket.calls.get(), "no call reached the storage");
        assertEquals(4, skipped.get());
        assertEquals(1, log.lines().size(), "one line when it opens: " + log.lines());
        assertTrue(log.lines().get(0).contains("circuit open"), log.lines()::toString);
        assertTrue(log.lines().get(0).contains(root.toString()), "names the storage: " + log.lines());
    }

    @Test
    void aCallThatSucceedsBetweenFailuresKeepsItClosed() throws Exception {
        for (int round = 0; round < 3; round++) {
            hang();
            for (int i = 0; i < CircuitBreakingStorage.FAILURES_TO_OPEN - 1; i++) {
                assertThrows(IOException.class, () -> breaker.lookup(MOD));
            }
            bucket.recover();
            assertEquals(Optional.empty(), breaker.lookup(MOD));
        }

        assertEquals(CircuitState.CLOSED, breaker.state());
        assertEquals(0, skipped.get());
    }

    @Test
    void afterTheCoolDownOneTrialGoesThroughAndItsSuccessClosesTheCircuit() throws Exception {
        put(breaker, MOD, "module example.com/a\n");
        hang();
        openOn(breaker);
        clock.advance(CircuitBreakingStorage.COOL_DOWN.minusSeconds(1));
        assertThrows(CircuitBreakingStorage.Skipped.class, () -> breaker.lookup(MOD), "still cooling down");

        clock.advance(Duration.ofSeconds(1));
        bucket.hang(Duration.ofMinutes(1)); // the trial waits until the bucket recovers
        CompletableFuture<Optional<StoredObject>> trial = CompletableFuture.supplyAsync(() -> {
            try {
                return breaker.lookup(MOD);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> bucket.waiting.get() == 1);
        assertEquals(CircuitState.HALF_OPEN, breaker.state());
        assertThrows(
                CircuitBreakingStorage.Skipped.class, () -> breaker.lookup(MOD), "one trial at a time, others skip");
        bucket.recover();

        assertTrue(trial.get().isPresent(), "the trial's answer reaches its caller");
        assertEquals(CircuitState.CLOSED, breaker.state());
        int calls = bucket.calls.get();
        assertTrue(breaker.lookup(MOD).isPresent());
        assertEquals(calls + 1, bucket.calls.get(), "the storage is used again");
        assertEquals(2, log.lines().size(), "one line when it opens, one when it closes: " + log.lines());
        assertTrue(log.lines().get(1).contains("circuit closed"), log.lines()::toString);
    }

    @Test
    void aFailedTrialOpensItForAnotherCoolDown() throws Exception {
        hang();
        openOn(breaker);
        clock.advance(CircuitBreakingStorage.COOL_DOWN);

        IOException trial = assertThrows(IOException.class, () -> breaker.lookup(MOD));
        assertFalse(trial instanceof CircuitBreakingStorage.Skipped, "the trial reached the storage");
        assertEquals(CircuitState.OPEN, breaker.state());
        assertThrows(CircuitBreakingStorage.Skipped.class, () -> breaker.lookup(MOD));

        clock.advance(CircuitBreakingStorage.COOL_DOWN);
        bucket.recover();
        assertEquals(Optional.empty(), breaker.lookup(MOD));
        assertEquals(CircuitState.CLOSED, breaker.state());
        assertEquals(2, log.lines().size(), "a failed trial adds no line: " + log.lines());
    }

    @Test
    void anUploadIsACallAndOpeningAWriterIsNot() throws Exception {
        hang();
        try (StorageWriter writer = breaker.openWriter(MOD)) {
            writer.output().write("module example.com/a\n".getBytes(StandardCharsets.UTF_8));
            assertThrows(IOException.class, writer::commit);
            assertTrue(Files.exists(writer.stagedFile()), "an upload that failed leaves its staged bytes to serve");
        }
        assertEquals(CircuitState.CLOSED, breaker.state());
        try (StorageWriter writer = breaker.openWriter(MOD)) {
            assertEquals(CircuitState.CLOSED, breaker.state(), "staging locally proves nothing");
        }
        assertThrows(IOException.class, () -> breaker.lookup(MOD));

        assertEquals(
                CircuitState.OPEN,
                breaker.state(),
                "an upload and a lookup failed in a row (a miss against a hung bucket)");
    }

    @Test
    void aBucketThatRefusesEveryUploadStillServesItsHits() throws Exception {
        put(breaker, MOD, "module example.com/a\n");
        bucket.refuseUploads();
        for (int i = 0; i < 5 * CircuitBreakingStorage.FAILURES_TO_OPEN; i++) {
            assertThrows(StorageRefusedException.class, () -> put(breaker, ZIP, "zip"));
        }

        assertEquals(CircuitState.CLOSED, breaker.state(), "a refusal is an answer: the bucket is up");
        assertTrue(breaker.lookup(MOD).isPresent(), "its hits are still served");
        assertEquals(0, skipped.get());
    }

    @Test
    void aWriterIsRefusedAtOnceWhileOpenAndItsCommitIsTheTrialAfterTheCoolDown() throws Exception {
        hang();
        openOn(breaker);
        assertThrows(CircuitBreakingStorage.Skipped.class, () -> breaker.openWriter(MOD));

        clock.advance(CircuitBreakingStorage.COOL_DOWN);
        bucket.recover();
        try (StorageWriter writer = breaker.openWriter(MOD)) {
            assertEquals(CircuitState.OPEN, breaker.state(), "opening a writer is not the trial");
            writer.output().write("module example.com/a\n".getBytes(StandardCharsets.UTF_8));
            writer.commit();
        }

        assertEquals(CircuitState.CLOSED, breaker.state());
        assertTrue(breaker.lookup(MOD).isPresent(), "the storage got the entry");
    }

    /** What the breaker does with a failure does not depend on how long it took: here a hung call fails at once. */
    private void hang() {
        bucket.hang(Duration.ZERO);
    }

    /** Two different calls fail: any call counts. */
    private static void openOn(CircuitBreakingStorage breaker) {
        assertThrows(IOException.class, () -> breaker.probeWritable());
        assertThrows(IOException.class, () -> breaker.delete(MOD));
        assertEquals(CircuitState.OPEN, breaker.state());
    }

    private static void put(Storage storage, StorageKey key, String content) throws IOException {
        try (StorageWriter writer = storage.openWriter(key)) {
            writer.output().write(content.getBytes(StandardCharsets.UTF_8));
            writer.commit();
        }
    }

    /**
     * The bucket's write probe first makes a file in the local staging directory: when that directory cannot take one
     * (a read-only or full volume, inodes gone), two readiness probes opened the circuit as if the bucket had failed,
     * and every lookup was then skipped: the bucket's hits went to the upstream, uncached, while the bucket answered.
     */
    @Test
    void aLocalStagingDirectoryThatCannotTakeAFileDoesNotCutOffTheBucketsHits() throws Exception {
        try (dev.modproxy.proxy.testing.S3Server server = new dev.modproxy.proxy.testing.S3Server()) {
            server.createBucket("hits");
            Path staging = root.resolve("s3-staging");
            try (S3Storage s3 = server.storage("hits", "", staging)) {
                StorageContract.put(s3, MOD, "module example.com/a\n");
                CircuitBreakingStorage overBucket = new CircuitBreakingStorage(s3, skipped::incrementAndGet, clock);
                // the local volume fails; here: a file where the staging directory was
                // (the storage stages in a directory of its own process below it, ProcessStaging)
                try (var staged = Files.walk(staging)) {
                    for (Path p : staged.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
                Files.writeString(staging, "not a directory");
                for (int i = 0; i < CircuitBreakingStorage.FAILURES_TO_OPEN; i++) {
                    IOException notReady = assertThrows(
                            IOException.class, overBucket::probeWritable, "readiness: nothing can be staged");
                    assertTrue(
                            notReady.getMessage().contains("local staging directory " + staging), notReady::getMessage);
                }

                assertEquals(dev.modproxy.proxy.resilience.CircuitState.CLOSED, overBucket.state());
                assertTrue(overBucket.lookup(MOD).isPresent(), "the bucket answers lookups all the same");
            }
        }
    }
}
