package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The go command asks a proxy's /sumdb/&lt;name&gt;/supported once, and after a 200 takes every lookup and tile
 * from that proxy, never from its next proxy or the database itself (go.dev/design/25530-sumdb#proxying-a-checksum-database).
 * A proxy that cannot reach the database must say 404 there, or every build verifying a new module fails with it.
 */
class SumDbSupportedTest {

    private static final String NAME = "sum.modproxy.test";
    private static final String MODULE = "example.com/hello";

    @TempDir
    Path dir;

    @Test
    void aGoCommandVerifiesThroughItsNextProxyWhenThisOneCannotReachTheDatabase() throws Exception {
        Path modules = dir.resolve("modules");
        ProxyDirModules.write(modules, MODULE, "v1.0.0", Map.of("hello.go", "package hello\n"));
        try (GoSumDbServer sumdb =
                        GoSumDbServer.start(GoSumDbServer.Options.named(NAME).withProxyDir(modules));
                StaticGoProxy upstream = StaticGoProxy.serve(modules);
                ProxyUnderTest cutOff = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cut-off"),
                        ProxyUnderTest.options()
                                // its upstream relays no database and the database's own address is closed
                                .sumdb(sumdb.verifierKey() + " " + ClosedPort.url(), "", false));
                ProxyUnderTest next = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("next"),
                        ProxyUnderTest.options().sumdb(sumdb.verifierKey() + " " + sumdb.url(), "", false))) {
            GoModDownload run = GoModDownload.run(
                    dir.resolve("home"), MODULE + "@v1.0.0", cutOff.url() + "," + next.url(), sumdb.verifierKey());

            assertEquals(0, run.exitCode(), run.output());
            assertTrue(run.output().contains("\"Sum\": \"h1:"), run.output());
            assertTrue(
                    cutOff.storage
                            .lookup(new StorageKey(MODULE + "/@v/v1.0.0.zip"))
                            .isPresent(),
                    "the module itself came from the first proxy");
            assertTrue(
                    next.storage
                            .lookup(new StorageKey("sumdb/" + NAME + "/lookup/" + MODULE + "@v1.0.0"))
                            .isPresent(),
                    "its checksum came through the next one");

            HttpResponse<String> supported = cutOff.getText("/sumdb/" + NAME + "/supported");
            assertEquals(404, supported.statusCode(), supported.body());
            assertTrue(supported.body().contains("unreachable"), supported.body());
        }
    }

    @Test
    void aProxyThatHasVerifiedATreeHeadKeepsServingTheDatabaseWhenItsLinkIsCut() throws Exception {
        Path modules = dir.resolve("modules");
        ProxyDirModules.write(modules, MODULE, "v1.0.0", Map.of("hello.go", "package hello\n"));
        try (GoSumDbServer sumdb =
                        GoSumDbServer.start(GoSumDbServer.Options.named(NAME).withProxyDir(modules));
                ForwardingServer link = ForwardingServer.forward("", sumdb.url());
                StaticGoProxy upstream = StaticGoProxy.serve(modules);
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options().sumdb(sumdb.verifierKey() + " " + link.url(), "", false))) {
            assertEquals(200, proxy.getText("/sumdb/" + NAME + "/supported").statusCode());
            assertEquals(
                    200,
                    proxy.getText("/sumdb/" + NAME + "/lookup/" + MODULE + "@v1.0.0")
                            .statusCode());

            link.setDown(true);
            // even with its kept tree head gone (evicted), what it proved before is still served
            proxy.storage.delete(new StorageKey("sumdb/" + NAME + "/latest"));
            int forwarded = link.forwarded();

            assertEquals(200, proxy.getText("/sumdb/" + NAME + "/supported").statusCode());
            link.setDown(false);
            assertEquals(200, proxy.getText("/sumdb/" + NAME + "/supported").statusCode());
            assertEquals(forwarded, link.forwarded(), "a proxy with a verified tree head says so without asking");
            link.setDown(true);
            assertEquals(
                    200,
                    proxy.getText("/sumdb/" + NAME + "/lookup/" + MODULE + "@v1.0.0")
                            .statusCode());
        }
    }
}
