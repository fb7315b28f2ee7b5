package dev.modproxy.proxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The assembled application: configuration, CDI wiring, routes, health and metrics. */
@QuarkusTest
@QuarkusTestResource(value = FakeUpstreamResource.class, restrictToAnnotatedClass = true)
class ProxyAppTest {

    @TestHTTPResource("/")
    URL base;

    /** The management interface: admin API, health and metrics, on a port of its own. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    /**
     * HTTP/1.1, as the go command speaks to a GOPROXY over plain HTTP. The JDK client's default, HTTP/2, asks a plain
     * HTTP server to upgrade the connection to h2c on its first request; one such request to the management port was
     * never answered in a CI run and hung the build. A request that is not answered within a minute fails.
     */
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(base.toString()).resolve(path))
                        .timeout(TIMEOUT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> getManagement(String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(management.toString()).resolve(path))
                        .timeout(TIMEOUT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void adminHealthAndMetricsAreOnlyOnTheManagementPort() throws Exception {
        assertNotEquals(base.getPort(), management.getPort());

        for (String path : List.of("/admin/stats", "/admin/warmup", "/q/metrics", "/q/health/ready")) {
            HttpResponse<String> onServingPort = get(path);
            assertEquals(404, onServingPort.statusCode(), path + ": " + onServingPort.body());
            assertEquals(200, getManagement(path).statusCode(), path);
        }
        HttpResponse<String> warmup = client.send(
                HttpRequest.newBuilder(URI.create(base.toString()).resolve("/admin/warmup"))
                        .timeout(TIMEOUT)
                        .POST(HttpRequest.BodyPublishers.ofString("example.com/lib@v1.0.0\n"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, warmup.statusCode(), "a build pod cannot start a warm-up: " + warmup.body());
        assertTrue(get("/admin/stats").body().contains("management port"), "the refusal says where the admin API is");
        for (String path : List.of("/q/metrics", "/q/health/ready", "/q/dev-ui", "/q/")) {
            HttpResponse<String> refused = get(path);
            assertEquals(
                    "text/plain; charset=utf-8",
                    refused.headers().firstValue("Content-Type").orElse(""),
                    path + ": " + refused.body());
            assertTrue(
                    refused.body().contains("management port")
                            && refused.body().endsWith("\n")
                            && refused.body().lines().count() == 1,
                    path + ": one line saying where health and metrics are, not a page: " + refused.body());
        }
        for (String lookalike : List.of("/admin", "/%61dmin/stats", "/x/../admin/stats", "/admin/../q/metrics")) {
            HttpResponse<String> refused = get(lookalike);
            assertTrue(
                    refused.statusCode() == 400 || refused.statusCode() == 404,
                    lookalike + " on the serving port: " + refused.statusCode() + " " + refused.body());
        }
    }

    /** The admin API's own refusals are one line of text, and a 405 says which methods a path takes. */
    @Test
    void theManagementPortSaysWhatItsAdminPathsTake() throws Exception {
        HttpResponse<String> delete = client.send(
                HttpRequest.newBuilder(URI.create(management.toString()).resolve("/admin/stats"))
                        .timeout(TIMEOUT)
                        .method("DELETE", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> put = client.send(
                HttpRequest.newBuilder(URI.create(management.toString()).resolve("/admin/warmup"))
                        .timeout(TIMEOUT)
                        .PUT(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> elsewhere = getManagement("/admin/foo");

        assertEquals(405, delete.statusCode());
        assertEquals("GET", delete.headers().firstValue("Allow").orElse(""));
        assertEquals("/admin/stats takes GET\n", delete.body());
        assertEquals(405, put.statusCode());
        assertEquals("GET, POST", put.headers().firstValue("Allow").orElse(""));
        assertEquals(404, elsewhere.statusCode());
        assertEquals(
                "text/plain; charset=utf-8",
                elsewhere.headers().firstValue("Content-Type").orElse(""));
        assertTrue(elsewhere.body().contains("GET /admin/stats"), elsewhere.body());

        // the management server reads up to its own limit (10 MiB) before the route sees the body
        HttpResponse<String> large = client.send(
                HttpRequest.newBuilder(URI.create(management.toString()).resolve("/admin/warmup"))
                        .timeout(TIMEOUT)
                        .header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString("example.com/lib@v1.0.0\n".repeat(250_000)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(413, large.statusCode(), large.body());
        assertTrue(large.body().contains("at most 4194304 bytes"), large.body());
    }

    @Test
    void servesModulesFromTheConfiguredUpstream() throws Exception {
        HttpResponse<String> mod = get("/example.com/lib/@v/v1.0.0.mod");
        HttpResponse<String> info = get("/example.com/lib/@v/v1.0.0.info");

        assertEquals(200, mod.statusCode());
        assertEquals("module example.com/lib\n\ngo 1.19\n", mod.body());
        assertEquals(
                "text/plain; charset=utf-8",
                mod.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(
                "application/json", info.headers().firstValue("Content-Type").orElseThrow());
    }

    @Test
    void builtInVerifiersAreDiscovered() throws Exception {
        HttpResponse<String> response = get("/example.com/lib/@v/v1.9.9.info");

        assertEquals(502, response.statusCode());
        assertTrue(response.body().contains("names version \"v1.0.0\""), response.body());
    }

    @Test
    void privatePatternsComeFromConfiguration() throws Exception {
        HttpResponse<String> response = get("/corp.example.com/tool/@v/list");

        assertEquals(404, response.statusCode());
        assertTrue(response.body().contains("MODPROXY_PRIVATE"), response.body());
    }

    @Test
    void readinessChecksTheStorageRoot() throws Exception {
        HttpResponse<String> ready = getManagement("/q/health/ready");

        assertEquals(200, ready.statusCode());
        assertTrue(ready.body().contains("\"storage\""), ready.body());
        assertEquals(200, getManagement("/q/health/live").statusCode());
    }

    @Test
    void metricsAndStatsCountCacheTraffic() throws Exception {
        get("/example.com/lib/@v/list");
        get("/example.com/lib/@v/list");

        String metrics = getManagement("/q/metrics").body();
        JsonObject stats = new JsonObject(getManagement("/admin/stats").body());

        assertTrue(metrics.contains("modproxy_cache_hits_total{kind=\"list\"}"), metrics);
        assertTrue(metrics.contains("modproxy_upstream_requests_seconds_count"), metrics);
        assertTrue(metrics.contains("modproxy_cache_size_bytes"), metrics);
        assertTrue(
                metrics.lines().anyMatch(l -> l.matches("modproxy_cache_bound_bytes(\\{.*\\})? [0-9.E+]+")),
                "the bound the dashboard draws the size against: " + metrics);
        assertTrue(stats.getLong("hits") >= 1, stats.encode());
        assertTrue(stats.getLong("misses") >= 1, stats.encode());
        assertTrue(stats.getLong("entries") >= 1, stats.encode());
        assertTrue(stats.getLong("sizeBytes") > 0, stats.encode());
        assertEquals(0L, stats.getLong("evictions"));
        assertEquals("CLOSED", stats.getJsonArray("upstreams").getJsonObject(0).getString("circuit"));
        assertTrue(metrics.contains("modproxy_upstream_circuit_open{upstream=\"127.0.0.1:"), metrics);
    }

    @Test
    void connectionsAreBoundedByDefault() {
        var config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        assertEquals(
                java.time.Duration.ofSeconds(60),
                config.getValue("quarkus.http.idle-timeout", java.time.Duration.class),
                "an idle client is dropped after a minute, not the default 30 minutes");
        assertEquals(
                4_000,
                config.getValue("quarkus.http.limits.max-connections", Integer.class),
                "connections are capped (per event loop) below a container's usual file descriptor limit");
    }

    @Test
    void anUnknownHttpVersionIsRefused() throws Exception {
        try (var client = new dev.modproxy.proxy.testing.HostileClient(base.getPort())) {
            String status = client.send("GET /example.com/lib/@v/v1.0.0.info HTTP/9.9\r\nHost: x\r\n\r\n")
                    .statusLine(java.time.Duration.ofSeconds(5));
            assertTrue(status == null || status.matches("HTTP/\\S+ (505|501|400) .*"), "answered " + status);
        }
    }

    @Test
    void requestMetricsAreLabelledByRouteNotByModulePath() throws Exception {
        for (String module : new String[] {"example.com/lib", "example.com/other", "example.com/third"}) {
            get("/" + module + "/@v/list");
            get("/" + module + "/@v/v1.0.0.info");
        }
        get("/no/such/thing");
        get("/Example.com/bad/@v/v1.0.0.mod"); // a 400: refused paths are labelled by route too
        get("/example.com/bad/@v/v1.0.0.zip/extra");
        get("/sumdb/sum.example.org/lookup/example.com/bad@v1.0.0");

        String metrics = getManagement("/q/metrics").body();
        java.util.List<String> requestSeries = metrics.lines()
                .filter(l -> l.startsWith("http_server_requests_seconds_count"))
                .toList();
        assertTrue(
                requestSeries.stream().anyMatch(l -> l.contains("uri=\"/{module}/@v/list\"")),
                String.join("\n", requestSeries));
        assertTrue(
                requestSeries.stream().anyMatch(l -> l.contains("uri=\"/{module}/@v/{version}.info\"")),
                String.join("\n", requestSeries));
        assertTrue(
                requestSeries.stream()
                        .anyMatch(
                                l -> l.contains("uri=\"/{module}/@v/{version}.mod\"") && l.contains("status=\"400\"")),
                String.join("\n", requestSeries));
        assertTrue(
                requestSeries.stream()
                        .noneMatch(l -> l.contains("example.com")
                                || l.contains("Example.com")
                                || l.contains("/no/such")
                                || l.contains("sum.example.org")),
                "no series per raw path:\n" + String.join("\n", requestSeries));
    }
}
