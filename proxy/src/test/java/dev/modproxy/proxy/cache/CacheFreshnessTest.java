package dev.modproxy.proxy.cache;

import static dev.modproxy.proxy.testing.FakeUpstream.ok;
import static dev.modproxy.proxy.testing.FakeUpstream.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheFreshnessTest {

    private static final String LIST = "example.com/lib/@v/list";

    @TempDir
    Path cacheDir;

    FakeUpstream upstream;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void listIsServedStaleWhenTheUpstreamDies() throws Exception {
        upstream.on(LIST, ok("text/plain", "v1.0.0\n"));
        var options = ProxyUnderTest.options().mutableTtl(Duration.ofMillis(1));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            assertEquals("v1.0.0\n", proxy.getText("/" + LIST).body());
            upstream.on(LIST, status(500, "down"));

            HttpResponse<String> stale = proxy.getText("/" + LIST);

            assertEquals(200, stale.statusCode());
            assertEquals("v1.0.0\n", stale.body());
            await().atMost(Duration.ofSeconds(10)).until(() -> upstream.hits(LIST) >= 2);
            assertEquals("v1.0.0\n", proxy.getText("/" + LIST).body(), "a failed refresh keeps the old answer");
        }
    }

    @Test
    void staleListIsRefreshedInTheBackground() throws Exception {
        upstream.on(LIST, ok("text/plain", "v1.0.0\n"));
        var options = ProxyUnderTest.options().mutableTtl(Duration.ofMillis(1));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            assertEquals("v1.0.0\n", proxy.getText("/" + LIST).body());
            upstream.on(LIST, ok("text/plain", "v1.0.0\nv1.1.0\n"));

            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> proxy.getText("/" + LIST).body().equals("v1.0.0\nv1.1.0\n"));
        }
    }

    /** A list, an @latest and a branch query: every kind of mutable answer. */
    private static final List<String> MUTABLE =
            List.of("/" + LIST, "/example.com/lib/@latest", "/example.com/lib/@v/main.info");

    @Test
    void aFreshMutableAnswerMayBeKeptForTheTtl() throws Exception {
        Modules.publish(upstream, "example.com/lib", "v1.0.0");
        upstream.on("example.com/lib/@v/main.info", ok("application/json", Modules.info("v1.0.0")));
        var options = ProxyUnderTest.options().mutableTtl(Duration.ofMinutes(5));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            for (String path : MUTABLE) {
                assertEquals("public, max-age=300", cacheControl(proxy.getText(path)), path + " fetched");
                assertEquals("public, max-age=300", cacheControl(proxy.getText(path)), path + " from the cache");
                assertEquals("public, max-age=300", cacheControl(head(proxy, path)), path + " HEAD");
                assertEquals(1, upstream.hits(path.substring(1)), path);
            }
        }
    }

    @Test
    void aMutableAnswerStoredEarlierMayBeKeptForWhatIsLeftOfItsTtl() throws Exception {
        Modules.publish(upstream, "example.com/lib", "v1.0.0");
        var options = ProxyUnderTest.options().mutableTtl(Duration.ofMinutes(5));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            assertEquals("public, max-age=300", cacheControl(proxy.getText("/" + LIST)), "fetched");
            Path stored;
            try (var files = Files.walk(cacheDir)) {
                stored = files.filter(f -> f.endsWith(Path.of("@v", "list")))
                        .findFirst()
                        .orElseThrow();
            }
            Files.setLastModifiedTime(stored, FileTime.from(Instant.now().minus(Duration.ofSeconds(100))));

            HttpResponse<String> later = proxy.getText("/" + LIST);
            long maxAge = Long.parseLong(cacheControl(later).substring("public, max-age=".length()));
            assertTrue(maxAge > 190 && maxAge <= 200, "stored 100 s ago, fresh for 200 s more: " + cacheControl(later));
            assertEquals(cacheControl(later), cacheControl(head(proxy, "/" + LIST)), "HEAD");
            assertEquals(1, upstream.hits(LIST), "still fresh: not asked again");
        }
    }

    @Test
    void aStaleMutableAnswerSaysItIsStale() throws Exception {
        Modules.publish(upstream, "example.com/lib", "v1.0.0");
        upstream.on("example.com/lib/@v/main.info", ok("application/json", Modules.info("v1.0.0")));
        var options = ProxyUnderTest.options().mutableTtl(Duration.ofSeconds(1));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            for (String path : MUTABLE) {
                assertEquals("public, max-age=1", cacheControl(proxy.getText(path)), path + " fetched");
                upstream.on(path.substring(1), status(500, "down"));
            }

            for (String path : MUTABLE) {
                // once the proxy has tried to refresh it, the answer is past its TTL and stays so
                HttpResponse<String> served = proxy.getTextUntil(path, r -> upstream.hits(path.substring(1)) >= 2);
                assertEquals(200, served.statusCode(), path);
                assertEquals("public, max-age=0", cacheControl(served), path + " served stale");
                assertEquals("public, max-age=0", cacheControl(head(proxy, path)), path + " HEAD, stale");
            }

            upstream.on(LIST, ok("text/plain", "v1.0.0\nv1.1.0\n"));
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        HttpResponse<String> list = proxy.getText("/" + LIST);
                        return list.body().equals("v1.0.0\nv1.1.0\n")
                                && cacheControl(list).equals("public, max-age=1");
                    });
        }
    }

    private static String cacheControl(HttpResponse<?> response) {
        return response.headers().firstValue("Cache-Control").orElse("(none)");
    }

    private static HttpResponse<Void> head(ProxyUnderTest proxy, String path) throws Exception {
        return proxy.client()
                .send(
                        HttpRequest.newBuilder(URI.create(proxy.url() + path))
                                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
    }

    @Test
    void freshListIsNotFetchedAgain() throws Exception {
        upstream.on(LIST, ok("text/plain", "v1.0.0\n"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            proxy.getText("/" + LIST);
            proxy.getText("/" + LIST);
            proxy.getText("/" + LIST);

            assertEquals(1, upstream.hits(LIST));
            assertEquals(2, proxy.metrics.hits());
            assertEquals(1, proxy.metrics.misses());
        }
    }

    @Test
    void notFoundIsRememberedForTheNegativeTtl() throws Exception {
        var options = ProxyUnderTest.options().negativeTtl(Duration.ofMillis(500));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            assertEquals(404, proxy.getText("/" + LIST).statusCode());
            Modules.publish(upstream, "example.com/lib", "v1.0.0");

            assertEquals(404, proxy.getText("/" + LIST).statusCode(), "remembered 404");
            assertEquals(1, upstream.hits(LIST));
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> proxy.getText("/" + LIST).statusCode() == 200);
            assertEquals(2, upstream.hits(LIST));
        }
    }

    @Test
    void aRememberedNotFoundMayBeKeptForWhatIsLeftOfTheNegativeTtl() throws Exception {
        var options = ProxyUnderTest.options().negativeTtl(Duration.ofSeconds(5));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            assertEquals("public, max-age=5", cacheControl(proxy.getText("/" + LIST)), "told by the upstream");

            HttpResponse<String> remembered =
                    proxy.getTextUntil("/" + LIST, r -> !cacheControl(r).equals("public, max-age=5"));
            assertEquals(404, remembered.statusCode());
            long maxAge = Long.parseLong(cacheControl(remembered).substring("public, max-age=".length()));
            assertTrue(maxAge >= 1 && maxAge < 5, "remembered a second or more: " + cacheControl(remembered));
            assertEquals(1, upstream.hits(LIST), "still remembered: not asked again");
        }
    }

    @Test
    void aNotFoundStandingInWhileTheUpstreamFailsSaysItIsStale() throws Exception {
        var options = ProxyUnderTest.options().negativeTtl(Duration.ofSeconds(1));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            assertEquals("public, max-age=1", cacheControl(proxy.getText("/" + LIST)), "told by the upstream");
            upstream.on(LIST, status(500, "down"));

            // once the negative TTL is over, the proxy asks again, fails, and serves the 404 it remembers
            HttpResponse<String> served = proxy.getTextUntil("/" + LIST, r -> upstream.hits(LIST) >= 2);
            assertEquals(404, served.statusCode(), served.body());
            assertEquals("public, max-age=0", cacheControl(served), "past its TTL");
            assertEquals(404, head(proxy, "/" + LIST).statusCode(), "HEAD");
            assertEquals("public, max-age=0", cacheControl(head(proxy, "/" + LIST)), "HEAD, past its TTL");
        }
    }

    @Test
    void aRememberedNotFoundIsANegativeHitNotAHit() throws Exception {
        Modules.publish(upstream, "example.com/lib", "v1.0.0");
        String info = "/example.com/lib/@v/v1.0.0.info";
        String gone = "/example.com/gone/@v/list";
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                upstream.url(), cacheDir, ProxyUnderTest.options().registry(registry))) {
            assertEquals(200, proxy.getText(info).statusCode());
            assertEquals(200, proxy.getText(info).statusCode());
            assertEquals(404, proxy.getText(gone).statusCode());
            assertEquals(404, proxy.getText(gone).statusCode());
            assertEquals(404, proxy.getText(gone).statusCode());

            JsonObject stats = new JsonObject(proxy.getText("/admin/stats").body());
            assertEquals(1, stats.getLong("hits"), "only the .info served from the cache: " + stats.encode());
            assertEquals(2, stats.getLong("misses"), stats.encode());
            assertEquals(2, stats.getLong("negativeHits"), "the 404 answered twice from memory: " + stats.encode());
            assertEquals(1.0 / 3, stats.getDouble("hitRatio"), 1e-9, stats.encode());
            assertEquals(
                    0.0, registry.counter("modproxy.cache.hits", "kind", "list").count());
            assertEquals(
                    2.0,
                    registry.counter("modproxy.cache.negative.hits", "kind", "list")
                            .count());
            assertEquals(1, upstream.hits(gone.substring(1)));
        }
    }

    @Test
    void concurrentColdRequestsForOneZipCauseOneUpstreamFetch() throws Exception {
        String zipPath = "example.com/lib/@v/v1.0.0.zip";
        byte[] zip = Modules.zip("example.com/lib", "v1.0.0");
        int clients = 50;
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            upstream.on(zipPath, exchange -> {
                // hold the answer until every other client is waiting on this fetch
                await().atMost(Duration.ofSeconds(20)).until(() -> proxy.metrics.coalescedWaits() >= clients - 1);
                ok("application/zip", zip).answer(exchange);
            });
            List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                responses.add(proxy.client()
                        .sendAsync(
                                HttpRequest.newBuilder(URI.create(proxy.url() + "/" + zipPath))
                                        .build(),
                                HttpResponse.BodyHandlers.ofByteArray()));
            }

            for (CompletableFuture<HttpResponse<byte[]>> response : responses) {
                assertEquals(200, response.get().statusCode());
                assertArrayEquals(zip, response.get().body());
            }
            assertEquals(1, upstream.hits(zipPath));
            assertEquals(clients - 1, proxy.metrics.coalescedWaits());
        }
    }

    @Test
    void privateModulesNeverReachTheUpstream() throws Exception {
        Modules.publish(upstream, "corp.example.com/team/secret", "v1.0.0");
        var options = ProxyUnderTest.options().privatePatterns("*.corp.example.com,corp.example.com/team");
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            for (String path : new String[] {
                "/corp.example.com/team/secret/@v/list",
                "/corp.example.com/team/@latest",
                "/corp.example.com/team/secret/@v/v1.0.0.zip",
                "/git.corp.example.com/x/@v/v1.0.0.mod"
            }) {
                HttpResponse<String> response = proxy.getText(path);
                assertEquals(404, response.statusCode(), path);
                assertTrue(response.body().contains("MODPROXY_PRIVATE"), response.body());
            }
            assertEquals(0, upstream.totalHits());
            assertEquals(404, proxy.getText("/corp.example.com/other/@v/list").statusCode());
            assertEquals(1, upstream.totalHits(), "paths outside the patterns still go upstream");
        }
    }
}
