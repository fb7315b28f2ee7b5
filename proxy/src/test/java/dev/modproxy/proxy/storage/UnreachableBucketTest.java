package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.S3Server;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bucket that stops answering (connection refused) while the proxy runs: builds still get their modules. */
class UnreachableBucketTest {

    @TempDir
    Path work;

    @Test
    void anUncachedModuleIsServedFromTheUpstreamWhileTheBucketRefusesConnections() throws Exception {
        AtomicInteger readFailures = new AtomicInteger();
        S3Server s3 = new S3Server();
        s3.createBucket("gone");
        try (FakeUpstream upstream = FakeUpstream.start();
                S3Storage bucket = s3.storage("gone", "p1", work.resolve("staging"))) {
            byte[] moduleZip = Modules.zip("example.com/a", "v1.0.0");
            Modules.publish(upstream, "example.com/a", "v1.0.0");
            upstream.on("example.com/a/@v/v1.0.0.zip", FakeUpstream.ok("application/zip", moduleZip));
            upstream.otherwise(FakeUpstream.status(404, "not found"));
            Storage storage = new PassThroughStorage(
                    bucket, work.resolve("spill"), () -> {}, readFailures::incrementAndGet, Clock.systemUTC(), 1 << 30);
            s3.close(); // every request to the bucket is now refused
            try (ProxyUnderTest proxy = ProxyUnderTest.onStorage(upstream.url(), storage)) {
                var info = proxy.getText("/example.com/a/@v/v1.0.0.info");
                var zip = proxy.get("/example.com/a/@v/v1.0.0.zip");
                var probe = proxy.getText("/example.com/@v/list"); // the go command probes path prefixes

                assertEquals(200, info.statusCode(), info.body());
                assertEquals(Modules.info("v1.0.0"), info.body());
                assertEquals(200, zip.statusCode(), new String(zip.body()));
                assertArrayEquals(moduleZip, zip.body());
                assertEquals(404, probe.statusCode(), probe.body());
                assertTrue(readFailures.get() >= 3, "each failed lookup is counted: " + readFailures.get());
            }
        }
    }
}
