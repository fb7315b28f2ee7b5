package dev.modproxy.proxy.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.eviction.BoundedDiskStorage;
import dev.modproxy.proxy.eviction.VolumeSpace;
import dev.modproxy.proxy.eviction.Watermarks;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.PassThroughStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.FullDisk;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Mappings;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.MutableClock;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.SettableVolume;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cache hits on small immutable artifacts answered from memory: same bytes, same rules as storage. */
class MemoryHitsTest {

    private static final String MODULE = "example.com/Hot/lib";
    private static final String INFO = "/example.com/!hot/lib/@v/v1.4.0.info";
    private static final String MOD = "/example.com/!hot/lib/@v/v1.4.0.mod";
    private static final String ZIP = "/example.com/!hot/lib/@v/v1.4.0.zip";

    @TempDir
    Path dir;

    FakeUpstream upstream;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        Modules.publish(upstream, MODULE, "v1.4.0");
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void theGoCommandGetsTheUpstreamBytesOfInfoModAndZipFromMemory() throws Exception {
        byte[] zip = Modules.zip(MODULE, "v1.4.0");
        upstream.on(ZIP.substring(1), FakeUpstream.ok("application/zip", zip));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            GoClient first = new GoClient(dir.resolve("first"), proxy.url());
            assertEquals(0, first.download(MODULE + "@v1.4.0").exitCode());
            assertEquals(3, proxy.memory.count(), ".info, .mod and the small zip kept in memory once stored");
            long hitsBefore = proxy.metrics.hits();

            GoClient second = new GoClient(dir.resolve("second"), proxy.url());
            GoClient.Result result = second.download(MODULE + "@v1.4.0");

            assertEquals(0, result.exitCode(), result.both());
            Path downloaded = second.modCache().resolve("cache/download/example.com/!hot/lib/@v");
            assertArrayEquals(
                    Modules.info("v1.4.0").getBytes(StandardCharsets.UTF_8),
                    Files.readAllBytes(downloaded.resolve("v1.4.0.info")));
            assertArrayEquals(
                    Modules.goMod(MODULE).getBytes(StandardCharsets.UTF_8),
                    Files.readAllBytes(downloaded.resolve("v1.4.0.mod")));
            assertArrayEquals(zip, Files.readAllBytes(downloaded.resolve("v1.4.0.zip")));
            assertEquals(1, upstream.hits(ZIP.substring(1)), "one upstream fetch of the zip");
            assertEquals(1, upstream.hits(INFO.substring(1)), "one upstream fetch of .info");
            assertEquals(1, upstream.hits(MOD.substring(1)), "one upstream fetch of .mod");
            assertTrue(proxy.metrics.hits() - hitsBefore >= 3, "memory hits count as cache hits");
        }
    }

    @Test
    void aMemoryHitCarriesTheSameHeadersAsADiskHit() throws Exception {
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            proxy.get(MOD);

            HttpResponse<byte[]> hit = proxy.get(MOD);
            HttpResponse<Void> head = proxy.client()
                    .send(
                            HttpRequest.newBuilder(URI.create(proxy.url() + MOD))
                                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());

            byte[] expected = Modules.goMod(MODULE).getBytes(StandardCharsets.UTF_8);
            assertEquals(200, hit.statusCode());
            assertArrayEquals(expected, hit.body());
            assertEquals(
                    String.valueOf(expected.length),
                    hit.headers().firstValue("Content-Length").orElseThrow());
            assertEquals(
                    "text/plain; charset=utf-8",
                    hit.headers().firstValue("Content-Type").orElseThrow());
            assertEquals(
                    "public, max-age=31536000, immutable",
                    hit.headers().firstValue("Cache-Control").orElseThrow());
            assertEquals(200, head.statusCode());
            assertEquals(
                    String.valueOf(expected.length),
                    head.headers().firstValue("Content-Length").orElseThrow());
        }
    }

    @Test
    void aSmallZipComesFromMemoryAMidSizeOneFromAMappingAndALargeOneFromItsFile() throws Exception {
        byte[] smallZip = Modules.zip(MODULE, "v1.4.0");
        upstream.on(ZIP.substring(1), FakeUpstream.ok("application/zip", smallZip));
        // random bytes do not compress: each zip is about as large as its file
        String mid = "example.com/mid";
        byte[] midZip = publishZipWithRandomFile(mid, 100_000);
        String large = "example.com/large";
        byte[] largeZip = publishZipWithRandomFile(large, (4 << 20) + 1_000);
        assertTrue(midZip.length > 64 * 1024 && midZip.length < 4 << 20, "fixture: " + midZip.length + " bytes");
        assertTrue(largeZip.length > 4 << 20, "fixture: " + largeZip.length + " bytes");
        String midPath = "/" + mid + "/@v/v1.0.0.zip";
        String largePath = "/" + large + "/@v/v1.0.0.zip";
        Path cache = dir.resolve("cache");
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cache)) {
            assertEquals(200, proxy.get(ZIP).statusCode());
            assertEquals(200, proxy.get(midPath).statusCode());
            assertEquals(200, proxy.get(largePath).statusCode());

            for (int i = 0; i < 3; i++) { // hits, each answered whole, from memory, a mapping and the file
                HttpResponse<byte[]> small = proxy.get(ZIP);
                HttpResponse<byte[]> middle = proxy.get(midPath);
                HttpResponse<byte[]> big = proxy.get(largePath);
                assertArrayEquals(smallZip, small.body());
                assertArrayEquals(midZip, middle.body());
                assertArrayEquals(largeZip, big.body());
                for (HttpResponse<byte[]> hit : List.of(small, middle, big)) {
                    assertEquals(
                            "application/zip",
                            hit.headers().firstValue("Content-Type").orElseThrow());
                    assertEquals(
                            "public, max-age=31536000, immutable",
                            hit.headers().firstValue("Cache-Control").orElseThrow());
                    assertEquals(
                            String.valueOf(hit.body().length),
                            hit.headers().firstValue("Content-Length").orElseThrow());
                }
            }

            assertEquals(1, proxy.memory.count(), "the small zip only is copied into memory");
            assertEquals(1, proxy.memory.mappedCount(), "the mid-size zip is mapped, the one over 4 MiB is not");
            assertTrue(Mappings.mapped(cache.resolve(midPath.substring(1))));
            assertFalse(Mappings.mapped(cache.resolve(largePath.substring(1))));
            assertEquals(1, upstream.hits(ZIP.substring(1)));
            assertEquals(1, upstream.hits(midPath.substring(1)));
            assertEquals(1, upstream.hits(largePath.substring(1)));

            proxy.storage.delete(new StorageKey(midPath.substring(1)));

            assertEquals(0, proxy.memory.mappedCount());
            assertFalse(Mappings.mapped(cache.resolve(midPath.substring(1))), "a deleted zip's file is unmapped");
            assertArrayEquals(midZip, proxy.get(midPath).body());
            assertEquals(2, upstream.hits(midPath.substring(1)), "fetched again, not served from the old mapping");
        }
    }

    /** Publishes v1.0.0 of a module whose zip holds a go.mod and a file of random bytes; its zip. */
    private byte[] publishZipWithRandomFile(String module, int randomBytes) throws Exception {
        byte[] random = new byte[randomBytes];
        new Random(module.hashCode()).nextBytes(random);
        byte[] zip = Modules.zipOfBytes(
                module + "@v1.0.0/",
                Map.of("go.mod", ("module " + module + "\n").getBytes(StandardCharsets.UTF_8), "blob.bin", random));
        Modules.publish(upstream, module, "v1.0.0");
        upstream.on(module + "/@v/v1.0.0.zip", FakeUpstream.ok("application/zip", zip));
        return zip;
    }

    @Test
    void aRestartedProxyFillsMemoryOnTheFirstHit() throws Exception {
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            proxy.get(INFO);
        }
        try (ProxyUnderTest restarted = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            assertEquals(0, restarted.memory.count());

            assertEquals(Modules.info("v1.4.0"), restarted.getText(INFO).body());
            assertEquals(Modules.info("v1.4.0"), restarted.getText(INFO).body());

            assertEquals(1, restarted.memory.count());
            assertEquals(1, upstream.hits(INFO.substring(1)));
        }
    }

    @Test
    void aDeletedKeyIsNoLongerServedFromMemory() throws Exception {
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            proxy.get(INFO);
            upstream.on(INFO.substring(1), FakeUpstream.status(404, "gone"));

            proxy.storage.delete(new StorageKey(INFO.substring(1)));

            assertEquals(0, proxy.memory.count());
            assertEquals(404, proxy.get(INFO).statusCode(), "asked upstream again, not answered from memory");
        }
    }

    @Test
    void anEvictedKeyIsDroppedFromMemory() throws Exception {
        AtomicLong volumeUsed = new AtomicLong();
        AtomicLong volumeCapacity = new AtomicLong(100);
        VolumeSpace volume = new SettableVolume(volumeCapacity::get, volumeUsed::get);
        LocalDiskStorage disk = new LocalDiskStorage(dir.resolve("cache"));
        BoundedDiskStorage[] built = new BoundedDiskStorage[1];
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options()
                                .readTimeout(Duration.ofSeconds(10))
                                .stallLimit(Duration.ofSeconds(30))
                                .storage((settings, metrics) -> built[0] = new BoundedDiskStorage(
                                        disk,
                                        new BoundedDiskStorage.Settings(
                                                // down to 1%: both objects must go
                                                new Watermarks(0.9, 0.01, OptionalLong.empty()),
                                                Duration.ofMinutes(1),
                                                Duration.ofMinutes(10),
                                                Duration.ofHours(1)),
                                        volume,
                                        Clock.systemUTC(),
                                        metrics::evicted)));
                BoundedDiskStorage bounded = built[0]) {
            proxy.get(INFO);
            proxy.get(MOD);
            assertEquals(2, proxy.memory.count());

            // a full volume of cached objects only (a volume full of what is not ours is no reason to evict ours)
            volumeCapacity.set(disk.usage().bytes());
            volumeUsed.set(disk.usage().bytes());
            // an answer's lease on its object ends as the answer ends, which may be a moment after the client has it
            AtomicInteger evicted = new AtomicInteger();
            await().atMost(Duration.ofSeconds(5)).until(() -> evicted.addAndGet(bounded.evictIfNeeded()) >= 2);

            assertEquals(2, evicted.get(), "memory does not keep the files busy");
            assertEquals(0, proxy.memory.count());
            assertEquals(0, proxy.memory.bytes());
            volumeUsed.set(0);
            assertEquals(Modules.info("v1.4.0"), proxy.getText(INFO).body());
            assertEquals(2, upstream.hits(INFO.substring(1)), "fetched again after eviction");
        }
    }

    @Test
    void aFileRemovedByHandIsNoticedAtTheNextRecheckWhichAlsoKeepsItsRecency() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        Path root = dir.resolve("cache");
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                upstream.url(), root, ProxyUnderTest.options().memoryCache(1 << 20, clock))) {
            proxy.get(MOD);
            Path file = root.resolve(MOD.substring(1));
            Files.delete(file);

            assertEquals(200, proxy.get(MOD).statusCode(), "within a minute memory answers alone");
            clock.advance(Duration.ofMinutes(2));
            HttpResponse<String> afterRecheck = proxy.getText(MOD);

            assertEquals(200, afterRecheck.statusCode());
            assertEquals(Modules.goMod(MODULE), afterRecheck.body());
            assertEquals(
                    2, upstream.hits(MOD.substring(1)), "the missing file was fetched again, not served from memory");
            assertTrue(Files.exists(file));
        }
    }

    @Test
    void aPrivateModuleIsRefusedEvenWhenItsFilesAreStored() throws Exception {
        Path root = dir.resolve("cache");
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), root)) {
            proxy.get(INFO);
        }
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                upstream.url(), root, ProxyUnderTest.options().privatePatterns("example.com/Hot"))) {
            assertEquals(404, proxy.get(INFO).statusCode());
            assertEquals(404, proxy.get(INFO).statusCode());
            assertEquals(0, proxy.memory.count());
        }
    }

    @Test
    void aBranchQueryIsNotKeptInMemory() throws Exception {
        upstream.on("example.com/!hot/lib/@v/main.info", FakeUpstream.ok("application/json", Modules.info("v1.4.0")));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            assertEquals(200, proxy.get("/example.com/!hot/lib/@v/main.info").statusCode());
            assertEquals(200, proxy.get("/example.com/!hot/lib/@v/main.info").statusCode());

            assertEquals(0, proxy.memory.count());
        }
    }

    @Test
    void anAnswerTheStorageCouldNotKeepIsNotKeptInMemory() throws Exception {
        LocalDiskStorage disk = new LocalDiskStorage(dir.resolve("cache"));
        try (ProxyUnderTest proxy = ProxyUnderTest.onStorage(
                upstream.url(),
                new PassThroughStorage(
                        new FullDisk(disk, 0, FullDisk.FailAt.COMMIT),
                        dir.resolve("spill"),
                        () -> {},
                        Clock.systemUTC()))) {
            HttpResponse<String> served = proxy.getText(INFO);

            assertEquals(200, served.statusCode());
            assertEquals(Modules.info("v1.4.0"), served.body());
            assertEquals(0, proxy.memory.count());
            assertEquals(200, proxy.getText(INFO).statusCode());
            assertEquals(2, upstream.hits(INFO.substring(1)), "not kept anywhere, so fetched again");
        }
    }
}
