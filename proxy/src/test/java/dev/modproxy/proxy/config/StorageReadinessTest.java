package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.PassThroughStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.FullDisk;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What /q/health/ready says when the storage cannot take a module but the pass-through directory can: ready (builds
 * get their modules), and saying that they go out uncached, as modproxy_storage_write_failures_total counts them.
 */
class StorageReadinessTest {

    private static final String ZIP = "/example.com/lib/@v/v1.0.0.zip";

    @TempDir
    Path dir;

    FakeUpstream upstream;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/lib", "v1.0.0");
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void aStorageThatTakesWritesIsReadyWithoutAWordOfFailures() throws Exception {
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                upstream.url(), dir.resolve("cache"), ProxyUnderTest.options().registry(registry))) {
            assertEquals(200, proxy.get(ZIP).statusCode());

            HealthCheckResponse ready = new StorageReadinessCheck(proxy.assembly).call();
            assertEquals(HealthCheckResponse.Status.UP, ready.getStatus());
            assertFalse(data(ready).containsKey("writeFailures"), data(ready).toString());
            assertEquals(0, writeFailures());
        }
    }

    @Test
    void aDiskThatCannotStageIsReadyAndSaysModulesGoOutUncached() throws Exception {
        Path root = dir.resolve("cache");
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                upstream.url(), root, ProxyUnderTest.options().registry(registry))) {
            // this process's staging directory turned into a file: every write fails, as on a read-only volume
            Path staging;
            try (Stream<Path> own = Files.list(root.resolve(".tmp"))) {
                staging = own.filter(Files::isDirectory).findFirst().orElseThrow();
            }
            try (Stream<Path> files = Files.walk(staging)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            Files.writeString(staging, "not a directory");

            assertEquals(200, proxy.get(ZIP).statusCode(), "served through the pass-through directory");
            assertFalse(Files.exists(root.resolve("example.com/lib/@v/v1.0.0.zip")), "and not cached");

            assertEquals(1, writeFailures());
            HealthCheckResponse ready = new StorageReadinessCheck(proxy.assembly).call();
            assertEquals(HealthCheckResponse.Status.UP, ready.getStatus(), "builds still get their modules");
            Map<String, Object> data = data(ready);
            assertTrue(
                    String.valueOf(data.get("writeFailures")).startsWith("1 artifacts the storage could not take"),
                    data.toString());
            assertTrue(data.containsKey("lastWriteFailure"), data.toString());
        }
    }

    @Test
    void aBucketThatRefusesUploadsCountsToo() throws Exception {
        Path bucket = dir.resolve("bucket");
        Files.createDirectories(bucket);
        var options = ProxyUnderTest.options()
                .registry(registry)
                .storage((settings, metrics) -> ProxyAssembly.bucketLayers(
                        new FullDisk(new LocalDiskStorage(bucket), 0, FullDisk.FailAt.WRITE), settings, metrics));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("unused"), options)) {
            for (String path : List.of(ZIP, "/example.com/lib/@v/v1.0.0.mod")) {
                assertEquals(200, proxy.get(path).statusCode(), path);
            }

            assertEquals(2, writeFailures());
            Map<String, Object> data = data(new StorageReadinessCheck(proxy.assembly).call());
            assertTrue(String.valueOf(data.get("writeFailures")).startsWith("2 artifacts"), data.toString());
        }
    }

    private long writeFailures() {
        return (long) registry.get("modproxy.storage.write.failures").counter().count();
    }

    private static Map<String, Object> data(HealthCheckResponse response) {
        return response.getData().orElse(Map.of());
    }

    @TempDir
    Path root;

    @TempDir
    Path spill;

    /** Metrics of a proxy that wrote nothing yet, for the storage-only cases below. */
    private static ProxyMetrics unused() {
        return new ProxyMetrics(new SimpleMeterRegistry());
    }

    /**
     * A full cache disk with room in the pass-through directory: ready (modules are still served), but the answer said
     * nothing else than a healthy disk's, and only the log, once a minute, told that nothing was being cached.
     */
    @Test
    void aFullDiskServedThroughThePassThroughIsReadyAndSaysNothingIsCached() throws Exception {
        LocalDiskStorage disk = new LocalDiskStorage(root);
        Storage full = new PassThroughStorage(
                new FullDisk(disk, 0, FullDisk.FailAt.WRITE), spill, () -> {}, Clock.systemUTC());

        HealthCheckResponse ready = StorageReadinessCheck.of(full, unused());

        assertEquals(HealthCheckResponse.Status.UP, ready.getStatus());
        Map<String, Object> data = ready.getData().orElseThrow();
        String writes = String.valueOf(data.get("writes"));
        assertTrue(writes.startsWith("nothing new is cached: "), writes);
        assertTrue(writes.contains(root + " cannot take writes (No space left on device)"), writes);
        assertTrue(
                writes.endsWith("served through the pass-through directory " + spill + " without being kept"), writes);
    }

    @Test
    void aDiskWithRoomSaysNothingOfWrites() throws Exception {
        Storage healthy = new PassThroughStorage(new LocalDiskStorage(root), spill, () -> {}, Clock.systemUTC());

        HealthCheckResponse ready = StorageReadinessCheck.of(healthy, unused());

        assertEquals(HealthCheckResponse.Status.UP, ready.getStatus());
        assertFalse(
                ready.getData().orElseThrow().containsKey("writes"),
                ready.getData().toString());
    }

    /** Once the disk takes writes again, the note goes at the next probe. */
    @Test
    void theNoteGoesOnceTheDiskTakesWritesAgain() throws Exception {
        LocalDiskStorage disk = new LocalDiskStorage(root);
        boolean[] full = {true};
        Storage storage = new PassThroughStorage(
                new dev.modproxy.proxy.storage.ForwardingStorage(disk) {
                    @Override
                    public void probeWritable() throws java.io.IOException {
                        if (full[0]) {
                            throw new java.io.IOException("No space left on device");
                        }
                        super.probeWritable();
                    }
                },
                spill,
                () -> {},
                Clock.systemUTC());
        assertTrue(StorageReadinessCheck.of(storage, unused())
                .getData()
                .orElseThrow()
                .containsKey("writes"));

        full[0] = false;

        assertFalse(StorageReadinessCheck.of(storage, unused())
                .getData()
                .orElseThrow()
                .containsKey("writes"));
    }
}
