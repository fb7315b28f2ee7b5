package dev.modproxy.proxy.sumdb;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real go command, with checksum verification on, downloading through the proxy. */
@QuarkusTest
@QuarkusTestResource(value = SumDbProxyResource.class, restrictToAnnotatedClass = true)
class SumDbProxyEndToEndTest {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TestHTTPResource("/")
    URL proxy;

    /** Metrics are on the management port, apart from the port builds use. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    /** Runs go mod download through the proxy, which reaches the database. */
    private GoModDownload goModDownload(Path home, String moduleAtVersion) throws IOException, InterruptedException {
        return GoModDownload.run(
                home, moduleAtVersion, proxy.toString().replaceAll("/$", ""), SumDbProxyResource.sumdb.verifierKey());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(proxy.toString().replaceAll("/$", "") + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Path stored(String key) {
        return SumDbProxyResource.storage.resolve(key);
    }

    private double rejections(String reason) throws IOException, InterruptedException {
        HttpResponse<String> metrics = HTTP.send(
                HttpRequest.newBuilder(URI.create(management.toString()).resolve("/q/metrics"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode(), "metrics answer on the management port");
        Matcher m = Pattern.compile(
                        "(?m)^modproxy_sumdb_rejections_total\\{[^}]*reason=\"" + reason + "\"[^}]*\\} (\\S+)$")
                .matcher(metrics.body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void goCommandDownloadsThroughTheProxyWithChecksumVerificationOn(@TempDir Path home) throws Exception {
        GoModDownload run = goModDownload(home, "example.com/hello@v1.0.0");

        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("\"Sum\": \"h1:"), run.output());
        String name = SumDbProxyResource.NAME;
        assertTrue(
                Files.isRegularFile(stored("sumdb/" + name + "/lookup/example.com/hello@v1.0.0")),
                "the go command's lookup was answered and cached by the proxy");
        assertTrue(Files.isRegularFile(stored("example.com/hello/@v/v1.0.0.zip")), "verified zip is cached");
        Path verifiedTree = stored("sumdb/" + name + "/verified-tree");
        // written in the background, off the verifier's lock
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.isRegularFile(verifiedTree));
        assertTrue(
                Files.readString(verifiedTree).startsWith("go.sum database tree\n"),
                "the newest verified tree head is kept for restarts");

        GoModDownload mixedCase = goModDownload(home, "example.com/Upper/lib@v0.2.0");
        assertEquals(0, mixedCase.exitCode(), mixedCase.output());
        assertTrue(Files.isRegularFile(stored("sumdb/" + name + "/lookup/example.com/!upper/lib@v0.2.0")));
    }

    @Test
    void withTheCacheWarmVerifiedDownloadsNeedNoDatabase(@TempDir Path home) throws Exception {
        assertEquals(
                0,
                goModDownload(home.resolve("warm"), "example.com/hello@v1.0.0").exitCode());

        SumDbProxyResource.databaseLink.setDown(true);
        try {
            GoModDownload cold = goModDownload(home.resolve("fresh-machine"), "example.com/hello@v1.0.0");
            assertEquals(0, cold.exitCode(), cold.output());
            assertTrue(cold.output().contains("\"GoModSum\": \"h1:"), cold.output());
        } finally {
            SumDbProxyResource.databaseLink.setDown(false);
        }
    }

    @Test
    void tamperedUpstreamZipIsRefusedCountedAndNeverCached(@TempDir Path home) throws Exception {
        double before = rejections("mismatch");

        GoModDownload run = goModDownload(home, "example.com/tampered@v1.0.0");

        assertNotEquals(0, run.exitCode(), run.output());
        assertFalse(Files.exists(stored("example.com/tampered/@v/v1.0.0.zip")), "tampered zip must not be cached");
        assertTrue(rejections("mismatch") > before, "modproxy_sumdb_rejections_total{reason=mismatch} counted it");
        // A cold zip streams while it is checked, so a refusal may end as a reset connection.
        boolean refusedAgain;
        try {
            refusedAgain = get("/example.com/tampered/@v/v1.0.0.zip").statusCode() != 200;
        } catch (IOException aborted) {
            refusedAgain = true;
        }
        assertTrue(refusedAgain, "a second request is refused too");
        assertFalse(Files.exists(stored("example.com/tampered/@v/v1.0.0.zip")));
    }

    @Test
    void modulesUnknownToTheDatabaseAreRefusedUnlessExempt() throws Exception {
        double before = rejections("unverifiable");
        HttpResponse<String> unknown = get("/example.com/unknown/@v/v1.0.0.mod");
        assertEquals(502, unknown.statusCode());
        assertTrue(
                unknown.body().contains("not found in checksum database " + SumDbProxyResource.NAME), unknown.body());
        // the database could not vouch for the upstream's go.mod, which may be right: the database is named for it
        assertTrue(
                unknown.body()
                        .startsWith("checksum database " + SumDbProxyResource.NAME
                                + " could not vouch for the answer from "),
                unknown.body());
        assertFalse(unknown.body().contains("unusable answer"), unknown.body());
        // a private module is the usual cause, and a build's GONOSUMDB does not reach the proxy's check
        assertTrue(unknown.body().contains("list it in MODPROXY_NOSUMDB"), unknown.body());
        assertTrue(
                rejections("unverifiable") > before, "modproxy_sumdb_rejections_total{reason=unverifiable} counted it");
        assertFalse(Files.exists(stored("example.com/unknown/@v/v1.0.0.mod")));

        HttpResponse<String> exempt = get("/example.com/unlisted/@v/v1.0.0.mod");
        assertEquals(200, exempt.statusCode(), exempt.body());
        assertEquals("module example.com/unlisted\n\ngo 1.19\n", exempt.body());
    }

    @Test
    void aPrivateModuleIsNeverLookedUpInTheDatabase() throws Exception {
        int before = SumDbProxyResource.databaseLink.forwarded();

        HttpResponse<String> lookup =
                get("/sumdb/" + SumDbProxyResource.NAME + "/lookup/example.com/secret/lib@v1.0.0");

        assertEquals(404, lookup.statusCode());
        assertTrue(
                lookup.body().contains("matches MODPROXY_PRIVATE")
                        && lookup.body().contains("GONOSUMDB"),
                lookup.body());
        assertEquals(before, SumDbProxyResource.databaseLink.forwarded(), "its name never left the proxy");
        assertFalse(Files.exists(stored("sumdb/" + SumDbProxyResource.NAME + "/lookup/example.com/secret/lib@v1.0.0")));
    }

    @Test
    void sumdbEndpointsAnswerForTheConfiguredDatabaseOnly() throws Exception {
        String base = "/sumdb/" + SumDbProxyResource.NAME;
        HttpResponse<String> supported = get(base + "/supported");
        assertEquals(200, supported.statusCode());
        assertEquals("", supported.body());

        HttpResponse<String> latest = get(base + "/latest");
        assertEquals(200, latest.statusCode());
        assertTrue(latest.body().startsWith("go.sum database tree\n"), latest.body());

        assertEquals(404, get("/sumdb/sum.golang.org/supported").statusCode());
        for (String bad : List.of(
                "/lookup/example.com/hello",
                "/lookup/../../etc/passwd@v1.0.0",
                "/tile/8/0/1",
                "/tile/8/0/x000/001",
                "/nonsense")) {
            HttpResponse<String> refused = get(base + bad);
            assertEquals(400, refused.statusCode(), bad + ": " + refused.body());
        }
    }
}
