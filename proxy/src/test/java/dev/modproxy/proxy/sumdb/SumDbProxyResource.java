package dev.modproxy.proxy.sumdb;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Go reference checksum database over the genuine modules, and a static upstream proxy that
 * serves those plus a tampered zip and a module the database does not know.
 */
public class SumDbProxyResource implements QuarkusTestResourceLifecycleManager {

    static final String NAME = "sum.modproxy.test";

    static Path work;
    static Path storage;
    static GoSumDbServer sumdb;
    /** The path from the proxy to the database; a test can cut it. */
    static ForwardingServer databaseLink;

    private StaticGoProxy upstream;

    @Override
    public Map<String, String> start() {
        try {
            work = Files.createTempDirectory("modproxy-sumdb-e2e");
            Path genuine = work.resolve("genuine");
            Path served = work.resolve("upstream");
            for (Path dir : new Path[] {genuine, served}) {
                ProxyDirModules.write(
                        dir,
                        "example.com/hello",
                        "v1.0.0",
                        Map.of("hello.go", "package hello\n\nconst Greeting = \"hi\"\n"));
                ProxyDirModules.write(dir, "example.com/Upper/lib", "v0.2.0", Map.of("lib.go", "package lib\n"));
            }
            ProxyDirModules.write(genuine, "example.com/tampered", "v1.0.0", Map.of("t.go", "package t\n"));
            ProxyDirModules.write(
                    served,
                    "example.com/tampered",
                    "v1.0.0",
                    Map.of("t.go", "package t\n\nfunc init() { panic(\"owned\") }\n"));
            ProxyDirModules.write(served, "example.com/unlisted", "v1.0.0", Map.of("u.go", "package u\n"));
            ProxyDirModules.write(served, "example.com/unknown", "v1.0.0", Map.of("k.go", "package k\n"));
            sumdb = GoSumDbServer.start(GoSumDbServer.Options.named(NAME).withProxyDir(genuine));
            databaseLink = ForwardingServer.forward("", sumdb.url());
            upstream = StaticGoProxy.serve(served);
            storage = work.resolve("cache");
            return Map.of(
                    "modproxy.upstream",
                    upstream.url(),
                    "modproxy.sumdb",
                    sumdb.verifierKey() + " " + databaseLink.url(),
                    "modproxy.nosumdb",
                    "example.com/unlisted",
                    "modproxy.private",
                    "example.com/secret",
                    "modproxy.storage-dir",
                    storage.toString(),
                    "quarkus.http.test-port",
                    "0");
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the checksum database fixtures", e);
        }
    }

    @Override
    public void stop() {
        try {
            if (upstream != null) {
                upstream.close();
            }
            if (databaseLink != null) {
                databaseLink.close();
            }
            if (sumdb != null) {
                sumdb.close();
            }
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
