package dev.modproxy.proxy.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.FullDisk;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.Staging;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
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

    /** A list loses the lines the go command skips before it is stored; a failed store serves what is left. */
    @Test
    void aFilteredVersionListIsServedWhenTheDiskRefusesToKeepIt() throws Exception {
        upstream.on("example.com/hello/@v/list", FakeUpstream.ok("text/plain", "v1.2.0\nmaster\nv1.1.0\n"));
        try (ProxyUnderTest proxy = proxyOnFullDisk(300 * 1024, FullDisk.FailAt.COMMIT)) {
            var list = proxy.getText("/example.com/hello/@v/list");

            assertEquals(200, list.statusCode(), list.body());
            assertEquals("v1.2.0\nv1.1.0\n", list.body());
            assertNothingStored();
        }
    }

    /** A planted link fails its key's every request; its warnings must not hide a storage that stops answering. */
    @Test
    void aStorageThatFailsIsWarnedOfEvenJustAfterAPlantedLink() throws Exception {
        StorageKey planted = new StorageKey("example.com/hello/@v/v1.2.0.mod");
        Storage failing = new ForwardingStorage(disk) {
            @Override
            public Optional<StoredObject> lookup(StorageKey key) throws IOException {
                if (key.equals(planted)) {
                    throw new UnusableEntryException(root.resolve(key.value()), "is a symbolic link", false);
                }
                throw new IOException("bucket unreachable");
            }
        };
        Storage storage = new PassThroughStorage(failing, spill, failures::incrementAndGet, Clock.systemUTC());
        try (CapturedLog log = CapturedLog.of(PassThroughStorage.class, Level.WARNING)) {
            assertTrue(storage.lookup(planted).isEmpty());
            assertTrue(storage.lookup(new StorageKey("example.com/hello/@v/v1.2.0.info"))
                    .isEmpty());

            assertEquals(2, log.warnings().size(), log.warnings().toString());
            assertTrue(
                    log.warnings().get(1).contains("bucket unreachable"),
                    log.warnings().get(1));
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

    /**
     * A link where a .mod should be (to a passwd file) was served as the module's go.mod; a directory where an .info
     * should be was fetched and served uncached with a warning at every request, each a failed write that asked
     * for room to be made.
     */
    @Test
    void aLinkOrADirectoryWhereAnObjectShouldBeIsAMissServedFromTheUpstreamAndLoggedOnce(@TempDir Path outside)
            throws Exception {
        Path secret = Files.writeString(outside.resolve("passwd"), "root:x:0:0\n");
        Path mod = root.resolve("example.com/hello/@v/v1.2.0.mod");
        Files.createDirectories(mod.getParent());
        Files.createSymbolicLink(mod, secret);
        Path info = Files.createDirectories(root.resolve("example.com/hello/@v/v1.2.0.info"));
        Storage storage = new PassThroughStorage(disk, spill, failures::incrementAndGet, Clock.systemUTC());

        try (CapturedLog log = CapturedLog.of(PassThroughStorage.class, Level.WARNING);
                ProxyUnderTest proxy = ProxyUnderTest.onStorage(upstream.url(), storage)) {
            for (int i = 0; i < 2; i++) {
                assertEquals(
                        Modules.goMod("example.com/hello"),
                        proxy.getText("/example.com/hello/@v/v1.2.0.mod").body());
                assertEquals(
                        Modules.info("v1.2.0"),
                        proxy.getText("/example.com/hello/@v/v1.2.0.info").body());
            }

            assertEquals(1, log.warnings().size(), log.warnings().toString());
            assertTrue(
                    log.warnings().get(0).contains("symbolic link"),
                    log.warnings().get(0));
            assertTrue(
                    log.warnings().get(0).contains("without caching until it is removed"),
                    log.warnings().get(0));
        }
        assertEquals(0, failures.get(), "the disk is fine: nothing to evict");
        assertEquals(secret, Files.readSymbolicLink(mod), "not cached over the link");
        assertTrue(Files.isDirectory(info));
        assertEquals("root:x:0:0\n", Files.readString(secret));
    }

    /** No object under the root and nothing left in staging: a later restart finds a clean cache. */
    private void assertNothingStored() throws Exception {
        try (Stream<StorageEntry> entries = disk.entries()) {
            assertEquals(0, entries.count());
        }
        assertEquals(List.of(), Staging.stagedFiles(root));
        assertEquals(0, disk.usage().entries());
    }

    private static void store(Storage storage, String key, int bytes) throws Exception {
        try (StorageWriter writer = storage.openWriter(new StorageKey(key))) {
            writer.output().write(new byte[bytes]);
            writer.commit();
        }
    }

    /** A full disk fails every miss's write: it was warned of once per miss; now once a minute, counting the rest. */
    @Test
    void aFullDiskIsWarnedOfOnceAMinuteNotAtEveryMiss() throws Exception {
        dev.modproxy.proxy.testing.MutableClock clock =
                new dev.modproxy.proxy.testing.MutableClock(java.time.Instant.now());
        Storage storage = new PassThroughStorage(
                new FullDisk(disk, 0, FullDisk.FailAt.WRITE), spill, failures::incrementAndGet, clock);
        try (CapturedLog log = CapturedLog.of(PassThroughStorage.class, Level.WARNING)) {
            for (int i = 0; i < 3; i++) {
                store(storage, "example.com/m" + i + "/@v/v1.0.0.mod", 100);
            }
            assertEquals(1, log.warnings().size(), log.warnings().toString());

            clock.advance(java.time.Duration.ofMinutes(1));
            store(storage, "example.com/m3/@v/v1.0.0.mod", 100);

            assertEquals(2, log.warnings().size(), log.warnings().toString());
            assertTrue(
                    log.warnings().get(1).contains("cannot store example.com/m3"),
                    log.warnings().get(1));
            assertTrue(
                    log.warnings().get(1).contains("3 such failures since the last warning"),
                    log.warnings().get(1));
        }
        assertEquals(4, failures.get(), "each failure still counts");
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
