package dev.modproxy.proxy.upstream;

import static dev.modproxy.proxy.testing.FakeUpstream.ok;
import static dev.modproxy.proxy.testing.FakeUpstream.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpstreamFailoverTest {

    private static final String MOD = "example.com/lib/@v/v1.2.3.mod";

    @TempDir
    Path cacheDir;

    FakeUpstream first;
    FakeUpstream second;

    @BeforeEach
    void startUpstreams() throws Exception {
        first = FakeUpstream.start();
        second = FakeUpstream.start();
        Modules.publish(second, "example.com/lib", "v1.2.3");
    }

    @AfterEach
    void stopUpstreams() {
        first.close();
        second.close();
    }

    @Test
    void notFoundFallsThroughComma() throws Exception {
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "," + second.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(200, response.statusCode());
            assertTrue(response.body().startsWith("module example.com/lib"), response.body());
            assertEquals(1, first.hits(MOD));
        }
    }

    @Test
    void serverErrorFallsThroughPipe() throws Exception {
        first.otherwise(status(500, "boom"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|" + second.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(200, response.statusCode());
            assertTrue(response.body().startsWith("module example.com/lib"), response.body());
        }
    }

    @Test
    void serverErrorStopsAtComma() throws Exception {
        first.otherwise(status(500, "boom"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "," + second.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(502, response.statusCode());
            assertTrue(response.body().contains("answered 500"), response.body());
            assertEquals(0, second.totalHits());
        }
    }

    @Test
    void forbiddenStopsAtCommaIsPassedOnAndIsRememberedForTheNegativeTtl() throws Exception {
        first.otherwise(status(403, "forbidden: example.com/lib is not on the allow-list"));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        var options =
                ProxyUnderTest.options().negativeTtl(Duration.ofMillis(500)).registry(registry);
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "," + second.url(), cacheDir, options)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);
            HttpResponse<String> again = proxy.getText("/" + MOD);

            assertEquals(403, response.statusCode(), "never a 404: a client's ,direct would fetch what is blocked");
            assertTrue(response.body().contains("answered 403"), response.body());
            assertTrue(response.body().contains("not on the allow-list"), response.body());
            assertEquals(
                    "no-store", response.headers().firstValue("Cache-Control").orElseThrow());
            assertEquals(0, second.totalHits(), "',' falls through on 404 and 410 only");
            assertEquals(403, again.statusCode());
            assertEquals(response.body(), again.body());
            assertEquals(1, first.hits(MOD), "remembered: the second request did not go upstream");
            assertEquals(1, proxy.metrics.negativeHits());
            assertEquals(
                    1,
                    registry.get("modproxy.upstream.requests")
                            .tag("outcome", "forbidden")
                            .timer()
                            .count(),
                    "the upstream's answer, counted as such");
            assertEquals(
                    List.of(),
                    registry.find("modproxy.upstream.errors").counters().stream()
                            .map(c -> c.getId().getTag("outcome"))
                            .toList(),
                    "an upstream that answers 403 did not fail");
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> proxy.getText("/" + MOD).statusCode() == 403 && first.hits(MOD) == 2);
        }
    }

    @Test
    void aForbiddenAnswerPastItsTtlDoesNotStandInForAFailingUpstream() throws Exception {
        first.otherwise(status(403, "forbidden: example.com/lib is not on the allow-list"));
        var options = ProxyUnderTest.options().negativeTtl(Duration.ofMillis(200));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url(), cacheDir, options)) {
            assertEquals(403, proxy.getText("/" + MOD).statusCode());
            first.otherwise(status(500, "the upstream is down"));

            // past the TTL the upstream is asked again; its failure is the answer, not the policy it had before
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> proxy.getText("/" + MOD).statusCode() == 502);
            HttpResponse<String> failing = proxy.getText("/" + MOD);
            assertEquals(502, failing.statusCode());
            assertTrue(failing.body().contains("500"), failing.body());
        }
    }

    @Test
    void forbiddenFallsThroughPipe() throws Exception {
        first.otherwise(status(403, "forbidden"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|" + second.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(200, response.statusCode());
            assertTrue(response.body().startsWith("module example.com/lib"), response.body());
        }
    }

    @Test
    void everyUpstreamNotFoundGivesNotFound() throws Exception {
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|" + second.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/example.com/missing/@v/list");

            assertEquals(404, response.statusCode());
            assertEquals(1, first.hits("example.com/missing/@v/list"));
            assertEquals(1, second.hits("example.com/missing/@v/list"));
        }
    }

    @Test
    void hangingUpstreamTimesOutAndNextPipeUpstreamAnswers() throws Exception {
        first.otherwise(first.hang());
        var options = ProxyUnderTest.options().readTimeout(Duration.ofSeconds(1));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|" + second.url(), cacheDir, options)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(200, response.statusCode());
            assertTrue(response.body().startsWith("module example.com/lib"), response.body());
        }
    }

    @Test
    void bodyThatStallsMidwayTimesOutAndNextPipeUpstreamAnswers() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        first.on(MOD, exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, 100);
            exchange.getResponseBody().write("module example.com/lib\n".getBytes());
            exchange.getResponseBody().flush();
            try {
                release.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        var options = ProxyUnderTest.options().readTimeout(Duration.ofSeconds(1));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|" + second.url(), cacheDir, options)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(200, response.statusCode());
            assertEquals(Modules.goMod("example.com/lib"), response.body());
            assertEquals(1, second.hits(MOD));
        } finally {
            release.countDown();
        }
    }

    @Test
    void hangingOnlyUpstreamGivesGatewayTimeout() throws Exception {
        first.otherwise(first.hang());
        var options = ProxyUnderTest.options().readTimeout(Duration.ofSeconds(1));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url(), cacheDir, options)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(504, response.statusCode());
            assertEquals(0, proxy.storage.usage().entries());
        }
    }

    @Test
    void refusedConnectionGivesBadGateway() throws Exception {
        String dead = first.url();
        first.close();
        try (ProxyUnderTest proxy = new ProxyUnderTest(dead, cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(502, response.statusCode());
            assertTrue(response.body().contains("refused the connection"), response.body());
        }
    }

    @Test
    void unknownHostIsReportedAsANameThatDoesNotResolve() throws Exception {
        try (ProxyUnderTest proxy = new ProxyUnderTest("http://mirror.example.invalid:8081", cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(502, response.statusCode());
            assertTrue(response.body().contains("cannot resolve host mirror.example.invalid"), response.body());
            assertTrue(!response.body().contains("refused"), response.body());
        }
    }

    @Test
    void openCircuitSkipsDeadUpstreamUntilCoolDown() throws Exception {
        first.otherwise(status(503, "down"));
        var options = ProxyUnderTest.options().breaker(2, Duration.ofMinutes(10));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|" + second.url(), cacheDir, options)) {
            for (String module : new String[] {"example.com/a", "example.com/b", "example.com/c", "example.com/d"}) {
                Modules.publish(second, module, "v1.0.0");
                HttpResponse<String> response = proxy.getText("/" + module + "/@v/list");
                assertEquals(200, response.statusCode());
            }

            assertEquals(2, first.totalHits(), "requests that reached the failing upstream");
            assertEquals(4, second.totalHits());
            var stats = new io.vertx.core.json.JsonObject(
                    proxy.getText("/admin/stats").body());
            assertEquals(
                    "OPEN", stats.getJsonArray("upstreams").getJsonObject(0).getString("circuit"));
            assertEquals(
                    "CLOSED", stats.getJsonArray("upstreams").getJsonObject(1).getString("circuit"));
        }
    }

    @Test
    void serverErrorsForSomeModulesNeverSkipTheUpstreamForOthers() throws Exception {
        first.otherwise(status(500, "git fetch failed"));
        Modules.publish(first, "example.com/good", "v1.0.0");
        var options = ProxyUnderTest.options().breaker(5, Duration.ofMinutes(10));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url(), cacheDir, options)) {
            for (int i = 0; i < 12; i++) {
                assertEquals(
                        502,
                        proxy.getText("/example.com/broken" + i + "/@v/list").statusCode());
            }

            HttpResponse<String> other = proxy.getText("/example.com/good/@v/list");
            assertEquals(
                    200, other.statusCode(), "another client's cold fetch still reaches the upstream: " + other.body());
            var stats = new io.vertx.core.json.JsonObject(
                    proxy.getText("/admin/stats").body());
            assertEquals(
                    "CLOSED", stats.getJsonArray("upstreams").getJsonObject(0).getString("circuit"));
        }
    }

    @Test
    void oneModuleTimingOutOnEveryPathNeverSkipsTheUpstreamForOthers() throws Exception {
        first.otherwise(first.hang()); // a repository the upstream cannot fetch in time
        Modules.publish(first, "example.com/good", "v1.0.0");
        var options =
                ProxyUnderTest.options().readTimeout(Duration.ofMillis(500)).breaker(3, Duration.ofMinutes(10));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url(), cacheDir, options)) {
            for (String path : new String[] {
                "@v/list", "@latest", "@v/v1.0.0.info", "@v/v1.0.0.mod", "@v/v1.0.0.zip", "@v/v1.1.0.zip"
            }) {
                assertEquals(504, proxy.getText("/example.com/slow/" + path).statusCode(), path);
            }

            HttpResponse<String> other = proxy.getText("/example.com/good/@v/list");
            assertEquals(200, other.statusCode(), "another module still reaches the upstream: " + other.body());
            var stats = new io.vertx.core.json.JsonObject(
                    proxy.getText("/admin/stats").body());
            assertEquals(
                    "CLOSED", stats.getJsonArray("upstreams").getJsonObject(0).getString("circuit"));
        }
    }

    @Test
    void halfOpenCircuitTriesTheUpstreamAgainAfterCoolDown() throws Exception {
        first.otherwise(status(503, "down"));
        var options = ProxyUnderTest.options().breaker(1, Duration.ofMillis(200));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|" + second.url(), cacheDir, options)) {
            Modules.publish(second, "example.com/a", "v1.0.0");
            assertEquals(200, proxy.getText("/example.com/a/@v/list").statusCode());
            Modules.publish(first, "example.com/b", "v2.0.0");

            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> proxy.getText("/example.com/b/@v/list").body().equals("v2.0.0\n"));
        }
    }

    @Test
    void credentialsInTheUpstreamUrlAreSentAsBasicAuthAndNotLogged() throws Exception {
        first.otherwise(exchange -> {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            boolean ok =
                    ("Basic " + java.util.Base64.getEncoder().encodeToString("bot:s3cret".getBytes())).equals(auth);
            (ok ? ok("text/plain", Modules.goMod("example.com/lib")) : status(401, "who are you")).answer(exchange);
        });
        String withCredentials = first.url().replace("http://", "http://bot:s3cret@");
        try (ProxyUnderTest proxy = new ProxyUnderTest(withCredentials, cacheDir)) {
            assertEquals(200, proxy.getText("/" + MOD).statusCode());
            assertTrue(
                    !proxy.assembly.chain().toString().contains("s3cret"),
                    proxy.assembly.chain().toString());
        }
    }

    @Test
    void directAndOffAnswerWithoutFetching() throws Exception {
        try (ProxyUnderTest direct = new ProxyUnderTest("direct", cacheDir.resolve("d"));
                ProxyUnderTest off = new ProxyUnderTest("off", cacheDir.resolve("o"))) {
            assertEquals(404, direct.getText("/" + MOD).statusCode());
            assertEquals(410, off.getText("/" + MOD).statusCode());
        }
    }

    @Test
    void errorBeforeDirectStillLetsClientsFallThrough() throws Exception {
        first.otherwise(status(500, "boom"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|direct", cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(404, response.statusCode());
            assertTrue(response.body().contains("direct"), response.body());
        }
    }

    @Test
    void unusableAnswerFromFirstPipeUpstreamFallsThrough() throws Exception {
        first.on(MOD, ok("text/html", "<html><body>login</body></html>"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(first.url() + "|" + second.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + MOD);

            assertEquals(200, response.statusCode());
            assertTrue(response.body().startsWith("module example.com/lib"), response.body());
        }
    }
}
