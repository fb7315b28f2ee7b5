package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.MutableClock;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production layers over a bucket ({@link ProxyAssembly#bucketLayers}) on a storage that hangs and comes back:
 * once the circuit opens, misses no longer wait for the storage; after the cool-down it is used again.
 */
class StorageCircuitThroughProxyTest {

    /** What one call to the hung storage costs, as the S3 client's timeout does (25 s in production). */
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path work;

    @Test
    void missesStopWaitingForAHungStorageAndItIsUsedAgainOnceItRecovers() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LocalDiskStorage disk = new LocalDiskStorage(work.resolve("bucket"));
        HangingStorage bucket = new HangingStorage(disk);
        try (FakeUpstream upstream = FakeUpstream.start()) {
            for (int i = 1; i <= 6; i++) {
                Modules.publish(upstream, "example.com/m" + i, "v1.0.0");
            }
            upstream.otherwise(FakeUpstream.status(404, "not found"));
            try (ProxyUnderTest proxy = new ProxyUnderTest(
                    upstream.url(),
                    work.resolve("root"),
                    ProxyUnderTest.options()
                            .clock(clock)
                            .registry(registry)
                            .storage((settings, metrics) -> ProxyAssembly.bucketLayers(bucket, settings, metrics)))) {
                bucket.hang(TIMEOUT);

                long first = millisToGetInfo(proxy, "example.com/m1");
                int callsWhenOpen = bucket.calls.get();
                long second = millisToGetInfo(proxy, "example.com/m2");
                long third = millisToGetInfo(proxy, "example.com/m3");

                // a miss makes two calls or more (a local storage is looked up again by the fetch that leads): the
                // circuit is open after the first miss
                assertTrue(first >= TIMEOUT.toMillis(), "the first miss waits for the storage: " + first + " ms");
                assertTrue(second < TIMEOUT.toMillis(), "the second is answered from the upstream at once: " + second);
                assertTrue(third < TIMEOUT.toMillis(), "so is the third: " + third + " ms");
                assertEquals(callsWhenOpen, bucket.calls.get(), "no call reached the hung storage once it was open");
                assertEquals(
                        1.0,
                        registry.get("modproxy.storage.circuit.open").gauge().value());
                assertTrue(
                        registry.get("modproxy.storage.calls.skipped").counter().count() >= 4, "lookups and uploads");

                bucket.recover();
                clock.advance(CircuitBreakingStorage.COOL_DOWN);
                long trial = millisToGetInfo(proxy, "example.com/m5");

                assertTrue(trial < TIMEOUT.toMillis(), "the trial lookup got its answer: " + trial + " ms");
                assertEquals(
                        0.0,
                        registry.get("modproxy.storage.circuit.open").gauge().value());
                assertTrue(
                        disk.lookup(new StorageKey("example.com/m5/@v/v1.0.0.info"))
                                .isPresent(),
                        "the recovered storage gets the module the trial fetched");
                millisToGetInfo(proxy, "example.com/m6");
                assertTrue(
                        disk.lookup(new StorageKey("example.com/m6/@v/v1.0.0.info"))
                                .isPresent(),
                        "and the ones after it");
                assertTrue(
                        disk.lookup(new StorageKey("example.com/m3/@v/v1.0.0.info"))
                                .isEmpty(),
                        "a module served while the storage was skipped was not stored");
            }
        }
    }

    /** Gets a module's .info through the proxy, checks the answer, and returns how long it took. */
    static long millisToGetInfo(ProxyUnderTest proxy, String module) throws Exception {
        long start = System.nanoTime();
        var info = proxy.getText("/" + module + "/@v/v1.0.0.info");
        long took = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, info.statusCode(), info.body());
        assertEquals(Modules.info("v1.0.0"), info.body());
        return took;
    }
}
