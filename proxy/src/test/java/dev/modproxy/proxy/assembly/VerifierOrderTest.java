package dev.modproxy.proxy.assembly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembly checks an artifact's structure before it asks the checksum database about it: a damaged
 * zip is refused as damaged, never counted as "unverifiable" or let in as "unverified" because the
 * database happened to be out of reach.
 */
class VerifierOrderTest {

    private static final String SUM_GOLANG_ORG_KEY =
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
    private static final String MODULE = "example.com/order";
    private static final String ZIP = "/example.com/order/@v/v1.0.0.zip";
    private static final String MOD = "/example.com/order/@v/v1.0.0.mod";

    @TempDir
    Path dir;

    @Test
    void aDamagedZipIsRefusedAsDamagedBeforeTheChecksumDatabaseIsAsked() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (FakeUpstream upstream = FakeUpstream.start()) {
            upstream.on(MOD.substring(1), FakeUpstream.ok("text/plain", Modules.goMod(MODULE)))
                    .on(ZIP.substring(1), FakeUpstream.ok("application/zip", Modules.damagedZip(MODULE, "v1.0.0")));
            String unreachableDatabase = SUM_GOLANG_ORG_KEY + " " + ClosedPort.url();
            try (ProxyUnderTest proxy = new ProxyUnderTest(
                    upstream.url(),
                    dir.resolve("cache"),
                    ProxyUnderTest.options()
                            .sumdb(unreachableDatabase, "", false)
                            .registry(registry))) {
                assertEquals(
                        200,
                        proxy.get(MOD).statusCode(),
                        "a sound go.mod is let in unverified while the database is out of reach");
                assertEquals(
                        1.0,
                        registry.get("modproxy.sumdb.unverified").counter().count(),
                        "the checksum verifier is in the chain and was asked about the go.mod");

                fetchQuietly(proxy);

                assertTrue(
                        proxy.storage.lookup(new StorageKey(ZIP.substring(1))).isEmpty(),
                        "the damaged zip is not stored");
                assertEquals(
                        1.0,
                        registry.get("modproxy.sumdb.unverified").counter().count(),
                        "the damaged zip never reached the checksum verifier, so it was not let in unverified");
                assertEquals(
                        0.0,
                        registry.get("modproxy.sumdb.rejections")
                                .tag("reason", "unverifiable")
                                .counter()
                                .count(),
                        "nor counted as unverifiable");
            }
        }
    }

    /** A cold zip streams to its first client: a refusal after the download ends the response early. */
    private static void fetchQuietly(ProxyUnderTest proxy) throws InterruptedException {
        try {
            proxy.get(ZIP);
        } catch (IOException e) {
            // the download was cut off: what the client of a refused cold zip sees
        }
    }
}
