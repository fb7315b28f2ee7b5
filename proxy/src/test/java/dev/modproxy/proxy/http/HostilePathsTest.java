package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Requests written byte for byte on a socket, so no client library tidies them first. */
class HostilePathsTest {

    @TempDir
    static Path dir;

    static FakeUpstream upstream;
    static ProxyUnderTest proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = FakeUpstream.start();
        Files.writeString(dir.resolve("secret.txt"), "outside the cache root");
        proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    @Test
    void aRevisionQueryTooLongToBeAFileNameOnceCaseEncodedIsRefusedWithoutAskingUpstream() throws IOException {
        int asked = upstream.totalHits();
        // 128 upper-case letters: 256 characters as "!a!a...", 261 with ".info", over the 255 a file name may have
        String response = rawGet("/example.com/a/@v/" + "!a".repeat(128) + ".info");

        // not found here, so a go command goes on to its next GOPROXY entry
        assertTrue(response.startsWith("HTTP/1.1 404 "), response);
        assertTrue(response.contains("longer than"), response);
        assertEquals(asked, upstream.totalHits(), "nothing was asked upstream");
    }

    @Test
    void aPathWithUnescapedUtf8IsNamedInTheRefusalAsTheClientWroteIt() throws IOException {
        // curl sends "ö" as its two UTF-8 bytes, unescaped
        String path = new String(
                "/github.com/göögle/uuid/@v/list".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String response = new String(rawGet(path).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);

        assertTrue(response.startsWith("HTTP/1.1 400 "), response);
        assertTrue(response.contains("\"github.com/göögle/uuid\""), response);
        assertEquals(0, upstream.totalHits(), "nothing was asked upstream");
    }

    @Test
    void aCanonicalVersionTooLongToCacheGetsTheSameAnswerForInfoModAndZip() throws IOException {
        String version = "v1.0.0-" + "a".repeat(130);
        for (String ending : java.util.List.of(".info", ".mod", ".zip")) {
            String response = rawGet("/example.com/a/@v/" + version + ending);

            assertTrue(response.startsWith("HTTP/1.1 404 "), ending + ": " + response);
            assertTrue(response.contains("is longer than 128 characters, the most modproxy caches"), response);
        }
        assertEquals(0, upstream.totalHits(), "nothing was asked upstream");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/../secret.txt",
                "/example.com/../../secret.txt/@v/list",
                "/example.com/%2e%2e/%2e%2e/secret.txt/@v/list",
                "/example.com%2F..%2F..%2Fsecret.txt/@v/list",
                "/example.com/a/@v/..%2F..%2F..%2Fsecret.txt.info",
                "/example.com/a%00/@v/list",
                "/example.com/a/@v/v1.0.0.zip%00.mod",
                "/.tmp/@v/list",
                "/example.com/.tmp/@v/list",
                "/example.com/a\\..\\..\\secret/@v/list",
                "/example.com/a/@v/v1.0.0.mod/../../../secret.txt",
            })
    void hostilePathsGetAClientErrorAndNeverTouchTheFileSystem(String path) throws IOException {
        String response = rawGet(path);

        String statusLine = response.substring(0, response.indexOf("\r\n"));
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        assertTrue(status >= 400 && status < 500, path + " -> " + statusLine);
        assertTrue(!response.contains("outside the cache root"), response);
        assertEquals(0, upstream.totalHits(), "nothing was asked upstream");
        try (Stream<Path> files = Files.list(dir.resolve("cache"))) {
            assertEquals(
                    java.util.List.of(".tmp"),
                    files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void overlongPathIsRefused() throws IOException {
        String response = rawGet("/example.com/" + "a".repeat(3000) + "/@v/list");

        int status = Integer.parseInt(response.split(" ")[1]);
        assertTrue(status == 414 || status == 400, response);
    }

    @Test
    void unknownEndpointIsNotFoundWithAReason() throws IOException {
        String response = rawGet("/example.com/a/@v/v1.0.0.tar.gz");

        assertTrue(response.startsWith("HTTP/1.1 404"), response);
        assertTrue(response.contains("unknown GOPROXY file"), response);
    }

    @Test
    void writesAreRefused() throws IOException {
        String response =
                raw("PUT /example.com/a/@v/list HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        assertTrue(response.startsWith("HTTP/1.1 405"), response);
    }

    private static String rawGet(String path) throws IOException {
        return raw("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }

    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
