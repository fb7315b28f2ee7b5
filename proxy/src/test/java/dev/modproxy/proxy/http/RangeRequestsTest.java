package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.S3Storage;
import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.S3Server;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resuming downloader, or a cache in front of this one, asks for part of a cached artifact with {@code Range}
 * (RFC 9110 14): one range is sent as a 206 with its Content-Range, whichever way the hit is served (memory, a
 * mapping, the file with sendfile, a bucket's stream); a range past the end is a 416; anything else gets the whole.
 */
class RangeRequestsTest {

    private static final String SMALL = "example.com/small";
    private static final String MID = "example.com/mid";
    private static final String LARGE = "example.com/large";

    @TempDir
    Path dir;

    FakeUpstream upstream;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    private byte[] publishZip(String module, int payloadBytes) {
        byte[] zip = BigModule.zip(module, "v1.0.0", payloadBytes);
        Modules.publish(upstream, module, "v1.0.0");
        upstream.on(module + "/@v/v1.0.0.zip", FakeUpstream.ok("application/zip", zip));
        return zip;
    }

    private static String zipPath(String module) {
        return "/" + module + "/@v/v1.0.0.zip";
    }

    private static HttpResponse<byte[]> get(ProxyUnderTest proxy, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(proxy.url() + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return proxy.client().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** Every kind of Range against a cached artifact, each answer checked against the artifact's bytes. */
    private static void assertServesRanges(ProxyUnderTest proxy, String path, byte[] artifact) throws Exception {
        int size = artifact.length;
        HttpResponse<byte[]> whole = get(proxy, path);
        assertEquals(200, whole.statusCode(), path);
        assertArrayEquals(artifact, whole.body(), path);
        assertEquals("bytes", header(whole, "Accept-Ranges"), path);

        assertPart(proxy, path, artifact, "bytes=0-99", 0, Math.min(99, size - 1));
        assertPart(proxy, path, artifact, "bytes=10-20", 10, 20);
        assertPart(proxy, path, artifact, "bytes=" + size / 2 + "-", size / 2, size - 1);
        assertPart(proxy, path, artifact, "bytes=-10", size - 10, size - 1);
        assertPart(proxy, path, artifact, "bytes=5-" + (size + 1000), 5, size - 1); // clamped to the end
        assertPart(proxy, path, artifact, "bytes=-" + (size * 2), 0, size - 1);

        for (String unsatisfiable : new String[] {"bytes=" + size + "-", "bytes=999999999-", "bytes=-0"}) {
            HttpResponse<byte[]> refused = get(proxy, path, "Range", unsatisfiable);
            assertEquals(416, refused.statusCode(), path + " " + unsatisfiable);
            assertEquals("bytes */" + size, header(refused, "Content-Range"), path + " " + unsatisfiable);
        }

        for (String ignored : new String[] {"bytes=0-1,5-6", "bytes=0-1,", "bytes=abc", "bytes=20-10", "lines=0-1"}) {
            HttpResponse<byte[]> answer = get(proxy, path, "Range", ignored);
            assertEquals(200, answer.statusCode(), path + " " + ignored);
            assertArrayEquals(artifact, answer.body(), path + " " + ignored);
            assertEquals(null, header(answer, "Content-Range"), path + " " + ignored);
        }
        // the proxy sends no validator an If-Range could match: the whole artifact (RFC 9110 13.1.5)
        HttpResponse<byte[]> ifRange =
                get(proxy, path, "Range", "bytes=0-99", "If-Range", "Wed, 21 Oct 2015 07:28:00 GMT");
        assertEquals(200, ifRange.statusCode(), path);
        assertArrayEquals(artifact, ifRange.body(), path);
    }

    private static void assertPart(
            ProxyUnderTest proxy, String path, byte[] artifact, String range, int first, int last) throws Exception {
        HttpResponse<byte[]> part = get(proxy, path, "Range", range);

        assertEquals(206, part.statusCode(), path + " " + range);
        assertEquals(
                "bytes " + first + "-" + last + "/" + artifact.length,
                header(part, "Content-Range"),
                path + " " + range);
        assertEquals(String.valueOf(last - first + 1), header(part, "Content-Length"), path + " " + range);
        assertArrayEquals(Arrays.copyOfRange(artifact, first, last + 1), part.body(), path + " " + range);
    }

    @Test
    void rangesOfHitsFromMemoryAMappingAndTheFile() throws Exception {
        byte[] small = publishZip(SMALL, 10_000);
        byte[] mid = publishZip(MID, 100_000);
        byte[] large = publishZip(LARGE, (4 << 20) + 1_000);
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            for (String module : new String[] {SMALL, MID, LARGE}) {
                assertEquals(200, get(proxy, zipPath(module)).statusCode(), "cached");
            }
            assertEquals(200, get(proxy, "/" + SMALL + "/@v/v1.0.0.mod").statusCode());
            assertEquals(200, get(proxy, "/" + SMALL + "/@v/v1.0.0.info").statusCode());

            assertServesRanges(proxy, zipPath(SMALL), small);
            assertServesRanges(proxy, zipPath(MID), mid);
            assertServesRanges(proxy, zipPath(LARGE), large);
            assertServesRanges(
                    proxy, "/" + SMALL + "/@v/v1.0.0.mod", Modules.goMod(SMALL).getBytes(StandardCharsets.UTF_8));
            assertServesRanges(
                    proxy,
                    "/" + SMALL + "/@v/v1.0.0.info",
                    Modules.info("v1.0.0").getBytes(StandardCharsets.UTF_8));

            assertEquals(3, proxy.memory.count(), "the small zip, .mod and .info came from memory");
            assertEquals(1, proxy.memory.mappedCount(), "the mid-size zip from a mapping, the large one from its file");
            assertEquals(1, upstream.hits(zipPath(LARGE).substring(1)), "every range from the cache");
        }
    }

    @Test
    void rangesOfHitsSentWithSendfileWhenMemoryIsOff() throws Exception {
        byte[] small = publishZip(SMALL, 10_000);
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                upstream.url(), dir.resolve("cache"), ProxyUnderTest.options().memoryCache(0, Clock.systemUTC()))) {
            assertEquals(200, get(proxy, zipPath(SMALL)).statusCode());

            assertServesRanges(proxy, zipPath(SMALL), small);
            assertEquals(0, proxy.memory.count());
        }
    }

    @Test
    void rangesOfHitsStreamedFromABucket() throws Exception {
        // over S3Storage's read-at-once bound: a stream, the lookup's own body or a ranged GetObject
        byte[] zip = publishZip(LARGE, 300_000);
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("ranges");
            try (S3Storage bucket = s3.storage("ranges", "cache", dir.resolve("staging"));
                    ProxyUnderTest proxy = new ProxyUnderTest(
                            upstream.url(),
                            dir.resolve("unused"),
                            ProxyUnderTest.options()
                                    .memoryCache(0, Clock.systemUTC())
                                    .storage((settings, metrics) -> bucket))) {
                assertEquals(200, get(proxy, zipPath(LARGE)).statusCode());

                assertServesRanges(proxy, zipPath(LARGE), zip);
                assertEquals(1, upstream.hits(zipPath(LARGE).substring(1)), "every range from the bucket");
            }
        }
    }

    @Test
    void listsLatestAndColdMissesAreSentWholeWithoutAcceptRanges() throws Exception {
        byte[] zip = publishZip(SMALL, 10_000);
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            HttpResponse<byte[]> cold = get(proxy, zipPath(SMALL), "Range", "bytes=0-99");
            assertEquals(200, cold.statusCode(), "a miss streams the whole zip as it arrives");
            assertArrayEquals(zip, cold.body());

            for (String mutable : new String[] {"/" + SMALL + "/@v/list", "/" + SMALL + "/@latest"}) {
                get(proxy, mutable);
                HttpResponse<byte[]> hit = get(proxy, mutable, "Range", "bytes=0-1");

                assertEquals(200, hit.statusCode(), mutable);
                assertTrue(hit.body().length > 2, mutable);
                assertEquals(null, header(hit, "Accept-Ranges"), mutable);
            }
        }
    }

    @Test
    void aHeadOfACachedArtifactSaysRangesAreServedAndIgnoresRange() throws Exception {
        byte[] zip = publishZip(SMALL, 10_000);
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            get(proxy, zipPath(SMALL));

            HttpResponse<byte[]> head = proxy.client()
                    .send(
                            HttpRequest.newBuilder(URI.create(proxy.url() + zipPath(SMALL)))
                                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                    .header("Range", "bytes=0-99")
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray());

            assertEquals(200, head.statusCode());
            assertEquals("bytes", header(head, "Accept-Ranges"));
            assertEquals(String.valueOf(zip.length), header(head, "Content-Length"));
            assertEquals(Optional.empty(), head.headers().firstValue("Content-Range"));
        }
    }
}
