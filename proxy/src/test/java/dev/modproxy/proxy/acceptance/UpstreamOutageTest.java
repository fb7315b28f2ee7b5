package dev.modproxy.proxy.acceptance;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The upstream goes away after the cache has seen everything a build needs. */
class UpstreamOutageTest {

    private static final String MODULE = "example.com/outage/lib";
    private static final String VERSION = "v1.1.0";
    private static final String PACKAGE_PROBE = MODULE + "/pkg/@v/list";

    @TempDir
    Path dir;

    @RegisterExtension
    final ProxyOnFakeUpstream env = ProxyOnFakeUpstream.publishing(UpstreamOutageTest::publish)
            .with(ProxyUnderTest.options().negativeTtl(Duration.ofMillis(300)).mutableTtl(Duration.ofMillis(300)));

    private static void publish(FakeUpstream upstream) {
        Modules.publish(upstream, MODULE, VERSION);
        byte[] zip = Modules.zipOf(
                MODULE + "@" + VERSION + "/",
                Map.of("go.mod", Modules.goMod(MODULE), "pkg/pkg.go", "package pkg\n\nconst Answer = 42\n"));
        upstream.on(MODULE + "/@v/" + VERSION + ".zip", FakeUpstream.ok("application/zip", zip));
    }

    @Test
    void goGetOfAPackageStillWorksWhenTheNegativeAnswersHaveExpiredAndTheUpstreamIsDown() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.writeString(work.resolve("go.mod"), "module example.com/app\n\ngo 1.19\n");
        GoClient.Result warm = go(env.proxy().url(), "first", "get", MODULE + "/pkg");
        assertEquals(0, warm.exitCode(), warm.both());
        assertTrue(env.upstream().hits(PACKAGE_PROBE) >= 1, "the go command probed the package path as a module");

        env.upstream().otherwise(FakeUpstream.status(503, "down for maintenance"));
        for (String file : new String[] {"list", VERSION + ".info", VERSION + ".mod", VERSION + ".zip"}) {
            env.upstream().on(MODULE + "/@v/" + file, FakeUpstream.status(503, "down for maintenance"));
        }
        int before = env.upstream().hits(PACKAGE_PROBE);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            env.proxy().get("/" + PACKAGE_PROBE);
            return env.upstream().hits(PACKAGE_PROBE) > before; // the negative answer expired: the proxy asked again
        });

        assertEquals(
                404,
                env.proxy().get("/" + PACKAGE_PROBE).statusCode(),
                "the last known absence is served while the upstream fails");
        Files.writeString(work.resolve("go.mod"), "module example.com/app\n\ngo 1.19\n");
        Files.deleteIfExists(work.resolve("go.sum"));
        GoClient.Result cold = go(env.proxy().url(), "second", "get", MODULE + "/pkg");
        assertEquals(0, cold.exitCode(), cold.both());
        assertTrue(Files.readString(work.resolve("go.mod")).contains(MODULE + " " + VERSION));
    }

    /** The go command with its own module cache {@code cache}, run in this test's work directory. */
    private GoClient.Result go(String goproxy, String cache, String... args) throws Exception {
        return new GoClient(dir.resolve(cache), goproxy).run(Files.createDirectories(dir.resolve("work")), args);
    }
}
