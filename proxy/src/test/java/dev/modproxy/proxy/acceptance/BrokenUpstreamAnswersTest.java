package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream answers the go command would refuse are never cached: once the upstream is repaired and the refusal's
 * negative TTL is over, the same go command through the same proxy succeeds.
 */
class BrokenUpstreamAnswersTest {

    private static final String MODULE = "example.com/broken/lib";
    private static final String VERSION = "v1.0.0";

    @TempDir
    Path dir;

    @RegisterExtension
    final ProxyOnFakeUpstream env = ProxyOnFakeUpstream.publishing(u -> Modules.publish(u, MODULE, VERSION))
            .with(ProxyUnderTest.options().negativeTtl(Duration.ofSeconds(1)));

    private GoClient.Result download(String home) throws Exception {
        return new GoClient(dir.resolve(home), env.proxy().url()).download(MODULE + "@" + VERSION);
    }

    /** Waits out the refusal the proxy remembers for the negative TTL: the repaired file is fetched after it. */
    private void awaitRepaired(String file) {
        env.proxy().getTextUntil("/" + MODULE + "/@v/" + file, answer -> answer.statusCode() == 200);
    }

    private boolean stored(String file) throws Exception {
        return env.proxy()
                .storage
                .lookup(new StorageKey(MODULE + "/@v/" + file))
                .isPresent();
    }

    @Test
    void infoWithATimeTheGoCommandCannotParseIsRefusedAndNotCached() throws Exception {
        env.upstream()
                .on(
                        MODULE + "/@v/" + VERSION + ".info",
                        FakeUpstream.ok(
                                "application/json", "{\"Version\":\"" + VERSION + "\",\"Time\":\"yesterday\"}"));

        GoClient.Result broken = download("first");

        assertNotEquals(0, broken.exitCode(), broken.both());
        assertTrue(broken.both().contains("502"), broken.both());
        assertFalse(stored(VERSION + ".info"));

        Modules.publish(env.upstream(), MODULE, VERSION);
        awaitRepaired(VERSION + ".info");
        GoClient.Result repaired = download("second");
        assertEquals(0, repaired.exitCode(), repaired.both());
        assertTrue(repaired.output().contains("\"Version\": \"" + VERSION + "\""), repaired.output());
    }

    @Test
    void zipWhoseDataDoesNotMatchItsCrcIsRefusedAndNotCached() throws Exception {
        env.upstream()
                .on(
                        MODULE + "/@v/" + VERSION + ".zip",
                        FakeUpstream.ok("application/zip", Modules.damagedZip(MODULE, VERSION)));

        GoClient.Result broken = download("first");

        assertNotEquals(0, broken.exitCode(), broken.both());
        assertFalse(stored(VERSION + ".zip"));

        Modules.publish(env.upstream(), MODULE, VERSION);
        awaitRepaired(VERSION + ".zip");
        GoClient.Result repaired = download("second");
        assertEquals(0, repaired.exitCode(), repaired.both());
        assertTrue(repaired.output().contains("\"Zip\""), repaired.output());
    }
}
