package dev.modproxy.proxy.acceptance;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.RawUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upstreams that break HTTP or the protocol on purpose: none of it may become a cache entry. */
class AdversarialUpstreamTest {

    @TempDir
    Path dir;

    RawUpstream upstream;
    ProxyUnderTest proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = RawUpstream.start();
        proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    private boolean stored(String path) throws IOException {
        return proxy.storage.lookup(new StorageKey(path)).isPresent();
    }

    @Test
    void anAnswerWithBothContentLengthAndChunkedIsRefusedAndNotStored() throws Exception {
        upstream.on(
                        "example.com/raw/@v/v1.0.0.mod",
                        RawUpstream.chunked("text/plain", "module example.com/raw\n\ngo 1.21\n", true))
                .on("example.com/raw/@v/list", RawUpstream.chunked("text/plain", "v1.0.0\n", true))
                .on(
                        "example.com/chunked/@v/v1.0.0.mod",
                        RawUpstream.chunked("text/plain", "module example.com/chunked\n", false));

        HttpResponse<String> mod = proxy.getText("/example.com/raw/@v/v1.0.0.mod");
        HttpResponse<String> list = proxy.getText("/example.com/raw/@v/list");

        assertEquals(502, mod.statusCode(), mod.body());
        assertTrue(mod.body().contains("both Content-Length and Transfer-Encoding"), mod.body());
        assertEquals(502, list.statusCode(), list.body());
        assertFalse(stored("example.com/raw/@v/v1.0.0.mod"));
        assertFalse(stored("example.com/raw/@v/list"));
        HttpResponse<String> chunkedOnly = proxy.getText("/example.com/chunked/@v/v1.0.0.mod");
        assertEquals(200, chunkedOnly.statusCode(), "chunked framing alone is fine");
        assertEquals("module example.com/chunked\n", chunkedOnly.body());
    }

    @Test
    void aContentLengthThatIsNoNumberIsAnUnusableAnswerThatPipeFallsThrough() throws Exception {
        String tooBig = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 99999999999999999999\r\n\r\n"
                + "module example.com/raw\n";
        String notANumber =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: abc\r\n\r\nmodule example.com/raw\n";
        upstream.on("example.com/raw/@v/v1.0.0.mod", RawUpstream.raw(tooBig))
                .on("example.com/raw/@v/v1.1.0.mod", RawUpstream.raw(notANumber));

        for (String version : List.of("v1.0.0", "v1.1.0")) {
            HttpResponse<String> alone = proxy.getText("/example.com/raw/@v/" + version + ".mod");
            assertEquals(502, alone.statusCode(), alone.body());
            assertTrue(
                    alone.body()
                            .startsWith("unusable answer from "
                                    + URI.create(upstream.url()).getAuthority()),
                    alone.body());
            assertFalse(stored("example.com/raw/@v/" + version + ".mod"));
        }

        try (RawUpstream next = RawUpstream.start();
                ProxyUnderTest chained =
                        new ProxyUnderTest(upstream.url() + "|" + next.url(), dir.resolve("chained"))) {
            next.otherwise(RawUpstream.answer(200, "text/plain", "module example.com/raw\n"));
            for (String version : List.of("v1.0.0", "v1.1.0")) {
                HttpResponse<String> fellThrough = chained.getText("/example.com/raw/@v/" + version + ".mod");
                assertEquals(200, fellThrough.statusCode(), version + ": " + fellThrough.body());
                assertEquals("module example.com/raw\n", fellThrough.body());
            }
        }
    }

