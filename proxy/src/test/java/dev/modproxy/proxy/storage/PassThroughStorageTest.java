package dev.modproxy.proxy.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.FullDisk;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PassThroughStorageTest {

    private static final String BIG_ZIP = "example.com/big/@v/v1.0.0.zip";
    private static final byte[] BIG = BigModule.zip("example.com/big", "v1.0.0", 1 << 20);

    @TempDir
    Path root;

    @TempDir
    Path spill;

    @TempDir
    Path goHome;

    FakeUpstream upstream;
    LocalDiskStorage disk;
    final AtomicInteger failures = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        upstream.on(BIG_ZIP, FakeUpstream.ok("application/zip", BIG));
        Modules.publish(upstream, "example.com/hello", "v1.2.0");
        disk = new LocalDiskStorage(root);
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    private ProxyUnderTest proxyOnFullDisk(long room, FullDisk.FailAt failAt) throws Exception {
        Storage storage = new PassThroughStorage(
                new FullDisk(disk, room, failAt), spill, failures::incrementAndGet, Clock.systemUTC());
        return ProxyUnderTest.onStorage(upstream.url(), storage);
    }

    @ParameterizedTest
    @EnumSource(FullDisk.FailAt.class)
    void aModuleIsStillServedWhenTheDiskIsFullAndNothingIsStored(FullDisk.FailAt failAt) throws Exception {
        try (ProxyUnderTest proxy = proxyOnFullDisk(300 * 1024, failAt)) {
            var first = proxy.get("/" + BIG_ZIP);
            // a request arriving while the first fetch is still closing joins it (one fetch, same answer);
            // any later one must fetch again, since nothing was stored
            var again = await().atMost(Duration.ofSeconds(10))
                    .until(() -> proxy.get("/" + BIG_ZIP), answer -> upstream.hits(BIG_ZIP) == 2);

            assertEquals(200, first.statusCode());
            assertArrayEquals(BIG, first.body());
            assertArrayEquals(BIG, again.body());
            assertEquals(2, upstream.hits(BIG_ZIP), "not cached, so fetched again");
            assertTrue(proxy.storage.lookup(new StorageKey(BIG_ZIP)).isEmpty());
            assertNothingStored();
            assertEquals(2, failures.get(), "each failed write asks for room to be made");
        }
    }

    @Test
    void theGoCommandDownloadsAModuleThroughAFullCache() throws Exception {
        try (ProxyUnderTest proxy = proxyOnFullDisk(0, FullDisk.FailAt.WRITE)) {
            GoClient.Result result = new GoClient(goHome, proxy.url()).download("example.com/hello@v1.2.0");

            assertEquals(0, result.exitCode(), result.both());
            assertTrue(result.output().contains("\"Version\": \"v1.2.0\""), result.output());
            assertTrue(Files.exists(goHome.resolve("gomodcache/example.com/hello@v1.2.0/go.mod")));
            assertNothingStored();
        }
    }

    @Test
    void aHealthyDiskStillCachesThroughTheSameWrapper() throws Exception {
        try (ProxyUnderTest proxy = proxyOnFullDisk(Long.MAX_VALUE, FullDisk.FailAt.WRITE)) {
            assertArrayEquals(BIG, proxy.get("/" + BIG_ZIP).body());
            assertArrayEquals(BIG, proxy.get("/" + BIG_ZIP).body());

            assertEquals(1, upstream.hits(BIG_ZIP));
            assertEquals(0, failures.get());
            try (Stream<Path> spilled = Files.list(spill)) {
                assertEquals(0, spilled.count());
            }
        }
    }

    /** No object under the root and nothing left in staging: a later restart finds a clean cache. */
    private void assertNothingStored() throws Exception {
        try (Stream<StorageEntry> entries = disk.entries()) {
            assertEquals(0, entries.count());
        }
        try (Stream<Path> staged = Files.list(root.resolve(".tmp"))) {
            assertEquals(0, staged.count());
        }
        assertEquals(0, disk.usage().entries());
    }

    private static void store(Storage storage, String key, int bytes) throws Exception {
        try (StorageWriter writer = storage.openWriter(new StorageKey(key))) {
            writer.output().write(new byte[bytes]);
            writer.commit();
        }
    }

    @Test
    void spillFilesAreBoundedInSizeAndAgeAndReadinessFailsWhenBothVolumesAreFull() throws Exception {
        dev.modproxy.proxy.testing.MutableClock clock =
                new dev.modproxy.proxy.testing.MutableClock(java.time.Instant.now());
        Storage storage = new PassThroughStorage(
                new FullDisk(disk, 0, FullDisk.FailAt.WRITE), spill, failures::incrementAndGet, clock, 256 * 1024);
        storage.probeWritable(); // the disk is full, but modules can still be served through the spill directory

        org.junit.jupiter.api.Assertions.assertThrows(
                java.io.IOException.class,
                () -> store(storage, "example.com/huge/@v/v1.0.0.zip", 300 * 1024),
                "one spill larger than the bound");
        store(storage, "example.com/a/@v/v1.0.0.zip", 128 * 1024);
        store(storage, "example.com/b/@v/v1.0.0.zip", 128 * 1024);

        java.io.IOException down =
                org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, storage::probeWritable);
        assertTrue(down.getMessage().contains("pass-through directory"), down.getMessage());

        // spill files only outlive their answer by a little: then there is room again
        for (Path file : Files.list(spill).toList()) {
            Files.setLastModifiedTime(
                    file,
                    java.nio.file.attribute.FileTime.from(clock.instant().minus(java.time.Duration.ofMinutes(3))));
        }
        storage.probeWritable();
        try (Stream<Path> left = Files.list(spill)) {
            assertEquals(0, left.count(), "old spill files are removed");
        }
    }
}
