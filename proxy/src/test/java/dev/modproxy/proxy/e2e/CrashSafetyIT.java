package dev.modproxy.proxy.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL in the middle of many cold downloads (the 50 MB zip among them) must never leave a half
 * file that a restarted proxy serves: after restart, every 200 is byte-identical to the upstream.
 */
class CrashSafetyIT {

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(90);
    private static final int FILLERS = 24;
    private static final int COMPLETED_BEFORE_CRASH = 8;

    @TempDir
    static Path fixtureDir;

    static ModuleFixtures fixtures;

    @TempDir
    Path work;

    private final List<AutoCloseable> started = new ArrayList<>();

    @BeforeAll
    static void generateModules() throws IOException {
        GoCommand.requireInstalled();
        ProxyProcess.jar();
        fixtures = ModuleFixtures.generate(fixtureDir, FILLERS);
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    @Test
    void aProxyKilledMidDownloadServesOnlyWholeArtifactsAfterRestart() throws Exception {
        Path storage = work.resolve("storage");
        UpstreamServer upstream = track(UpstreamServer.start(fixtures.proxyTree()));
        ProxyProcess first = track(ProxyProcess.start(upstream.url(), storage, work.resolve("proxy-1.log")));

        List<GeneratedModule> completed = fixtures.fillers().subList(0, COMPLETED_BEFORE_CRASH);
        List<GeneratedModule> inFlight = new ArrayList<>(fixtures.shaped());
        inFlight.addAll(fixtures.fillers().subList(COMPLETED_BEFORE_CRASH, FILLERS));
        for (GeneratedModule m : completed) {
            for (String path : ModuleFixtures.artifactPaths(m)) {
                assertServedAsUpstream(first, path);
            }
        }

        Set<String> stalled = new LinkedHashSet<>();
        stalled.add(fixtures.version("example.com/big", "v1.0.0").protocolBase() + ".zip");
        stalled.add(fixtures.version("example.com/leaf", "v1.2.0").protocolBase() + ".zip");
        stalled.add(fixtures.version("example.com/Upper/Mod", "v1.0.0").protocolBase() + ".mod");
        for (GeneratedModule m : fixtures.fillers().subList(COMPLETED_BEFORE_CRASH, COMPLETED_BEFORE_CRASH + 4)) {
            stalled.add(m.protocolBase() + ".zip");
        }
        stalled.forEach(upstream::stallHalfway);

        List<String> inFlightPaths = new ArrayList<>();
        inFlight.forEach(m -> inFlightPaths.addAll(ModuleFixtures.artifactPaths(m)));
        List<CompletableFuture<HttpResponse<Void>>> clients = new ArrayList<>();
        for (String path : inFlightPaths) {
            // Two clients per artifact: the crash also hits coalesced waiters.
            for (int i = 0; i < 2; i++) {
                HttpRequest request = HttpRequest.newBuilder(first.uri(path))
                        .timeout(Duration.ofMinutes(3))
                        .build();
                clients.add(HttpFetch.client().sendAsync(request, HttpResponse.BodyHandlers.discarding()));
            }
        }
        await("upstream half-way through every stalled artifact")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> stalled.stream().allMatch(upstream::hasSentHalf));

        first.kill();
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new))
                .handle((ok, failure) -> null)
                .get(2, TimeUnit.MINUTES);
        upstream.stop();

        ProxyProcess second = track(ProxyProcess.start(upstream.url(), storage, work.resolve("proxy-2.log")));
        List<String> everyPath = new ArrayList<>();
        fixtures.all().forEach(m -> everyPath.addAll(ModuleFixtures.artifactPaths(m)));
        fixtures.all().forEach(m -> everyPath.add(m.listPath()));
        for (String path : everyPath) {
            HttpFetch.Answer answer = HttpFetch.get(second.uri(path), ANSWER_TIMEOUT);
            if (answer.ok()) {
                assertEquals(expected(path), answer, "served after the crash with the upstream gone: " + path);
            }
            if (stalled.contains(path)) {
                assertTrue(
                        answer.status() >= 400 && answer.status() < 600,
                        "half-downloaded " + path + " must not be served, got " + answer);
            }
        }
        for (GeneratedModule m : completed) {
            for (String path : ModuleFixtures.artifactPaths(m)) {
                assertServedAsUpstream(second, path);
            }
        }
        GoCommand go = new GoCommand(Files.createDirectories(work.resolve("home")), second.url());
        for (GeneratedModule m : completed) {
            String json = go.runOk(work.resolve("outside-any-module"), "mod", "download", "-json", m.query());
            assertEquals(ModuleZip.zipHash(m), new JsonObject(json).getString("Sum"), m.query());
        }
        second.close();

        // Whatever the crash left in the storage dir must not stop a healthy upstream from filling the gaps.
        UpstreamServer healthy = track(UpstreamServer.start(fixtures.proxyTree()));
        // each artifact downloaded once, counted as requests: the 52 MiB zip is over the default zip prefetch bound,
        // and
        // its prefetch, stopped at the headers, would be a second request whenever it went out before the client's
        ProxyProcess third = track(ProxyProcess.start(
                healthy.url(),
                storage,
                work.resolve("proxy-3.log"),
                Map.of("MODPROXY_SUMDB", "off", "MODPROXY_PREFETCH_MAX_ZIP_SIZE", "500Mi")));
        for (String path : everyPath) {
            if (!path.endsWith("/@v/list")) {
                assertServedAsUpstream(third, path);
            }
        }
        for (String path : stalled) {
            assertEquals(1, healthy.requestCount(path), "re-fetched once after the crash: " + path);
        }
    }

    private void assertServedAsUpstream(ProxyProcess proxy, String path) throws Exception {
        assertEquals(expected(path), HttpFetch.get(proxy.uri(path), ANSWER_TIMEOUT), path + "\n" + proxy.logTail());
    }

    private static HttpFetch.Answer expected(String path) throws IOException {
        byte[] bytes = fixtures.upstreamBytes(path);
        return new HttpFetch.Answer(200, bytes.length, HttpFetch.sha256Hex(bytes));
    }

    private <T extends AutoCloseable> T track(T closeable) {
        started.add(closeable);
        return closeable;
    }
}