    @Test
    void textTheGoCommandWouldNotReadAsAGoModIsRefusedAndAVersionListLosesTheLinesItWouldSkip() throws Exception {
        upstream.on(
                        "example.com/framed/@v/v1.0.0.mod",
                        RawUpstream.answer(
                                200, "text/plain", "1e\r\nmodule example.com/framed\n\ngo 1.21\n\r\n0\r\n\r\n"))
                .on(
                        "example.com/quote/@v/v1.0.0.mod",
                        RawUpstream.answer(200, "text/plain", "module \"example.com/quote\n"))
                .on(
                        "example.com/framed/@v/list",
                        RawUpstream.answer(200, "text/plain", "e\r\nv1.0.0\nv1.1.0\n\r\n0\r\n\r\n"))
                .on("example.com/words/@v/list", RawUpstream.answer(200, "text/plain", "v1.0.0\nnot a version\n"))
                .on(
                        "example.com/fine/@v/list",
                        RawUpstream.answer(200, "text/plain", "v1.0.0\r\nv1.1.0-rc.1\nv2.0.0+incompatible\n\n"));

        for (String path : new String[] {"example.com/framed/@v/v1.0.0.mod", "example.com/quote/@v/v1.0.0.mod"}) {
            HttpResponse<String> answer = proxy.getText("/" + path);
            assertEquals(502, answer.statusCode(), path + ": " + answer.body());
            assertFalse(stored(path), path);
        }
        // the go command skips the lines that name no version (its chunk sizes, "not a version") and reads the rest
        HttpResponse<String> framed = proxy.getText("/example.com/framed/@v/list");
        assertEquals(200, framed.statusCode(), framed.body());
        assertEquals("v1.0.0\nv1.1.0\n", framed.body());
        HttpResponse<String> words = proxy.getText("/example.com/words/@v/list");
        assertEquals(200, words.statusCode(), words.body());
        assertEquals("v1.0.0\n", words.body());
        HttpResponse<String> fine = proxy.getText("/example.com/fine/@v/list");
        assertEquals(200, fine.statusCode(), "CRLF, pre-releases and blank lines are fine");
        assertEquals("v1.0.0\r\nv1.1.0-rc.1\nv2.0.0+incompatible\n\n", fine.body(), "and kept as they came");
    }

    @Test
    void aColdZipThatIsNoZipIsRefusedWithItsReasonBeforeAnyByteGoesToTheClient() throws Exception {
        byte[] text = new byte[1 << 20];
        Arrays.fill(text, (byte) 'v');
        byte[] noise = new byte[1 << 20];
        new Random(1).nextBytes(noise);
        upstream.on("example.com/text/@v/v1.0.0.zip", binary("", text))
                .on("example.com/noise/@v/v1.0.0.zip", binary("Content-Encoding: gzip\r\n", gzip(noise, 0)));

        for (String module : List.of("example.com/text", "example.com/noise")) {
            HttpResponse<String> answer = proxy.getText("/" + module + "/@v/v1.0.0.zip");

            assertEquals(502, answer.statusCode(), module + ": " + answer.body());
            assertTrue(answer.body().contains("not a zip file: it starts with the bytes "), answer.body());
            assertFalse(stored(module + "/@v/v1.0.0.zip"));
        }
    }

    @Test
    void aZipSignatureFollowedByNothingIsRefusedWithItsReasonBeforeAnyByteGoesToTheClient() throws Exception {
        // 64 KiB of gzip inflating to a zip's signature and 64 MiB of NULs: a local header whose entry has no name
        upstream.on(
                "example.com/bomb/@v/v1.0.0.zip",
                binary("Content-Encoding: gzip\r\n", gzip(new byte[] {'P', 'K', 3, 4}, (64 << 20) - 4)));

        HttpResponse<String> answer = proxy.getText("/example.com/bomb/@v/v1.0.0.zip");

        assertEquals(502, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("its first entry has no name"), answer.body());
        assertFalse(stored("example.com/bomb/@v/v1.0.0.zip"));
    }

    @Test
    void aModuleZipGzipEncodedMoreThanAHundredfoldIsServedWhole() throws Exception {
        // 100 MiB of zeros deflates to about 100 KB, whose repeats gzip shrinks about 128-fold again: a real module
        // zip (test data, a disk image) that is no bomb, within the 500 MiB a module zip may hold
        byte[] zip = Modules.zipOfBytes(
                "example.com/zeros@v1.0.0/",
                Map.of(
                        "go.mod",
                        "module example.com/zeros\n".getBytes(StandardCharsets.UTF_8),
                        "zeros.bin",
                        new byte[100 << 20]));
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(encoded)) {
            out.write(zip);
        }
        assertTrue(encoded.size() * 100L < zip.length, "gzip took " + zip.length + " bytes to " + encoded.size());
        upstream.on("example.com/zeros/@v/v1.0.0.zip", binary("Content-Encoding: gzip\r\n", encoded.toByteArray()));

