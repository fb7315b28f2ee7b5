package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoBinary;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real go command ({@link GoBinary}) as the client of the proxy. */
class GoCommandTest {

    @TempDir
    Path dir;

    FakeUpstream upstream;
    ProxyUnderTest proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/BigCo/lib", "v1.2.0");
        proxy = new ProxyUnderTest(
                upstream.url(), dir.resolve("cache"), ProxyUnderTest.options().privatePatterns("corp.example.com"));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    private record Result(int exit, String out, String err) {}

    private Result go(String goproxy, String gopath, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(GoBinary.path().toString()));
        command.addAll(List.of(args));
        Path work = Files.createDirectories(dir.resolve("work"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        Map<String, String> env = builder.environment();
        GoBinary.isolate(env, dir);
        env.put("GOPROXY", goproxy);
        env.put("GOPATH", dir.resolve(gopath).toString());
        env.put("GOMODCACHE", dir.resolve(gopath).resolve("mod").toString());
        env.put("GOCACHE", dir.resolve("gocache").toString());
        env.put("GOSUMDB", "off");
        Process process = builder.start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "go finished in time");
        return new Result(
                process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void goModDownloadFetchesThroughTheProxyAndASecondMachineHitsTheCache() throws Exception {
        Result first = go(proxy.url(), "gopath1", "mod", "download", "-json", "example.com/BigCo/lib@v1.2.0");
        Result second = go(proxy.url(), "gopath2", "mod", "download", "-json", "example.com/BigCo/lib@v1.2.0");

        assertEquals(0, first.exit(), first.err() + first.out());
        assertEquals(0, second.exit(), second.err() + second.out());
        JsonObject download = new JsonObject(second.out());
        assertEquals("v1.2.0", download.getString("Version"));
        assertTrue(Files.isRegularFile(Path.of(download.getString("Zip"))));
        assertTrue(download.getString("Sum").startsWith("h1:"), download.encode());
        assertEquals(1, upstream.hits("example.com/!big!co/lib/@v/v1.2.0.zip"), "second download came from the cache");
    }

    @Test
    void goListVersionsAndLatestWork() throws Exception {
        Result versions = go(proxy.url(), "gopath", "list", "-m", "-versions", "example.com/BigCo/lib");
        Result latest = go(proxy.url(), "gopath", "list", "-m", "example.com/BigCo/lib@latest");

        assertEquals(0, versions.exit(), versions.err());
        assertEquals("example.com/BigCo/lib v1.2.0", versions.out().strip());
        assertEquals(0, latest.exit(), latest.err());
        assertEquals("example.com/BigCo/lib v1.2.0", latest.out().strip());
    }

    @Test
    void aVersionListWithLinesThatAreNoVersionsWorksAsItDoesDirect() throws Exception {
        Modules.publish(upstream, "example.com/lists", "v1.0.0");
        Modules.publish(upstream, "example.com/lists", "v1.1.0");
        // a branch, a version without its v, a comment and bytes that are not UTF-8: the go command skips those lines
        byte[] list = "v1.0.0\nmaster\n1.2.0\n# comment\n\u00ff\u00fe\nv1.1.0\n".getBytes(StandardCharsets.ISO_8859_1);
        upstream.on("example.com/lists/@v/list", FakeUpstream.ok("text/plain", list));

        Result direct = go(upstream.url(), "gopath-direct", "list", "-m", "-versions", "example.com/lists");
        Result versions = go(proxy.url(), "gopath", "list", "-m", "-versions", "example.com/lists");
        Result latest = go(proxy.url(), "gopath", "list", "-m", "example.com/lists@latest");

        assertEquals(0, direct.exit(), direct.err());
        assertEquals("example.com/lists v1.0.0 v1.1.0", direct.out().strip(), "the go command's own reading");
        assertEquals(0, versions.exit(), versions.err());
        assertEquals(direct.out(), versions.out());
        assertEquals(0, latest.exit(), latest.err());
        assertEquals("example.com/lists v1.1.0", latest.out().strip());
    }

    @Test
    void aGoModWithACommentLineLongerThan64KiBIsDownloadedAsItIsDirect() throws Exception {
        String goMod = "module example.com/m8\n\n// " + "x".repeat(70 * 1024) + "\n\ngo 1.21\n";
        Modules.publish(upstream, "example.com/m8", "v1.0.0");
        upstream.on("example.com/m8/@v/v1.0.0.mod", FakeUpstream.ok("text/plain", goMod))
                .on(
                        "example.com/m8/@v/v1.0.0.zip",
                        FakeUpstream.ok(
                                "application/zip",
                                Modules.zipOf(
                                        "example.com/m8@v1.0.0/", Map.of("go.mod", goMod, "m8.go", "package m8\n"))));

        Result direct = go(upstream.url(), "gopath-direct", "mod", "download", "-json", "example.com/m8@v1.0.0");
        Result proxied = go(proxy.url(), "gopath", "mod", "download", "-json", "example.com/m8@v1.0.0");

        assertEquals(0, direct.exit(), direct.err() + direct.out());
        assertEquals(0, proxied.exit(), proxied.err() + proxied.out());
        JsonObject download = new JsonObject(proxied.out());
        assertEquals(goMod, Files.readString(Path.of(download.getString("GoMod"))));
        assertEquals(new JsonObject(direct.out()).getString("GoModSum"), download.getString("GoModSum"));
    }

    @Test
    void aModulePathTooLongForTheCacheFallsThroughToTheNextProxy() throws Exception {
        String longPath = "example.com/" + "x".repeat(150) + "/" + "x".repeat(150) + "/" + "x".repeat(100);
        Modules.publish(upstream, longPath, "v1.0.0");

        Result result =
                go(proxy.url() + "," + upstream.url(), "gopath", "mod", "download", "-json", longPath + "@v1.0.0");

        assertEquals(0, result.exit(), result.err() + result.out());
        assertEquals("v1.0.0", new JsonObject(result.out()).getString("Version"));
        assertEquals(1, upstream.hits(longPath + "/@v/v1.0.0.zip"), "by the go command from its next entry only");
    }

    @Test
    void aLatestVersionTooLongForTheCacheResolvesOnlyThroughTheNextProxy() throws Exception {
        // 129 characters: one more than ModuleVersion.MAX_LENGTH, a bound of this proxy's, not the go command's
        String longVersion = "v1.0.0-" + "b".repeat(122);
        Modules.publish(upstream, "example.com/longver", longVersion);

        Result alone = go(proxy.url(), "gopath1", "list", "-m", "example.com/longver@latest");
        Result chained = go(proxy.url() + "," + upstream.url(), "gopath2", "list", "-m", "example.com/longver@latest");

        assertEquals(1, alone.exit(), alone.out());
        assertTrue(alone.err().contains("is longer than 128 characters"), alone.err());
        assertEquals(0, chained.exit(), chained.err());
        assertEquals("example.com/longver " + longVersion, chained.out().strip());
    }

    @Test
    void incompatibleMajorVersionResolvesThroughAnInfoQuery() throws Exception {
        Modules.publish(upstream, "example.com/old", "v2.0.0+incompatible");
        upstream.on(
                "example.com/old/@v/v2.0.0.info",
                FakeUpstream.ok("application/json", Modules.info("v2.0.0+incompatible")));

        Result result = go(proxy.url(), "gopath", "mod", "download", "-json", "example.com/old@v2.0.0");

        assertEquals(0, result.exit(), result.err() + result.out());
        assertEquals("v2.0.0+incompatible", new JsonObject(result.out()).getString("Version"));
        assertEquals(1, upstream.hits("example.com/old/@v/v2.0.0.info"), "the query went upstream");
    }

    @Test
    void goFallsThroughToItsNextProxyForPrivateModules() throws Exception {
        FakeUpstream internal = FakeUpstream.start();
        try (internal) {
            Modules.publish(internal, "corp.example.com/tool", "v0.1.0");

            Result result = go(
                    proxy.url() + "," + internal.url(),
                    "gopath",
                    "mod",
                    "download",
                    "-json",
                    "corp.example.com/tool@v0.1.0");

            assertEquals(0, result.exit(), result.err() + result.out());
            assertEquals(0, upstream.totalHits(), "the private path never reached the public upstream");
        }
    }

    @Test
    void aModuleTheUpstreamForbidsIsNotFetchedFromTheEntryAfterTheCacheWithAComma() throws Exception {
        // stands for direct: what the go command would fetch if the cache's answer let it fall through
        FakeUpstream next = FakeUpstream.start();
        try (next) {
            Modules.publish(next, "example.com/blocked", "v1.0.0");
            upstream.otherwise(FakeUpstream.status(403, "example.com/blocked is not on the allow-list"));

            Result comma = go(
                    proxy.url() + "," + next.url(),
                    "gopath1",
                    "mod",
                    "download",
                    "-json",
                    "example.com/blocked@v1.0.0");

            assertTrue(comma.exit() != 0, comma.out());
            assertTrue(comma.out().contains("403 Forbidden"), comma.out() + comma.err());
            assertTrue(comma.out().contains("not on the allow-list"), "the upstream's reason: " + comma.out());
            assertEquals(0, next.totalHits(), "the block held: nothing was asked of the next entry");

            Result pipe = go(
                    proxy.url() + "|" + next.url(),
                    "gopath2",
                    "mod",
                    "download",
                    "-json",
                    "example.com/blocked@v1.0.0");

            assertEquals(0, pipe.exit(), "'|' falls through on any error, by the client's choice: " + pipe.out());
        }
    }

    @Test
    void anUpstreamsBadRequestReachesTheGoCommandAsItWouldDirectNotAsABadGateway() throws Exception {
        // an allow-list mirror's answer for a host it does not serve (as proxy.golang.org's 400 for a path it cannot
        // fetch): its verdict on the path, the same for any client that asks
        upstream.otherwise(FakeUpstream.status(400, "Go module host not permitted"));

        Result direct = go(upstream.url(), "gopath1", "mod", "download", "-json", "example.org/lib@v1.0.0");
        Result cached = go(proxy.url(), "gopath2", "mod", "download", "-json", "example.org/lib@v1.0.0");

        assertTrue(direct.exit() != 0, direct.out());
        assertTrue(direct.out().contains("/example.org/lib/@v/v1.0.0.info: 400 Bad Request"), direct.out());
        assertEquals(direct.exit(), cached.exit(), cached.out());
        assertTrue(
                cached.out().contains("/example.org/lib/@v/v1.0.0.info: 400 Bad Request"),
                "the upstream's status, not a 502: " + cached.out());
        assertTrue(cached.out().contains("Go module host not permitted"), "with its reason: " + cached.out());
    }

    @Test
    void goSeesAFailedDownloadWhenTheUpstreamSendsACorruptZip() throws Exception {
        upstream.on(
                "example.com/!big!co/lib/@v/v1.2.0.zip",
                FakeUpstream.ok("application/zip", Modules.zip("example.com/other", "v1.2.0")));

        Result result = go(proxy.url(), "gopath", "mod", "download", "-json", "example.com/BigCo/lib@v1.2.0");

        assertTrue(result.exit() != 0, result.out());
        assertTrue(Files.notExists(dir.resolve("cache/example.com/!big!co/lib/@v/v1.2.0.zip")));
    }
}
