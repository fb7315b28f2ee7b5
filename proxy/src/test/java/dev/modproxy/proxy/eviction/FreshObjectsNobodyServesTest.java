package dev.modproxy.proxy.eviction;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.cache.ClientDemand;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.SettableVolume;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

/**
 * An object just stored is leased until the answer that serves it is done. When nothing will serve it (the one who
 * asked gave up, or the fetch failed after storing it) it must be released all the same, or eviction skips it for
 * the 10 minutes a lease nobody releases holds.
 */
class FreshObjectsNobodyServesTest {

    private static final long MIB = 1 << 20;
    private static final String ZIP = "example.com/slow/@v/v1.0.0.zip";
    private static final String INFO = "example.com/slow/@v/v1.0.0.info";

    @TempDir
    Path root;

    FakeUpstream upstream;
    BoundedDiskStorage storage;
    ProxyUnderTest proxy;
    /** A pretend volume of 100 MiB whose fill level the test sets. */
    final AtomicLong volumeUsed = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/slow", "v1.0.0");
        // a piece every 0.375 s, within the 1 s read timeout, and 6 s in all: past the warm-up's 4 s per artifact
        upstream.on(
                ZIP,
                FakeUpstream.slowly(
                        "application/zip",
                        BigModule.zip("example.com/slow", "v1.0.0", (int) MIB),
                        Duration.ofSeconds(6)));
        LocalDiskStorage disk = new LocalDiskStorage(root);
        VolumeSpace volume = SettableVolume.of(MIB * 100, volumeUsed::get);
        proxy = new ProxyUnderTest(
                upstream.url(),
                root,
                ProxyUnderTest.options()
                        .readTimeout(Duration.ofSeconds(1)) // the warm-up waits 4 read timeouts per artifact
                        .storage((settings, metrics) -> storage = new BoundedDiskStorage(
                                disk,
                                new BoundedDiskStorage.Settings(
                                        new Watermarks(0.9, 0.75, OptionalLong.empty()),
                                        Duration.ofMinutes(1),
                                        Duration.ofMinutes(10),
                                        Duration.ofHours(1)),
                                volume,
                                Clock.systemUTC(),
                                metrics::evicted)));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        storage.close();
        upstream.close();
    }

    @Test
    void aZipTheWarmupGaveUpOnIsEvictableOnceItLands() throws Exception {
        HttpResponse<String> started = proxy.client()
                .send(
                        HttpRequest.newBuilder(URI.create(proxy.url() + "/admin/warmup"))
                                .header("Content-Type", "text/plain")
                                .POST(HttpRequest.BodyPublishers.ofString("example.com/slow@v1.0.0"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(202, started.statusCode(), started.body());
        JsonObject done = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> new JsonObject(proxy.getText("/admin/warmup").body()),
                        j -> "finished".equals(j.getString("state")));
        assertEquals(504, done.getJsonArray("failures").getJsonObject(0).getInteger("status"), done.encode());
        Path zip = root.resolve(ZIP);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(zip)); // the fetch went on and stored it

        volumeUsed.set(MIB * 95);

        awaitEvicted(zip);
    }

    @Test
    void anArtifactStoredForAClientWhoseFetchThenFailedIsEvictable() throws Exception {
        proxy.cache.observe(
                new ClientDemand() {
                    @Override
                    public void asked(ProxyRequest request, boolean cached) {}

                    @Override
                    public void queried(ProxyRequest request) {}

                    @Override
                    public void landed(ProxyRequest request, boolean byPrefetch) {
                        throw new IllegalStateException("the prefetcher failed");
                    }
                },
                Duration.ofMinutes(1));

        assertNotEquals(200, proxy.get("/" + INFO).statusCode(), "the fetch failed after storing the answer");
        Path info = root.resolve(INFO);
        assertTrue(Files.exists(info));

        volumeUsed.set(MIB * 95);

        awaitEvicted(info);
    }

    private void awaitEvicted(Path file) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            storage.evictIfNeeded();
            return !Files.exists(file);
        });
    }
}