        HttpResponse<byte[]> answer = proxy.get("/example.com/zeros/@v/v1.0.0.zip");

        assertEquals(200, answer.statusCode(), new String(answer.body(), StandardCharsets.UTF_8));
        assertArrayEquals(zip, answer.body());
        assertTrue(stored("example.com/zeros/@v/v1.0.0.zip"));
    }

    /** A 200 application/zip of these bytes, with Content-Length and the extra header lines given. */
    private static RawUpstream.Answer binary(String headers, byte[] body) {
        return (out, server) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\n" + headers + "Content-Length: "
                            + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
        };
    }

    /** start, then that many zeros, gzipped. */
    private static byte[] gzip(byte[] start, int zeros) throws IOException {
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(encoded)) {
            out.write(start);
            byte[] nothing = new byte[1 << 20];
            for (int left = zeros; left > 0; left -= nothing.length) {
                out.write(nothing, 0, Math.min(left, nothing.length));
            }
        }
        return encoded.toByteArray();
    }

    @Test
    void anUpstreamThatDripsItsAnswerIsCutAtTheDownloadDeadline() throws Exception {
        byte[] mod = "module example.com/drip\n\ngo 1.21\n".getBytes(StandardCharsets.UTF_8);
        upstream.on("example.com/drip/@v/v1.0.0.mod", RawUpstream.drip("text/plain", mod, Duration.ofMillis(400)));
        proxy.close();
        proxy = new ProxyUnderTest(
                upstream.url(),
                dir.resolve("cache"),
                ProxyUnderTest.options()
                        .readTimeout(Duration.ofSeconds(5))
                        .downloadDeadlines(Duration.ofSeconds(2), Duration.ofMinutes(1)));

        long start = System.nanoTime();
        HttpResponse<String> answer = proxy.getText("/example.com/drip/@v/v1.0.0.mod");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertEquals(504, answer.statusCode(), answer.body());
        assertTrue(
                took.compareTo(Duration.ofSeconds(6)) < 0, "cut at the 2 s deadline, not after the 14 s drip: " + took);
        assertFalse(stored("example.com/drip/@v/v1.0.0.mod"));
    }

    @Test
    void cachedAnswersNeverWaitBehindColdDownloads() throws Exception {
        upstream.on("example.com/warm/@v/list", RawUpstream.answer(200, "text/plain", "v1.0.0\n"))
                .on("example.com/warm/@latest", RawUpstream.answer(200, "application/json", "{\"Version\":\"v1.0.0\"}"))
                .otherwise((out, server) -> server.pause(Duration.ofMinutes(5))); // accepts, never answers
        assertEquals(200, proxy.getText("/example.com/warm/@v/list").statusCode());
        assertEquals(200, proxy.getText("/example.com/warm/@latest").statusCode());
        int cold = 60;
        List<CompletableFuture<HttpResponse<String>>> hanging = new ArrayList<>();
        for (int i = 0; i < cold; i++) {
            hanging.add(proxy.client()
                    .sendAsync(
                            HttpRequest.newBuilder(URI.create(proxy.url() + "/example.com/slow" + i + "/@v/list"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()));
        }
        // more cold downloads hang than a Vert.x worker pool has threads (20)
        await().atMost(Duration.ofSeconds(20)).until(() -> totalSlowHits() >= 20);

        for (String hit : List.of("/example.com/warm/@v/list", "/example.com/warm/@latest")) {
            long start = System.nanoTime();
            HttpResponse<String> answer = proxy.client()
                    .send(
                            HttpRequest.newBuilder(URI.create(proxy.url() + hit))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertEquals(200, answer.statusCode());
            assertTrue(
                    took.compareTo(Duration.ofSeconds(2)) < 0,
                    hit + " waited " + took + " behind " + cold + " cold downloads");
        }
        hanging.forEach(f -> f.cancel(true));
    }

    private int totalSlowHits() {
        int total = 0;
        for (int i = 0; i < 60; i++) {
            total += upstream.hits("example.com/slow" + i + "/@v/list");
        }
        return total;
    }
}
