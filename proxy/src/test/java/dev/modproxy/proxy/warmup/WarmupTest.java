package dev.modproxy.proxy.warmup;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.PassThroughStorage;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.FullDisk;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WarmupTest {

    @TempDir
    Path root;

    @TempDir
    Path goHome;

    FakeUpstream upstream;
    ProxyUnderTest proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/alpha", "v1.0.0");
        Modules.publish(upstream, "example.com/beta", "v0.3.1");
        proxy = new ProxyUnderTest(upstream.url(), root);
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    @Test
    void warmedModulesBuildWithTheUpstreamGone() throws Exception {
        HttpResponse<String> started = post("text/plain", "example.com/alpha@v1.0.0\nexample.com/beta@v0.3.1\n");
        assertEquals(202, started.statusCode(), started.body());

        JsonObject done = awaitFinished();
        assertEquals(2, done.getInteger("requested"));
        assertEquals(2, done.getInteger("completed"));
        assertEquals(0, done.getInteger("failed"));
        upstream.close();

        GoClient.Result build =
                new GoClient(goHome, proxy.url()).download("example.com/alpha@v1.0.0", "example.com/beta@v0.3.1");
        assertEquals(0, build.exitCode(), build.both());

        JsonObject stats = new JsonObject(proxy.getText("/admin/stats").body());
        assertEquals(2, stats.getJsonObject("lastWarmup").getInteger("requested"));
        assertEquals(6, stats.getLong("entries"), "info, mod and zip of both");
        assertTrue(stats.getDouble("hitRatio") > 0.4, stats.encode());
    }

    @Test
    void goSumLinesWarmZipsOnlyWhereTheBuildNeedsThem() throws Exception {
        String goSum = """
                example.com/alpha v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
                example.com/alpha v1.0.0/go.mod h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=
                example.com/beta v0.3.1/go.mod h1:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=
                """;
        assertEquals(
                202,
                post("application/json", new JsonObject().put("goSum", goSum).encode())
                        .statusCode());

        JsonObject done = awaitFinished();

        assertEquals(2, done.getInteger("completed"));
        assertEquals(1, upstream.hits("example.com/alpha/@v/v1.0.0.zip"));
        assertEquals(1, upstream.hits("example.com/beta/@v/v0.3.1.mod"));
        assertEquals(0, upstream.hits("example.com/beta/@v/v0.3.1.zip"), "a go.mod-only line needs no zip");
    }

    @Test
    void failuresAreReportedPerArtifactWithTheUpstreamAnswer() throws Exception {
        post("application/json", "{\"modules\":[\"example.com/alpha@v1.0.0\",\"example.com/missing@v1.0.0\"]}");

        JsonObject done = awaitFinished();

        assertEquals(1, done.getInteger("completed"));
        assertEquals(1, done.getInteger("failed"));
        JsonObject failure = done.getJsonArray("failures").getJsonObject(0);
        assertEquals("example.com/missing", failure.getString("module"));
        assertEquals("info", failure.getString("artifact"));
        assertEquals(404, failure.getInteger("status"));
    }

    /**
     * Seen on a full 20 MB tmpfs: the report said finished, 3 completed, 0 failed, and nothing was on the disk; every
     * artifact had gone out through the pass-through directory, uncached.
     */
    @Test
    void artifactsTheFullDiskCouldNotKeepAreFailuresNotCompletions(@TempDir Path fullRoot, @TempDir Path spill)
            throws Exception {
        proxy.close();
        proxy = ProxyUnderTest.onStorage(
                upstream.url(),
                new PassThroughStorage(
                        new FullDisk(new LocalDiskStorage(fullRoot), 0, FullDisk.FailAt.WRITE),
                        spill,
                        () -> {},
                        Clock.systemUTC()));

        assertEquals(202, post("text/plain", "example.com/alpha@v1.0.0\n").statusCode());
        JsonObject done = awaitFinished();

        assertEquals(0, done.getInteger("completed"), done.encode());
        assertEquals(1, done.getInteger("failed"), done.encode());
        JsonObject failure = done.getJsonArray("failures").getJsonObject(0);
        assertEquals(507, failure.getInteger("status"), done.encode());
        assertTrue(failure.getString("reason").startsWith("fetched, but the cache could not keep it"), done.encode());
        assertEquals(0, new JsonObject(proxy.getText("/admin/stats").body()).getLong("entries"));
    }

    @Test
    void aWarmUpLogsOneLineWhenItStartsAndOneWhenItEnds() throws Exception {
        try (CapturedLog log = CapturedLog.of(Warmer.class)) {
            post("text/plain", "example.com/alpha@v1.0.0\nexample.com/missing@v1.0.0\n");
            awaitFinished();

            await().atMost(Duration.ofSeconds(5)).until(() -> log.lines().size() >= 2);
            assertEquals(2, log.lines().size(), log.lines().toString());
            assertEquals(
                    "warm-up started: 2 module versions requested", log.lines().get(0));
            assertTrue(
                    log.lines()
                            .get(1)
                            .matches("warm-up finished in \\d+ s: 2 module versions requested, 1 failed"
                                    + " \\(GET /admin/warmup lists them\\)"),
                    log.lines().get(1));
            assertTrue(log.warnings().isEmpty(), "a module not found is the report's, not a warning");
        }
    }

    @Test
    void aSecondWarmupWhileOneRunsIsRefused() throws Exception {
        upstream.on("example.com/slow/@v/v1.0.0.info", upstream.hang());
        assertEquals(202, post("text/plain", "example.com/slow@v1.0.0").statusCode());

        HttpResponse<String> second = post("text/plain", "example.com/alpha@v1.0.0");

        assertEquals(409, second.statusCode());
        assertTrue(second.body().contains("already running"), second.body());
        assertEquals("running", new JsonObject(proxy.getText("/admin/warmup").body()).getString("state"));
    }

    @Test
    void badListsGetA400NamingTheProblem() throws Exception {
        HttpResponse<String> badLine = post("text/plain", "example.com/alpha@v1.0.0\nexample.com/beta@latest\n");
        HttpResponse<String> badJson = post("application/json", "{\"modules\": 3");
        HttpResponse<String> wrongShape = post("application/json", "{\"mods\": []}");

        assertEquals(400, badLine.statusCode());
        assertTrue(badLine.body().contains("line 2"), badLine.body());
        assertEquals(400, badJson.statusCode());
        assertEquals(400, wrongShape.statusCode());
        assertTrue(wrongShape.body().contains("\\\"modules\\\""), wrongShape.body());
        assertEquals("idle", new JsonObject(proxy.getText("/admin/warmup").body()).getString("state"));
        assertEquals(0, upstream.totalHits());
    }

    /** JSON of the wrong shape is told what shape to send, never a Java class name or a 500. */
    @Test
    void jsonOfTheWrongShapeIsToldTheShapeToSend() throws Exception {
        Map<String, String> refusals = new java.util.LinkedHashMap<>();
        refusals.put("{\"modules\": null, \"goSum\": null}", "names no list");
        refusals.put("{\"modules\": \"example.com/alpha@v1.0.0\"}", "\"modules\" must be a list");
        refusals.put("{\"modules\": [\"example.com/alpha@v1.0.0\", 1]}", "\"modules\" entry 2 is not a string");
        refusals.put("{\"goSum\": {\"a\": 1}}", "\"goSum\" must be the text of a go.sum");
        refusals.put("[\"example.com/alpha@v1.0.0\"]", "not a JSON object");
        refusals.put("{\"modules\": [", "not a JSON object");
        for (Map.Entry<String, String> refusal : refusals.entrySet()) {
            HttpResponse<String> answer = post("application/json", refusal.getKey());

            assertEquals(400, answer.statusCode(), refusal.getKey());
            String error = new JsonObject(answer.body()).getString("error");
            assertTrue(error.contains(refusal.getValue()), refusal.getKey() + " -> " + error);
            assertFalse(error.contains("java.") || error.contains("Exception"), error);
        }
        assertEquals(0, upstream.totalHits());
    }

    /**
     * A list of more entries than one warm-up takes is a 400 that names the bound, whichever form it comes in. A JSON
     * list is refused at the entry past the bound, before the rest is read (here a broken end, which the whole body
     * parsed first was refused for instead).
     */
    @Test
    void aListOverTheBoundIsRefusedNamingIt() throws Exception {
        StringBuilder json = new StringBuilder("{\"modules\": [");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i <= WarmupList.MAX_TARGETS; i++) {
            json.append(i == 0 ? "" : ",").append("\"example.com/m").append(i).append("@v1.0.0\"");
            text.append("example.com/m").append(i).append("@v1.0.0\n");
        }
        json.append(", 3, \"the rest"); // never read: the entry past the bound ends the reading

        for (HttpResponse<String> answer :
                List.of(post("application/json", json.toString()), post("text/plain", text.toString()))) {
            assertEquals(400, answer.statusCode(), answer.body());
            assertTrue(new JsonObject(answer.body()).getString("error").contains("more than 10000"), answer.body());
        }
        assertEquals("idle", new JsonObject(proxy.getText("/admin/warmup").body()).getString("state"));
        assertEquals(0, upstream.totalHits());
    }

    @Test
    void aBadLineOfMegabytesIsQuotedInPart() throws Exception {
        HttpResponse<String> answer = post("text/plain", "x".repeat(3 << 20));

        assertEquals(400, answer.statusCode());
        assertTrue(
                answer.body().length() < 1000, "an answer of " + answer.body().length() + " characters");
        assertTrue(answer.body().contains("line 1"), answer.body());
    }

    /** Media types are case-insensitive, and some editors save a go.sum with a byte order mark. */
    @Test
    void jsonInAnyCaseAndAGoSumWithAByteOrderMarkAreRead() throws Exception {
        assertEquals(
                202,
                post("Application/JSON", "{\"modules\": [\"example.com/alpha@v1.0.0\"]}")
                        .statusCode());
        awaitFinished();
        String goSum = "\uFEFFexample.com/beta v0.3.1 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

        HttpResponse<String> answer = post("text/plain", goSum);

        assertEquals(202, answer.statusCode(), answer.body());
        assertEquals(0, awaitFinished().getInteger("failed"));
    }

    /** A list of thousands of missing modules fails thousands of times: all are counted, the first are listed. */
    @Test
    void everyFailureIsCountedAndTheFirstHundredListed() throws Exception {
        proxy.close();
        // private paths are refused without asking upstream, so 150 failures take no upstream round trips
        proxy = new ProxyUnderTest(
                upstream.url(), root, ProxyUnderTest.options().privatePatterns("corp.example.com"));
        StringBuilder missing = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            missing.append("corp.example.com/missing").append(i).append("@v1.0.0\n");
        }
        assertEquals(202, post("text/plain", missing.toString()).statusCode());

        JsonObject done = awaitFinished();

        assertEquals(150, done.getInteger("failed"));
        assertEquals(WarmupJob.LISTED_FAILURES, done.getJsonArray("failures").size());
        assertEquals(0, upstream.totalHits());
    }

    private JsonObject awaitFinished() {
        return await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> new JsonObject(proxy.getText("/admin/warmup").body()),
                        j -> "finished".equals(j.getString("state")));
    }

    private HttpResponse<String> post(String contentType, String body) throws Exception {
        return proxy.client()
                .send(
                        HttpRequest.newBuilder(URI.create(proxy.url() + "/admin/warmup"))
                                .header("Content-Type", contentType)
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFormEncodedBodyOfAnySizeIsRefusedWithAHint() throws Exception {
        String lines = "example.com/alpha@v1.0.0\n"
                .repeat(400); // over the 2 KiB (Quarkus) or 8 KiB (Vert.x) a form field may have

        HttpResponse<String> refused = post("application/x-www-form-urlencoded", lines);

        assertEquals(415, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("text/plain"), refused.body());
    }
}
