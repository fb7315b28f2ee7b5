package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The go command fetches every shape of module path and version the reference names through the proxy. */
class ModuleShapesTest {

    @TempDir
    Path dir;

    FakeUpstream upstream;
    ProxyUnderTest proxy;
    GoClient go;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        publish("gopkg.in/yaml.v3", "v3.0.1");
        publish("example.com/Upper/Pre", "v1.0.0-RC.1");
        publish("example.com/shapes/v2", "v2.1.0");
        publish("example.com/pseudo", "v0.0.0-20240102030405-abcdefabcdef");
        upstream.on("example.com/notags/@v/list", FakeUpstream.ok("text/plain", ""));
        proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"));
        go = new GoClient(dir.resolve("home"), proxy.url());
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    /** Serves one version, case-encoding path and version as a GOPROXY server stores them. */
    private void publish(String path, String version) {
        String base = encode(path) + "/@v/" + encode(version);
        upstream.on(encode(path) + "/@v/list", FakeUpstream.ok("text/plain", version + "\n"))
                .on(encode(path) + "/@latest", FakeUpstream.ok("application/json", Modules.info(version)))
                .on(base + ".info", FakeUpstream.ok("application/json", Modules.info(version)))
                .on(base + ".mod", FakeUpstream.ok("text/plain", Modules.goMod(path)))
                .on(base + ".zip", FakeUpstream.ok("application/zip", Modules.zip(path, version)));
    }

    private static String encode(String s) {
        return s.replaceAll("([A-Z])", "!$1").toLowerCase();
    }

    @Test
    void gopkgInMajorSuffixUpperCasePreReleaseSlashMajorAndPseudoVersionsDownload() throws Exception {
        String[] modules = {
            "gopkg.in/yaml.v3@v3.0.1",
            "example.com/Upper/Pre@v1.0.0-RC.1",
            "example.com/shapes/v2@v2.1.0",
            "example.com/pseudo@v0.0.0-20240102030405-abcdefabcdef"
        };

        GoClient.Result result = go.download(modules);

        assertEquals(0, result.exitCode(), result.both());
        for (String module : modules) {
            String version = module.substring(module.indexOf('@') + 1);
            assertTrue(result.output().contains("\"Version\": \"" + version + "\""), result.output());
        }
        assertTrue(Files.isRegularFile(
                go.modCache().resolve("cache/download/example.com/!upper/!pre/@v/v1.0.0-!r!c.1.zip")));
    }

    @Test
    void latestQueriesResolveForUpperCaseAndSuffixedModules() throws Exception {
        GoClient.Result result = go.run(
                Files.createDirectories(dir.resolve("w")),
                "list",
                "-m",
                "-json",
                "example.com/Upper/Pre@latest",
                "gopkg.in/yaml.v3@latest");

        assertEquals(0, result.exitCode(), result.both());
        assertTrue(result.output().contains("v1.0.0-RC.1") && result.output().contains("v3.0.1"), result.output());
    }

    @Test
    void moduleWithoutTaggedVersionsListsNoneAndHasNoLatest() throws Exception {
        Path work = Files.createDirectories(dir.resolve("w"));
        GoClient.Result versions = go.run(work, "list", "-m", "-json", "-versions", "example.com/notags");
        GoClient.Result latest = go.run(work, "list", "-m", "example.com/notags@latest");

        assertEquals(0, versions.exitCode(), versions.both());
        assertEquals("example.com/notags", new JsonObject(versions.output()).getString("Path"));
        assertTrue(!versions.output().contains("\"Versions\""), versions.output());
        assertNotEquals(0, latest.exitCode());
        assertTrue(latest.errors().contains("no matching versions"), latest.errors());
    }
}
