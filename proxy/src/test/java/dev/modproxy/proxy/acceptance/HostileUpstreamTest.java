package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upstreams that behave like real mirrors in the wild: redirects to storage hosts, unrequested gzip. */
class HostileUpstreamTest {

    private static final String MODULE = "example.com/mirror/lib";
    private static final String ENCODED = "example.com/mirror/lib";
    private static final String VERSION = "v1.4.0";

    @TempDir
    Path dir;

    FakeUpstream plain;
    FakeUpstream origin;
    FakeUpstream storageHost;
    ProxyUnderTest proxy;

    @BeforeEach
    void start() throws IOException {
        plain = FakeUpstream.start();
        Modules.publish(plain, MODULE, VERSION);
        origin = FakeUpstream.start();
        storageHost = FakeUpstream.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        plain.close();
        origin.close();
        storageHost.close();
    }

    private String expectedSum() throws Exception {
        GoClient.Result direct = go(plain.url(), "direct", "mod", "download", "-json", MODULE + "@" + VERSION);
        assertEquals(0, direct.exitCode(), direct.both());
        return new JsonObject(direct.output()).getString("Sum");
    }

    @Test
    void zipRedirectedToAStorageHostIsFollowedWithoutSendingTheMirrorsCredentials() throws Exception {
        Modules.publish(origin, MODULE, VERSION);
        String zipPath = ENCODED + "/@v/" + VERSION + ".zip";
        origin.on(zipPath, exchange -> {
            exchange.getResponseHeaders().set("Location", storageHost.url() + "/blobs/" + zipPath);
            exchange.sendResponseHeaders(302, -1);
        });
        List<String> storageAuthorization = new CopyOnWriteArrayList<>();
        byte[] zip = Modules.zip(MODULE, VERSION);
        storageHost.otherwise(exchange -> {
            storageAuthorization.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            FakeUpstream.ok("application/zip", zip).answer(exchange);
        });
        String credentialed = origin.url().replace("http://", "http://builder:s3cret@");
        proxy = new ProxyUnderTest(credentialed, dir.resolve("cache"));

        GoClient.Result through = go(proxy.url(), "client", "mod", "download", "-json", MODULE + "@" + VERSION);

        assertEquals(0, through.exitCode(), through.both());
        assertEquals(expectedSum(), new JsonObject(through.output()).getString("Sum"));
        assertEquals(List.of("null"), storageAuthorization, "the storage host never sees the mirror's credentials");
    }

    @Test
    void redirectLoopEndsInAnErrorThatPipeFallsThrough() throws Exception {
        origin.otherwise(exchange -> {
            exchange.getResponseHeaders()
                    .set("Location", "/again" + exchange.getRequestURI().getRawPath());
            exchange.sendResponseHeaders(302, -1);
        });
        proxy = new ProxyUnderTest(origin.url(), dir.resolve("cache"));

        assertEquals(502, proxy.get("/" + ENCODED + "/@v/" + VERSION + ".info").statusCode());
        assertEquals(11, origin.totalHits(), "the first request and ten redirects, like the go command");
        GoClient.Result through =
                go(proxy.url() + "|" + plain.url(), "client", "mod", "download", "-json", MODULE + "@" + VERSION);
        assertEquals(0, through.exitCode(), through.both());
    }

    @Test
    void gzipEncodedAnswersAreDecodedLikeTheGoCommandDoes() throws Exception {
        String base = ENCODED + "/@v/";
        origin.on(base + "list", gzipped("text/plain", (VERSION + "\n").getBytes(StandardCharsets.UTF_8)))
                .on(
                        base + VERSION + ".info",
                        gzipped("application/json", Modules.info(VERSION).getBytes(StandardCharsets.UTF_8)))
                .on(
                        base + VERSION + ".mod",
                        gzipped("text/plain", Modules.goMod(MODULE).getBytes(StandardCharsets.UTF_8)))
                .on(base + VERSION + ".zip", gzipped("application/zip", Modules.zip(MODULE, VERSION)));
        proxy = new ProxyUnderTest(origin.url(), dir.resolve("cache"));

        GoClient.Result direct = go(origin.url(), "direct", "mod", "download", "-json", MODULE + "@" + VERSION);
        GoClient.Result through = go(proxy.url(), "client", "mod", "download", "-json", MODULE + "@" + VERSION);
        GoClient.Result versions = go(proxy.url(), "client", "list", "-m", "-versions", MODULE);

        assertEquals(0, direct.exitCode(), direct.both());
        assertEquals(0, through.exitCode(), through.both());
        assertEquals(
                new JsonObject(direct.output()).getString("Sum"), new JsonObject(through.output()).getString("Sum"));
        assertEquals(
                new JsonObject(direct.output()).getString("GoModSum"),
                new JsonObject(through.output()).getString("GoModSum"));
        assertEquals(MODULE + " " + VERSION, versions.output().strip(), versions.both());
        assertNull(
                proxy.get("/" + base + VERSION + ".zip")
                        .headers()
                        .firstValue("Content-Encoding")
                        .orElse(null),
                "the cache serves the decoded zip");
    }

    private static FakeUpstream.Behaviour gzipped(String contentType, byte[] body) {
        return exchange -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
                gzip.write(body);
            }
            exchange.getResponseHeaders().set("Content-Encoding", "gzip");
            FakeUpstream.ok(contentType, bytes.toByteArray()).answer(exchange);
        };
    }

    /** The go command with its own module cache {@code cache}, run in this test's work directory. */
    private GoClient.Result go(String goproxy, String cache, String... args) throws Exception {
        return new GoClient(dir.resolve(cache), goproxy).run(Files.createDirectories(dir.resolve("work")), args);
    }
}
