package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A private checksum database on another port than 443 is named host:port (the go command then reaches it at
 * https://host:port, and through a proxy at /sumdb/host:port/...), and its operator may publish the key's hash in
 * upper case: the go command takes both (note.NewVerifier reads the hash with strconv.ParseUint), and so must the
 * proxy, or MODPROXY_SUMDB with the very key the builds use stops it at start.
 */
class SumDbNamedWithAPortTest {

    private static final String NAME = "sum.corp.example:8443";
    private static final String MODULE = "example.com/hello";
    /** A test key pair made by note.GenerateKey for NAME: the signer key, then the verifier key. */
    private static final String KEYS =
            "PRIVATE+KEY+sum.corp.example:8443+0bba7bd5+ARF1+eAcWxtPLQtq15ktmyhQL1d/Tmes5Lv1iGGPScBw\n"
                    + "sum.corp.example:8443+0bba7bd5+AeM3idRg1L6tsr0Edl0jPtL+kWaGC7bVlXEndzBVJ0mB\n";
    /** Its verifier key as its operator may publish it: the hash's hex letters in upper case. */
    private static final String KEY = "sum.corp.example:8443+0BBA7BD5+AeM3idRg1L6tsr0Edl0jPtL+kWaGC7bVlXEndzBVJ0mB";

    @TempDir
    Path dir;

    @Test
    void aGoCommandVerifiesThroughTheProxyAgainstADatabaseNamedWithAPortWhoseKeyHashIsInUpperCase() throws Exception {
        Path modules = dir.resolve("modules");
        ProxyDirModules.write(modules, MODULE, "v1.0.0", Map.of("hello.go", "package hello\n"));
        try (GoSumDbServer sumdb = GoSumDbServer.start(GoSumDbServer.Options.named(NAME)
                        .withKeyFile(Files.writeString(dir.resolve("signer-key"), KEYS))
                        .withProxyDir(modules));
                ForwardingServer link = ForwardingServer.forward("", sumdb.url());
                StaticGoProxy upstream = StaticGoProxy.serve(modules)) {
            assertEquals(KEYS.lines().toList().get(1), sumdb.verifierKey(), "the database signs with the test key");
            try (ProxyUnderTest proxy = new ProxyUnderTest(
                    upstream.url(),
                    dir.resolve("cache"),
                    ProxyUnderTest.options().sumdb(KEY + " " + link.url(), "", false))) {
                // the go command's direct way to the database, https://sum.corp.example:8443, goes to a closed
                // local port: a lookup that did not come through the proxy fails here instead of on the network
                GoModDownload run = GoModDownload.run(
                        dir.resolve("home"),
                        MODULE + "@v1.0.0",
                        proxy.url(),
                        KEY,
                        Map.of("HTTPS_PROXY", ClosedPort.url(), "NO_PROXY", ""));

                assertEquals(0, run.exitCode(), run.output());
                assertTrue(run.output().contains("\"Sum\": \"h1:"), run.output());
                assertTrue(link.forwarded() > 0, "the proxy asked the database");

                HttpResponse<String> lookup = proxy.getText("/sumdb/" + NAME + "/lookup/" + MODULE + "@v1.0.0");
                assertEquals(200, lookup.statusCode(), lookup.body());
                assertTrue(lookup.body().contains("\n— " + NAME + " "), "signed by " + NAME + ": " + lookup.body());
                assertEquals(
                        404,
                        proxy.getText("/sumdb/sum.corp.example/supported").statusCode(),
                        "the name without its port is another database");
            }
        }
    }
}
