package dev.modproxy.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The go command as the only client: what it downloads and builds through the cache is exactly what
 * it gets from the upstream, and once cached, builds keep working with the upstream gone.
 */
class GoCommandEndToEndIT {

    @TempDir
    static Path fixtureDir;

    static ModuleFixtures fixtures;

    @TempDir
    Path work;

    UpstreamServer upstream;
    ProxyProcess proxy;

    @BeforeAll
    static void generateModules() throws IOException {
        GoCommand.requireInstalled();
        ProxyProcess.jar();
        fixtures = ModuleFixtures.generate(fixtureDir, 0);
    }

    @BeforeEach
    void startUpstreamAndProxy() throws IOException {
        upstream = UpstreamServer.start(fixtures.proxyTree());
        proxy = ProxyProcess.start(upstream.url(), work.resolve("storage"), work.resolve("proxy.log"));
    }

    @AfterEach
    void stopEverything() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void everyModuleDownloadedThroughTheProxyHasTheUpstreamsChecksums() throws Exception {
        try (UpstreamServer reference = UpstreamServer.start(fixtures.proxyTree())) {
            GoCommand direct = new GoCommand(Files.createDirectories(work.resolve("direct")), reference.url());
            GoCommand proxied = new GoCommand(Files.createDirectories(work.resolve("proxied")), proxy.url());
            for (GeneratedModule m : fixtures.shaped()) {
                JsonObject fromUpstream = download(direct, m);
                JsonObject fromProxy = download(proxied, m);
                assertEquals(ModuleZip.zipHash(m), fromUpstream.getString("Sum"), "fixture sanity: " + m.query());
                assertEquals(fromUpstream.getString("Sum"), fromProxy.getString("Sum"), "zip hash of " + m.query());
                assertEquals(
                        fromUpstream.getString("GoModSum"),
                        fromProxy.getString("GoModSum"),
                        "go.mod hash of " + m.query());
                assertEquals(ModuleZip.goModHash(m), fromProxy.getString("GoModSum"), "go.mod hash of " + m.query());
            }
        }
        for (GeneratedModule m : fixtures.shaped()) {
            for (String artifact : ModuleFixtures.artifactPaths(m)) {
                assertEquals(1, upstream.requestCount(artifact), "upstream fetches of " + artifact);
            }
        }
    }

    @Test
    void buildWorksThroughTheProxyAndAgainFromTheCacheAloneOnceTheUpstreamIsGone() throws Exception {
        GoCommand go = new GoCommand(Files.createDirectories(work.resolve("home")), proxy.url());
        Path app = work.resolve("app");
        fixtures.copyMainModuleTo(app);

        assertEquals(ModuleFixtures.EXPECTED_PROGRAM_OUTPUT, buildAndRun(go, app));
        assertTrue(Files.isRegularFile(app.resolve("go.sum")), "the build records checksums in go.sum");
        assertEachImmutableArtifactFetchedAtMostOnce();
        // a healthy start and build leave nothing in the log for an operator to chase, but the warning this
        // test's own MODPROXY_SUMDB=off asks for (its modules are in no checksum database)
        assertEquals(
                List.of(),
                proxy.warningsAndErrors().stream()
                        .filter(line -> !line.contains("MODPROXY_SUMDB=off"))
                        .toList(),
                "WARN and ERROR lines of a healthy build");
        for (GeneratedModule dependency : buildDependencies()) {
            assertEquals(1, upstream.requestCount(dependency.protocolBase() + ".zip"), dependency.query() + " zip");
            assertEquals(1, upstream.requestCount(dependency.protocolBase() + ".mod"), dependency.query() + " mod");
        }

        upstream.stop();
        go.runOk(app, "clean", "-modcache");
        assertFalse(Files.exists(go.moduleCache().resolve("example.com")), "the module cache is empty");
        // go.sum from the first build stays: the go command checks every cached byte against it.
        assertEquals(ModuleFixtures.EXPECTED_PROGRAM_OUTPUT, buildAndRun(go, app));
    }

    @Test
    void versionListsAndLatestQueriesMatchTheUpstreamThroughTheProxy() throws Exception {
        GoCommand proxied = new GoCommand(Files.createDirectories(work.resolve("proxied")), proxy.url());
        GoCommand direct = new GoCommand(Files.createDirectories(work.resolve("direct")), upstream.url());
        Path app = work.resolve("app");
        fixtures.copyMainModuleTo(app);

        for (String module : List.of("example.com/leaf", "example.com/Upper/Mod", "example.com/inc")) {
            String viaProxy =
                    proxied.runOk(app, "list", "-m", "-versions", module).trim();
            assertEquals(direct.runOk(app, "list", "-m", "-versions", module).trim(), viaProxy, module);
        }
        assertEquals(
                "example.com/leaf v1.0.0 v1.1.0 v1.2.0 v1.3.0-rc.1",
                proxied.runOk(app, "list", "-m", "-versions", "example.com/leaf")
                        .trim());

        byte[] latest = fixtures.upstreamBytes("/example.com/leaf/@latest");
        assertEquals(
                new HttpFetch.Answer(200, latest.length, HttpFetch.sha256Hex(latest)),
                HttpFetch.get(proxy.uri("/example.com/leaf/@latest"), Duration.ofSeconds(60)),
                "the @latest endpoint");

        proxied.runOk(app, "get", "example.com/leaf@latest");
        assertTrue(
                Files.readString(app.resolve("go.mod")).contains("example.com/leaf v1.2.0"),
                "@latest is the newest release, not the pre-release:\n" + Files.readString(app.resolve("go.mod")));
        assertTrue(buildAndRun(proxied, app).endsWith("with leaf v1.2.0"), "the build uses the upgraded leaf");
    }

    private List<GeneratedModule> buildDependencies() {
        List<GeneratedModule> deps = new ArrayList<>();
        for (GeneratedModule m : fixtures.shaped()) {
            if (!m.path().equals("example.com/leaf") || m.version().equals("v1.1.0")) {
                deps.add(m);
            }
        }
        return deps;
    }

    private void assertEachImmutableArtifactFetchedAtMostOnce() {
        for (Map.Entry<String, Integer> e : upstream.requestCounts().entrySet()) {
            String path = e.getKey();
            if (path.endsWith(".zip") || path.endsWith(".mod") || path.endsWith(".info")) {
                assertTrue(
                        e.getValue() <= 1, path + " fetched " + e.getValue() + " times: " + upstream.requestCounts());
            }
        }
    }

    private String buildAndRun(GoCommand go, Path app) throws Exception {
        go.runOk(app, "build", "-o", "app.bin", ".");
        ProcessBuilder run = new ProcessBuilder(app.resolve("app.bin").toString()).redirectErrorStream(true);
        Process process = run.start();
        String output = new String(process.getInputStream().readAllBytes()).trim();
        assertEquals(0, process.waitFor(), "program output: " + output);
        return output;
    }

    private static JsonObject download(GoCommand go, GeneratedModule m) throws Exception {
        String json = go.runOk(go.home().resolve("outside-any-module"), "mod", "download", "-json", m.query());
        JsonObject result = new JsonObject(json);
        assertNull(result.getString("Error"), m.query() + ": " + json);
        return result;
    }
}
