package dev.modproxy.proxy.eviction;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.SettableVolume;
import dev.modproxy.proxy.testing.SlowClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvictionWhileServingTest {

    private static final long MIB = 1 << 20;
    private static final String ZIP = "example.com/big/@v/v1.0.0.zip";
    private static final byte[] CONTENT = BigModule.zip("example.com/big", "v1.0.0", 24 << 20);

    @TempDir
    Path root;

    FakeUpstream upstream;
    LocalDiskStorage disk;
    BoundedDiskStorage storage;
    ProxyMetrics metrics;
    ProxyUnderTest proxy;
    /**
     * A pretend volume whose fill level the test sets: capacity 100 MiB, eviction above 90 MiB (the 24 MiB zip is
     * not too large to keep: the lease, not its size, is what keeps it).
     */
    final AtomicLong volumeUsed = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        upstream.on(ZIP, FakeUpstream.ok("application/zip", CONTENT));
        disk = new LocalDiskStorage(root);
        VolumeSpace volume = SettableVolume.of(MIB * 100, volumeUsed::get);
        proxy = new ProxyUnderTest(
                upstream.url(),
                root,
                ProxyUnderTest.options()
                        .readTimeout(Duration.ofSeconds(10))
                        .stallLimit(Duration.ofSeconds(30))
                        .storage((settings, proxyMetrics) -> storage = new BoundedDiskStorage(
                                disk,
                                new BoundedDiskStorage.Settings(
                                        new Watermarks(0.9, 0.75, OptionalLong.empty()),
                                        Duration.ofMinutes(1),
                                        Duration.ofMinutes(10),
                                        Duration.ofHours(1)),
                                volume,
                                Clock.systemUTC(),
                                proxyMetrics::evicted)));
        metrics = proxy.metrics;
        assertArrayEquals(CONTENT, proxy.get("/" + ZIP).body(), "first download fills the cache");
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        storage.close();
        upstream.close();
    }

    @Test
    void aZipBeingDownloadedIsNotEvictedUntilTheDownloadEnds() throws Exception {
        Path file = disk.fileFor(new StorageKey(ZIP));
        try (SlowClient client = new SlowClient(proxy.port(), "/" + ZIP)) {
            client.read(64 * 1024);
            volumeUsed.set(MIB * 95);

            assertEquals(0, storage.evictIfNeeded(), "the only object is being served");
            assertTrue(Files.exists(file));

            assertArrayEquals(CONTENT, client.readRest());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> storage.evictIfNeeded() == 1);
        assertFalse(Files.exists(file), "once served it is evictable");
        assertEquals(1, metrics.evictions());
        assertEquals(0, storage.usage().bytes());
    }

    /** Linux keeps an unlinked file's data while it is open, so a removal after sendfile began cannot cut a download. */
    @Test
    void aFileRemovedWhileBeingSentStillArrivesWhole() throws Exception {
        try (SlowClient client = new SlowClient(proxy.port(), "/" + ZIP)) {
            client.read(64 * 1024);

            assertTrue(disk.delete(new StorageKey(ZIP)));

            assertEquals(200, client.status);
            assertArrayEquals(CONTENT, client.readRest());
        }
        assertEquals(200, proxy.get("/" + ZIP).statusCode(), "the next request fetches it again");
        assertEquals(2, upstream.hits(ZIP));
    }

    @Test
    void evictionCountsShowInTheMetric() throws IOException {
        volumeUsed.set(MIB * 95);
        assertEquals(1, storage.evictIfNeeded());
        assertEquals(1, metrics.evictions());
    }
}
