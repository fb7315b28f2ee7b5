package dev.modproxy.proxy.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request is timed in http_server_requests_seconds, labelled by route, method, status and outcome: cache
 * hits answered on the event loop, misses, refusals, the admin API; never by raw path, and not Quarkus's /q/ paths.
 */
class RequestMetricsTest {

    private static final String INFO_ROUTE = "/{module}/@v/{version}.info";

    @TempDir
    Path dir;

    FakeUpstream upstream;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/lib", "v1.0.0");
        Modules.publish(upstream, "example.com/other", "v1.0.0");
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void hitsAndMissesOfOneRouteAreOneSeriesWhateverTheModule() throws Exception {
        try (ProxyUnderTest proxy = proxy()) {
            for (String module : new String[] {"example.com/lib", "example.com/other"}) {
                assertEquals(200, proxy.get("/" + module + "/@v/v1.0.0.info").statusCode()); // miss
                assertEquals(200, proxy.get("/" + module + "/@v/v1.0.0.info").statusCode()); // hit
                assertEquals(200, proxy.get("/" + module + "/@v/v1.0.0.info").statusCode()); // hit, from memory
            }

            Timer info = awaitCount(INFO_ROUTE, "GET", 200, 6);
            assertEquals("SUCCESS", info.getId().getTag("outcome"));
            assertTrue(info.totalTime(TimeUnit.NANOSECONDS) > 0, "the time of each request is recorded");
            assertTrue(
                    registry.getMeters().stream()
                            .map(m -> m.getId().getTag("uri"))
                            .noneMatch(uri -> uri != null && uri.contains("example.com")),
                    "no series per module path: " + series());
        }
    }

    @Test
    void refusalsAndHeadRequestsAreTimedUnderTheirRouteMethodAndStatus() throws Exception {
        try (ProxyUnderTest proxy = proxy()) {
            assertEquals(400, proxy.get("/Example.com/lib/@v/v1.0.0.mod").statusCode());
            HttpResponse<String> absent = proxy.getText("/example.com/lib/@v/v1.9.9.zip");
            assertEquals(404, absent.statusCode(), absent.body());
            assertEquals(404, proxy.get("/no/such/thing").statusCode());
            proxy.get("/example.com/lib/@v/v1.0.0.info");
            HttpResponse<Void> head = proxy.client()
                    .send(
                            HttpRequest.newBuilder(URI.create(proxy.url() + "/example.com/lib/@v/v1.0.0.info"))
                                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
            assertEquals(200, head.statusCode());

            assertEquals(
                    "CLIENT_ERROR",
                    awaitCount("/{module}/@v/{version}.mod", "GET", 400, 1)
                            .getId()
                            .getTag("outcome"));
            awaitCount("/{module}/@v/{version}.zip", "GET", 404, 1);
            awaitCount(RouteLabels.OTHER, "GET", 404, 1);
            awaitCount(INFO_ROUTE, "HEAD", 200, 1);
        }
    }

    @Test
    void aMethodHttpDoesNotDefineIsLabelledUnknownSoClientsCannotMakeSeriesAtWill() throws Exception {
        try (ProxyUnderTest proxy = proxy()) {
            for (String method : new String[] {"BREW", "WHEN"}) {
                HttpResponse<Void> answer = proxy.client()
                        .send(
                                HttpRequest.newBuilder(URI.create(proxy.url() + "/example.com/lib/@v/v1.0.0.info"))
                                        .method(method, HttpRequest.BodyPublishers.noBody())
                                        .build(),
                                HttpResponse.BodyHandlers.discarding());
                assertEquals(501, answer.statusCode());
            }

            // refused before any route: labelled as no route
            awaitCount(RouteLabels.OTHER, "UNKNOWN", 501, 2);
            assertTrue(
                    registry.getMeters().stream()
                            .map(m -> m.getId().getTag("method"))
                            .noneMatch(m -> "BREW".equals(m) || "WHEN".equals(m)),
                    series());
        }
    }

    @Test
    void checksumDatabaseRequestsAreLabelledByTheirRouteNeverByTheModuleTheyName() throws Exception {
        try (ProxyUnderTest proxy = proxy()) { // the checksum database is off here: each is a 404 naming it
            assertEquals(404, proxy.get("/sumdb/sum.golang.org/supported").statusCode());
            assertEquals(
                    404,
                    proxy.get("/sumdb/sum.golang.org/lookup/example.com/lib@v1.0.0")
                            .statusCode());
            assertEquals(
                    404,
                    proxy.get("/sumdb/sum.golang.org/lookup/example.com/other@v1.0.0")
                            .statusCode());
            assertEquals(404, proxy.get("/sumdb").statusCode());

            awaitCount("/sumdb/{name}/supported", "GET", 404, 1);
            awaitCount("/sumdb/{name}/lookup/{module}", "GET", 404, 2);
            awaitCount(RouteLabels.OTHER, "GET", 404, 1);
            assertTrue(
                    registry.getMeters().stream()
                            .map(m -> m.getId().getTag("uri"))
                            .noneMatch(uri -> uri != null && uri.contains("example.com")),
                    series());
        }
    }

    @Test
    void theAdminApiIsLabelledByItsRouteAndQuarkusPathsAreNotTimed() throws Exception {
        try (ProxyUnderTest proxy = proxy()) {
            assertEquals(200, proxy.get("/admin/stats").statusCode());
            proxy.get("/q/metrics"); // not a route here; on the real port it is Quarkus's own

            awaitCount("/admin/stats", "GET", 200, 1);
            assertTrue(
                    registry.getMeters().stream()
                            .map(m -> m.getId().getTag("uri"))
                            .noneMatch(uri -> uri != null && uri.startsWith("/q/")),
                    series());
            assertNull(
                    registry.find("http.server.requests").tag("status", "404").timer(), series());
        }
    }

    private ProxyUnderTest proxy() throws Exception {
        return new ProxyUnderTest(
                upstream.url(), dir.resolve("cache"), ProxyUnderTest.options().registry(registry));
    }

    /** The response may reach the client a moment before its end is recorded. */
    private Timer awaitCount(String uri, String method, int status, long count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> count(uri, method, status) == count);
        return timer(uri, method, status);
    }

    private long count(String uri, String method, int status) {
        Timer timer = timer(uri, method, status);
        return timer == null ? 0 : timer.count();
    }

    private Timer timer(String uri, String method, int status) {
        return registry.find("http.server.requests")
                .tag("uri", uri)
                .tag("method", method)
                .tag("status", Integer.toString(status))
                .timer();
    }

    private String series() {
        return registry.getMeters().stream()
                .map(Meter::getId)
                .filter(id -> id.getName().equals("http.server.requests"))
                .map(Object::toString)
                .toList()
                .toString();
    }
}
