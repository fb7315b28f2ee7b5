package dev.modproxy.proxy.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.resilience.CircuitState;
import dev.modproxy.proxy.testing.S3Server;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** A bucket that answers "no" is up: its refusals are told apart from a bucket that does not answer. */
class S3RefusalTest {

    /** A module zip larger than the socket buffers: it is still being sent when a refusing server resets. */
    static final byte[] ZIP = new byte[8 << 20];

    static S3Server server;

    @TempDir
    Path staging;

    @BeforeAll
    static void startServer() throws Exception {
        new Random(1).nextBytes(ZIP);
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
                    // s3proxy answers NoSuchBucket without reading the body and drops the connection: when the JDK's
                    // client is sending the body by then it reports the failed write, not the answer (a CI run under
                    // load saw it, 4 attempts); the storage then asks the bucket, which answers NoSuchBucket again
                    writer.output().write(ZIP);
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
            // the code a platform engineer searches the log and the storage service's documentation for
            assertTrue(refused.getMessage().contains(": NoSuchBucket (HTTP 404): "), refused.getMessage());
        }
    }

    @Test
    void aRefusalOfTheCredentialsNamesTheBucketsErrorCodeAndStatus() throws Exception {
        server.createBucket("wrong-secret");
        try (S3Storage bucket = new S3Storage(
                new S3Storage.Settings(Optional.of(server.endpoint()), "wrong-secret", "cache", "us-east-1", true),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        server.credentials().resolveCredentials().accessKeyId(), "wrong")),
                staging)) {
            StorageRefusedException lookup = assertThrows(
                    StorageRefusedException.class, () -> bucket.lookup(new StorageKey("example.com/a/@v/v1.0.0.info")));
            assertTrue(lookup.getMessage().contains(": SignatureDoesNotMatch (HTTP 403): "), lookup.getMessage());

            // the readiness probe's HeadBucket: a HEAD's answer has no body, so the SDK reads no code from it
            StorageRefusedException probe = assertThrows(StorageRefusedException.class, bucket::probeWritable);
            assertTrue(probe.getMessage().contains("cannot reach bucket wrong-secret"), probe.getMessage());
            assertTrue(probe.getMessage().contains(": HTTP 403: "), probe.getMessage());
        }
    }

    @Test
    void anUploadRefusedWhileItsBodyIsSentIsAnAnswerAndKeepsTheCircuitClosed() throws Exception {
        AtomicInteger skipped = new AtomicInteger();
        try (RefusingBucket refusing = new RefusingBucket("read-only", true);
                S3Storage bucket = storageAt(refusing, "read-only")) {
            CircuitBreakingStorage breaker =
                    new CircuitBreakingStorage(bucket, skipped::incrementAndGet, Clock.systemUTC());
            StorageKey key = new StorageKey("example.com/a/@v/v1.0.0.zip");
            for (int i = 0; i < 3 * CircuitBreakingStorage.FAILURES_TO_OPEN; i++) {
                try (StorageWriter writer = breaker.openWriter(key)) {
                    writer.output().write(ZIP);
                    // the JDK's client reports "Error writing request body to server", not the 403: that read as an
                    // unreachable bucket, and two such uploads opened the circuit, cutting off the bucket's hits
                    StorageRefusedException refused = assertThrows(StorageRefusedException.class, writer::commit);
                    assertTrue(refused.getMessage().contains("s3://read-only/cache"), refused.getMessage());
                    assertTrue(
                            refused.getMessage().contains("the bucket closed the connection while the upload was sent"),
                            refused.getMessage());
                    assertTrue(refused.getMessage().contains("answers a HeadBucket (200)"), refused.getMessage());
                }
            }

            assertEquals(CircuitState.CLOSED, breaker.state());
            assertEquals(0, skipped.get(), "every call went to the bucket");
            assertTrue(
                    refusing.requests().contains(new RefusingBucket.Request("HEAD", "/read-only")),
                    "the bucket was asked: " + refusing.requests());
        }
    }

    @Test
    void anUploadCutOffByABucketThatAnswersNothingElseStillOpensTheCircuit() throws Exception {
        AtomicInteger skipped = new AtomicInteger();
        try (RefusingBucket failing = new RefusingBucket("going-down", false);
                S3Storage bucket = storageAt(failing, "going-down")) {
            CircuitBreakingStorage breaker =
                    new CircuitBreakingStorage(bucket, skipped::incrementAndGet, Clock.systemUTC());
            StorageKey key = new StorageKey("example.com/a/@v/v1.0.0.zip");
            for (int i = 0; i < CircuitBreakingStorage.FAILURES_TO_OPEN; i++) {
                try (StorageWriter writer = breaker.openWriter(key)) {
                    writer.output().write(ZIP);
                    IOException failed = assertThrows(IOException.class, writer::commit);
                    assertFalse(failed instanceof StorageRefusedException, failed.toString());
                    assertTrue(failed.getMessage().contains("cannot upload"), failed.getMessage());
                }
            }

            assertEquals(CircuitState.OPEN, breaker.state());
            assertTrue(
                    failing.requests().contains(new RefusingBucket.Request("HEAD", "/going-down")),
                    "the bucket was asked: " + failing.requests());
        }
    }

    @Test
    void uploadsRefusedAtOnceAskTheBucketOnceBetweenThem() throws Exception {
        int uploads = 10;
        // a bucket 500 ms away that refuses them all at the same moment: a build pulling many modules at a bucket
        // that denies PutObject; each cut upload made a HeadBucket of its own, 10 here
        try (RefusingBucket refusing = new RefusingBucket(
                        "read-only", RefusingBucket.HeadBucket.ANSWERED, Duration.ofMillis(500), uploads);
                S3Storage bucket = storageAt(refusing, "read-only")) {
            ExecutorService builds = Executors.newFixedThreadPool(uploads);
            try {
                List<Future<StorageRefusedException>> refusals = new ArrayList<>();
                for (int i = 0; i < uploads; i++) {
                    StorageKey key = new StorageKey("example.com/m" + i + "/@v/v1.0.0.zip");
                    Callable<StorageRefusedException> upload = () -> {
                        try (StorageWriter writer = bucket.openWriter(key)) {
                            writer.output().write(ZIP);
                            return assertThrows(StorageRefusedException.class, writer::commit);
                        }
                    };
                    refusals.add(builds.submit(upload));
                }
                for (Future<StorageRefusedException> refused : refusals) {
                    assertTrue(
                            refused.get().getMessage().contains("answers a HeadBucket (200)"),
                            refused.get().getMessage());
                }
            } finally {
                builds.shutdownNow();
            }

            long asked = refusing.headBuckets();
            assertTrue(asked >= 1 && asked <= 3, asked + " HeadBuckets for " + uploads + " uploads refused at once");
        }
    }

    @Test
    void anUploadCutOffByABucketThatStopsAnsweringFailsWithinTheProbesBound() throws Exception {
        try (RefusingBucket hung = new RefusingBucket("hung", RefusingBucket.HeadBucket.HELD, Duration.ZERO, 1);
                S3Storage bucket = storageAt(hung, "hung")) {
            try (StorageWriter writer = bucket.openWriter(new StorageKey("example.com/a/@v/v1.0.0.zip"))) {
                writer.output().write(ZIP);
                long start = System.nanoTime();
                IOException failed = assertThrows(IOException.class, writer::commit);
                Duration took = Duration.ofNanos(System.nanoTime() - start);

                assertFalse(failed instanceof StorageRefusedException, failed.toString());
                assertTrue(failed.getMessage().contains("cannot upload"), failed.getMessage());
                // the SDK's own HeadBucket waited 10 s per attempt and 25 s in all: the upload's failure took 25.4 s
                assertTrue(
                        took.compareTo(S3Storage.PROBE_TIMEOUT.plusSeconds(5)) < 0,
                        "failed after " + took.toMillis() + " ms");
                assertTrue(
                        List.of(failed.getCause().getSuppressed()).stream()
                                .anyMatch(ProbeTimeoutException.class::isInstance),
                        "the probe's bound cut it: " + List.of(failed.getCause().getSuppressed()));
            }
            assertTrue(hung.headBuckets() >= 1, "the bucket was asked: " + hung.requests());
        }
    }

    /**
     * An upload cut while a probe's HeadBucket is already out waits on that call, whose own time (the SDK's, from
     * before the cut) runs out before the wait does: the same bound, told the same way, not a failure of another kind.
     */
    @Test
    void anUploadCutWhileAProbeIsOutIsBoundByThatProbesTime() throws Exception {
        try (RefusingBucket hung = new RefusingBucket("hung", RefusingBucket.HeadBucket.HELD, Duration.ZERO, 1);
                S3Storage bucket = storageAt(hung, "hung")) {
            ExecutorService readiness = Executors.newSingleThreadExecutor();
            try {
                Future<?> probe = readiness.submit(() -> {
                    assertThrows(ProbeTimeoutException.class, bucket::probeWritable);
                    return null;
                });
                await().atMost(Duration.ofSeconds(5)).until(() -> hung.headBuckets() >= 1);
                try (StorageWriter writer = bucket.openWriter(new StorageKey("example.com/a/@v/v1.0.0.zip"))) {
                    writer.output().write(ZIP);
                    IOException failed = assertThrows(IOException.class, writer::commit);

                    assertFalse(failed instanceof StorageRefusedException, failed.toString());
                    assertTrue(
                            List.of(failed.getCause().getSuppressed()).stream()
                                    .anyMatch(ProbeTimeoutException.class::isInstance),
                            "the probe's bound: " + List.of(failed.getCause().getSuppressed()));
                }
                probe.get();
                assertEquals(1, hung.headBuckets(), "one HeadBucket, shared: " + hung.requests());
            } finally {
                readiness.shutdownNow();
            }
        }
    }

    private S3Storage storageAt(RefusingBucket endpoint, String name) throws IOException {
        return new S3Storage(
                new S3Storage.Settings(Optional.of(endpoint.endpoint()), name, "cache", "us-east-1", true),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")),
                staging);
    }
}
