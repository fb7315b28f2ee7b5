package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.S3Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Objects changed in the bucket behind the proxy's back (a `.info` overwritten with garbage, a zip cut short) are not
 * served as the module: each was served as it stood, with a year's immutable Cache-Control, until someone removed it.
 */
class AlteredBucketObjectTest {

    static S3Server s3;

    @TempDir
    Path work;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3Server();
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @Test
    void aSmallObjectAlteredInTheBucketIsAMissAndTheUpstreamsCopyTakesItsPlace() throws Exception {
        s3.createBucket("altered-small");
        FakeUpstream upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/small", "v1.0.0");
        String info = "example.com/small/@v/v1.0.0.info";
        String object = "cache/" + info;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (upstream;
                S3Storage first = s3.storage("altered-small", "cache", work.resolve("a"));
                S3Storage second = s3.storage("altered-small", "cache", work.resolve("b"));
                ProxyUnderTest proxyA = ProxyUnderTest.onStorage(upstream.url(), first);
                ProxyUnderTest proxyB = onBucket(upstream, second, registry)) {
            assertEquals(200, proxyA.get("/" + info).statusCode());
            byte[] good = s3.bytesOf("altered-small", object);
            assertEquals(1, upstream.hits(info));

            s3.alter("altered-small", object, "not json at all\n".getBytes(StandardCharsets.UTF_8), true);
            HttpResponse<String> answer = proxyB.getText("/" + info);

            assertEquals(200, answer.statusCode());
            assertEquals(Modules.info("v1.0.0"), answer.body(), "the upstream's .info, not the bucket's garbage");
            assertEquals(2, upstream.hits(info), "fetched again");
            assertArrayEquals(good, s3.bytesOf("altered-small", object), "the fresh copy replaced the damaged one");
            assertEquals(
                    1.0,
                    registry.get("modproxy.storage.read.failures").counter().count());
            assertEquals(
                    0.0,
                    registry.get("modproxy.storage.circuit.open").gauge().value(),
                    "the bucket answered: a damaged object is not a failing bucket");

            assertEquals(Modules.info("v1.0.0"), proxyB.getText("/" + info).body());
            assertEquals(2, upstream.hits(info), "the replaced object is a hit");
        }
    }

    @Test
    void aLargeZipCutShortInTheBucketFailsItsDownloadThenIsFetchedAgain() throws Exception {
        s3.createBucket("altered-large");
        FakeUpstream upstream = FakeUpstream.start();
        byte[] zip = BigModule.zip("example.com/large", "v1.0.0", 1 << 20);
        upstream.on("example.com/large/@v/v1.0.0.zip", FakeUpstream.ok("application/zip", zip));
        String path = "example.com/large/@v/v1.0.0.zip";
        String object = "cache/" + path;
        try (upstream;
                S3Storage first = s3.storage("altered-large", "cache", work.resolve("a"));
                S3Storage second = s3.storage("altered-large", "cache", work.resolve("b"));
                ProxyUnderTest proxyA = ProxyUnderTest.onStorage(upstream.url(), first);
                ProxyUnderTest proxyB = onBucket(upstream, second, new SimpleMeterRegistry())) {
            assertArrayEquals(zip, proxyA.get("/" + path).body());
            assertArrayEquals(zip, s3.bytesOf("altered-large", object));

            s3.alter("altered-large", object, Arrays.copyOf(zip, zip.length / 2), true);

            // the bucket says the object has half the size: without the check those bytes went out as a complete 200
            assertThrows(IOException.class, () -> proxyB.get("/" + path), "the download fails, not completes");
            assertFalse(
                    s3.objectNames("altered-large").contains(object), "the damaged object is removed from the bucket");
            assertEquals(1, upstream.hits(path));

            assertArrayEquals(zip, proxyB.get("/" + path).body(), "the next request gets the upstream's zip");
            assertEquals(2, upstream.hits(path));
            assertArrayEquals(zip, s3.bytesOf("altered-large", object), "and it is stored again");
        }
    }

    @Test
    void aSlowReaderOfADamagedZipLeavesTheGoodCopyAnotherReplicaStoredMeanwhile() throws Exception {
        s3.createBucket("altered-replaced");
        byte[] zip = BigModule.zip("example.com/large", "v1.0.0", 1 << 20);
        StorageKey key = new StorageKey("example.com/large/@v/v1.0.0.zip");
        String object = "cache/" + key.value();
        try (S3Storage first = s3.storage("altered-replaced", "cache", work.resolve("a"));
                S3Storage second = s3.storage("altered-replaced", "cache", work.resolve("b"))) {
            put(first, key, zip);
            s3.alter("altered-replaced", object, Arrays.copyOf(zip, zip.length / 2), true);

            StoredObject damaged = second.lookup(key).orElseThrow();
            try (InputStream in = damaged.open()) {
                in.readNBytes(1024);
                put(first, key, zip); // the other replica found it damaged too and stored the upstream's copy
                assertThrows(UnusableEntryException.class, in::readAllBytes, "the damaged bytes are not served");
            }
            assertArrayEquals(zip, s3.bytesOf("altered-replaced", object), "the good copy stored meanwhile stays");
        }
    }

    private static void put(S3Storage storage, StorageKey key, byte[] content) throws IOException {
        try (StorageWriter writer = storage.openWriter(key)) {
            writer.output().write(content);
            writer.commit().release();
        }
    }

    @Test
    void anObjectWithoutTheStoredHashIsServedAsItIs() throws Exception {
        FakeUpstream upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/old", "v1.0.0");
        String mod = "example.com/old/@v/v1.0.0.mod";
        String written = "module example.com/old\n\n// stored by an earlier version\n";
        s3.createBucket("unhashed");
        // as an earlier version of the proxy, or another tool, stored it: no hash to check against
        s3.alter("unhashed", "cache/" + mod, written.getBytes(StandardCharsets.UTF_8), false);
        try (upstream;
                S3Storage bucket = s3.storage("unhashed", "cache", work.resolve("a"));
                ProxyUnderTest proxy = onBucket(upstream, bucket, new SimpleMeterRegistry())) {
            HttpResponse<String> answer = proxy.getText("/" + mod);

            assertEquals(200, answer.statusCode());
            assertEquals(written, answer.body());
            assertEquals(0, upstream.hits(mod));
            assertTrue(s3.objectNames("unhashed").contains("cache/" + mod));
        }
    }

    /** The proxy over the bucket with the layers it has in production: the circuit breaker and the pass-through. */
    private ProxyUnderTest onBucket(FakeUpstream upstream, S3Storage bucket, SimpleMeterRegistry registry)
            throws Exception {
        return new ProxyUnderTest(
                upstream.url(),
                work.resolve("root-" + System.nanoTime()),
                ProxyUnderTest.options()
                        .registry(registry)
                        .storage((s, m) -> ProxyAssembly.bucketLayers(bucket, s, m)));
    }
}
