package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.MutableClock;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;

/** A bucket endpoint that accepts connections and never answers: calls fail in bounded time, start-up does not wait. */
class HungBucketTest {

    @TempDir
    Path staging;

    @Test
    void aLookupOnAHungBucketFailsWellBeforeTheClientsIdleTimeout() throws Exception {
        try (SilentEndpoint silent = new SilentEndpoint()) {
            S3Storage storage = assertTimeoutPreemptively(
                    Duration.ofSeconds(5),
                    () -> new S3Storage(
                            settings(silent.uri()),
                            StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")),
                            staging),
                    "start-up does not wait for the bucket's listing");
            try (storage) {
                long start = System.nanoTime();
                assertTimeoutPreemptively(
                        Duration.ofSeconds(45),
                        () -> assertThrows(
                                IOException.class,
                                () -> storage.lookup(new StorageKey("example.com/a/@v/v1.0.0.info"))));
                long took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(took < 40_000, "failed after " + took + " ms, past what a client waits");
            }
        }
    }

    @Test
    void theReadinessProbeAnswersWithinTheKubeletsTimeoutWhileTheBucketHangs() throws Exception {
        try (SilentEndpoint silent = new SilentEndpoint();
                S3Storage bucket = new S3Storage(
                        settings(silent.uri()),
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")),
                        staging.resolve("s3"))) { // the production timeouts
            CircuitBreakingStorage breaker = new CircuitBreakingStorage(bucket, () -> {}, java.time.Clock.systemUTC());
            Storage layers = new PassThroughStorage(
                    breaker, staging.resolve("pass-through"), () -> {}, java.time.Clock.systemUTC());
            for (int probe = 1; probe <= 3; probe++) {
                long start = System.nanoTime();
                // up: the pass-through directory can take modules; a kubelet waits 2 s (the operator's timeoutSeconds)
                assertTimeoutPreemptively(Duration.ofSeconds(10), layers::probeWritable, "probe " + probe);
                long took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(took < 2_000, "probe " + probe + " took " + took + " ms, past the kubelet's 2 s");
            }
            // a bucket that is merely slow misses the probe's bound too: the probes alone must not skip it
            assertEquals(dev.modproxy.proxy.resilience.CircuitState.CLOSED, breaker.state());
            long start = System.nanoTime();
            assertThrows(ProbeTimeoutException.class, bucket::probeWritable, "the bucket itself does not answer");
            assertTrue((System.nanoTime() - start) / 1_000_000 < 2_000);
        }
    }

    @Test
    void onceTheCircuitOpensMissesAreAnsweredFromTheUpstreamWithoutWaitingForTheBucket() throws Exception {
        Duration callTimeout = Duration.ofSeconds(2); // 25 s in production
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SilentEndpoint silent = new SilentEndpoint();
                FakeUpstream upstream = FakeUpstream.start();
                S3Storage bucket = new S3Storage(
                        settings(silent.uri()),
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")),
                        staging.resolve("s3"),
                        ClientOverrideConfiguration.builder()
                                .apiCallAttemptTimeout(Duration.ofSeconds(1))
                                .apiCallTimeout(callTimeout)
                                .build())) {
            for (int i = 1; i <= 5; i++) {
                Modules.publish(upstream, "example.com/m" + i, "v1.0.0");
            }
            upstream.otherwise(FakeUpstream.status(404, "not found"));
            try (ProxyUnderTest proxy = new ProxyUnderTest(
                    upstream.url(),
                    staging.resolve("root"),
                    ProxyUnderTest.options()
                            // still: the test is over before a trial call could go to the bucket
                            .clock(new MutableClock(Instant.parse("2026-01-01T00:00:00Z")))
                            .registry(registry)
                            .storage((s, m) -> ProxyAssembly.bucketLayers(bucket, s, m)))) {
                long[] took = new long[5];
                for (int i = 0; i < took.length; i++) {
                    took[i] = StorageCircuitThroughProxyTest.millisToGetInfo(proxy, "example.com/m" + (i + 1));
                }

                assertTrue(took[0] >= callTimeout.toMillis(), "the first miss waits for the bucket: " + took[0]);
                for (int i = 1; i < took.length; i++) {
                    assertTrue(
                            took[i] < callTimeout.toMillis(),
                            "miss " + (i + 1) + " is answered from the upstream at once: " + took[i] + " ms");
                }
                assertEquals(
                        1.0,
                        registry.get("modproxy.storage.circuit.open").gauge().value());
                assertTrue(
                        registry.get("modproxy.storage.calls.skipped").counter().count() >= 6);
            }
        }
    }

    private static S3Storage.Settings settings(URI endpoint) {
        return new S3Storage.Settings(Optional.of(endpoint), "hung", "p", "us-east-1", true);
    }

    /** Accepts every connection and holds it: reads nothing, answers nothing. */
    private static final class SilentEndpoint implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> held = new CopyOnWriteArrayList<>();

        SilentEndpoint() throws IOException {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(listener.accept());
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + listener.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
