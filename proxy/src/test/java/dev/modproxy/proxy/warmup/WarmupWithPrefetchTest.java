package dev.modproxy.proxy.warmup;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxySettings;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A warm-up with prefetching on, as in production (ProxyUnderTest turns it off): it is no client, in the metrics
 * nor to the prefetcher.
 */
class WarmupWithPrefetchTest {

    private static final String GO_SUM = """
            example.com/beta v0.3.1/go.mod h1:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=
            example.com/missing v1.0.0/go.mod h1:DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD=
            """;

    @TempDir
    Path root;

    private static ProxySettings.Prefetch prefetchOn() {
        return new ProxySettings.Prefetch(
                true, 16, "256Mi", "16Mi", 1000, Duration.ofSeconds(30), Duration.ofMinutes(10));
    }

    private static JsonObject warm(ProxyUnderTest proxy, String body) throws Exception {
        HttpResponse<String> started = proxy.client()
                .send(
                        HttpRequest.newBuilder(URI.create(proxy.url() + "/admin/warmup"))
                                .header("Content-Type", "text/plain")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(202, started.statusCode(), started.body());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> "finished"
                        .equals(new JsonObject(proxy.getText("/admin/warmup").body()).getString("state")));
        // idle, and still idle 500 ms on: a prefetch hinted late would be under way by then
        await().during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(10))
                .until(() -> proxy.assembly.prefetcher().orElseThrow().idle());
        return new JsonObject(proxy.getText("/admin/warmup").body());
    }

    @Test
    void aGoModOnlyLineFetchesNoZipAndAWarmUpIsNoClient() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Modules.publish(upstream, "example.com/beta", "v0.3.1");
            var options = ProxyUnderTest.options().prefetch(prefetchOn()).registry(registry);
            try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), root, options)) {
                JsonObject cold = warm(proxy, GO_SUM);
                assertEquals(1, cold.getInteger("completed"), cold.encode());
                assertEquals(1, cold.getInteger("failed"), cold.encode()); // the missing module, reported as before

                assertEquals(0, upstream.hits("example.com/beta/@v/v0.3.1.zip"), "a go.mod-only line needs no zip");
                assertEquals(0, proxy.metrics.hits() + proxy.metrics.misses(), "no client asked for anything");
                assertEquals(
                        0,
                        registry.find("modproxy.prefetch.issued").counters().stream()
                                .mapToDouble(c -> c.count())
                                .sum());
                assertTrue(
                        proxy.storage
                                .lookup(new StorageKey("example.com/beta/@v/v0.3.1.mod"))
                                .map(o -> {
                                    o.release();
                                    return true;
                                })
                                .orElse(false),
                        "what the line asked for is cached");

                // warming a warm cache: answered from storage and the negative cache, counted in nothing
                int upstreamBefore = upstream.totalHits();
                JsonObject warmAgain = warm(proxy, GO_SUM);
                assertEquals(1, warmAgain.getInteger("completed"), warmAgain.encode());
                assertEquals(0, proxy.metrics.hits() + proxy.metrics.misses() + proxy.metrics.negativeHits());
                assertEquals(upstreamBefore, upstream.totalHits(), "nothing fetched for a warm cache");
                assertEquals(0.0, new JsonObject(proxy.getText("/admin/stats").body()).getDouble("hitRatio"));

                // a client is still one: its hit counts, and its go.mod predicts the zip as before
                assertEquals(
                        200, proxy.getText("/example.com/beta/@v/v0.3.1.mod").statusCode());
                assertEquals(1, proxy.metrics.hits());
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> upstream.hits("example.com/beta/@v/v0.3.1.zip") == 1);
            }
        }
    }

    /** A client that joins a warm-up's fetch is a client: the artifact landed for it, and predicts as its own would. */
    @Test
    void aClientJoiningAWarmUpsFetchIsToldToThePrefetcher() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CountDownLatch release = new CountDownLatch(1);
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Modules.publish(upstream, "example.com/beta", "v0.3.1");
            String goMod = "example.com/beta/@v/v0.3.1.mod";
            FakeUpstream.Behaviour answer = FakeUpstream.ok("text/plain", Modules.goMod("example.com/beta"));
            upstream.on(goMod, exchange -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answer.answer(exchange);
            });
            var options = ProxyUnderTest.options().prefetch(prefetchOn()).registry(registry);
            try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), root, options)) {
                HttpResponse<String> started = proxy.client()
                        .send(
                                HttpRequest.newBuilder(URI.create(proxy.url() + "/admin/warmup"))
                                        .header("Content-Type", "text/plain")
                                        .POST(HttpRequest.BodyPublishers.ofString(GO_SUM))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertEquals(202, started.statusCode(), started.body());
                await().atMost(Duration.ofSeconds(10)).until(() -> upstream.hits(goMod) == 1);

                CompletableFuture<HttpResponse<String>> client = proxy.client()
                        .sendAsync(
                                HttpRequest.newBuilder(URI.create(proxy.url() + "/" + goMod))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                await().atMost(Duration.ofSeconds(10)).until(() -> proxy.metrics.coalescedWaits() == 1);
                release.countDown();

                assertEquals(200, client.get(10, TimeUnit.SECONDS).statusCode());
                assertEquals(1, proxy.metrics.misses(), "the client's request, not the warm-up's");
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> upstream.hits("example.com/beta/@v/v0.3.1.zip") == 1);
                assertEquals(1, upstream.hits(goMod), "one fetch for both");
            }
        }
    }
}
