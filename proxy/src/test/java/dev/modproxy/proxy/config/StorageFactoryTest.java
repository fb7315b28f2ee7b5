package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.S3Storage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.S3Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MODPROXY_* settings as the running proxy reads them, turned into a storage. */
class StorageFactoryTest {

    @TempDir
    Path dir;

    private Storage create(Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>(settings);
        all.put("modproxy.storage-dir", dir.resolve("cache").toString());
        all.put("modproxy.pass-through-dir", dir.resolve("spill").toString());
        return ProxyAssembly.storage(ProxyBeans.settings(Configs.of(all)), new ProxyMetrics(new SimpleMeterRegistry()));
    }

    @Test
    void s3SettingsReachTheBucket() throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("team-cache");
            var credentials = s3.credentials().resolveCredentials();
            System.setProperty("aws.accessKeyId", credentials.accessKeyId());
            System.setProperty("aws.secretAccessKey", credentials.secretAccessKey());
            try {
                Storage storage = create(Map.of(
                        "modproxy.storage-type",
                        "s3",
                        "modproxy.s3.endpoint",
                        s3.endpoint().toString(),
                        "modproxy.s3.bucket",
                        "team-cache",
                        "modproxy.s3.prefix",
                        "ci",
                        "modproxy.s3.path-style",
                        "true"));
                try (StorageWriter writer = storage.openWriter(new StorageKey("example.com/a/@v/v1.0.0.mod"))) {
                    writer.output().write("module example.com/a\n".getBytes(StandardCharsets.UTF_8));
                    writer.commit();
                }
                assertEquals(java.util.List.of("ci/example.com/a/@v/v1.0.0.mod"), s3.objectNames("team-cache"));
                ((AutoCloseable) storage).close();
            } finally {
                System.clearProperty("aws.accessKeyId");
                System.clearProperty("aws.secretAccessKey");
            }
        }
    }

    @Test
    void anS3EndpointIsShownWithoutItsPassword() throws Exception {
        String endpoint = ClosedPort.url().replace("http://", "http://ak:s3cret@");
        System.setProperty("aws.accessKeyId", "modproxy-test");
        System.setProperty("aws.secretAccessKey", "modproxy-test-secret");
        try {
            // an unreachable bucket no longer stops the start: the background count logs why, naming the endpoint
            List<String> logged;
            try (CapturedLog s3Log = CapturedLog.of(S3Storage.class)) {
                logged = s3Log.lines();
                create(Map.of(
                        "modproxy.storage-type", "s3",
                        "modproxy.s3.endpoint", endpoint,
                        "modproxy.s3.bucket", "team-cache"));
                Awaitility.await()
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> logged.stream().anyMatch(line -> line.contains("cannot list")));
            }
            assertTrue(
                    logged.stream().anyMatch(line -> line.contains("s3://team-cache/ at http://ak:xxxxx@")),
                    logged::toString);
            // the failed call says what it did, in words: a bucket without a prefix left "cannot list  in s3://..."
            assertTrue(
                    logged.stream().anyMatch(line -> line.contains("cannot list the objects in s3://team-cache/ at")),
                    logged::toString);
            assertFalse(logged.stream().anyMatch(line -> line.contains("s3cret")), logged::toString);

            var notAUrl = assertThrows(
                    IllegalArgumentException.class,
                    () -> create(Map.of(
                            "modproxy.storage-type", "s3",
                            "modproxy.s3.endpoint", "http://ak:s3 cret@minio:9000",
                            "modproxy.s3.bucket", "team-cache")));
            assertTrue(
                    notAUrl.getMessage().startsWith("MODPROXY_S3_ENDPOINT \"http://ak:xxxxx@minio:9000\" is not a URL"),
                    notAUrl::getMessage);
            for (Throwable e = notAUrl; e != null; e = e.getCause()) {
                assertFalse(String.valueOf(e.getMessage()).contains("cret"), e::getMessage);
            }
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void anS3EndpointWithoutItsSchemeIsNamedWithAnExample() {
        for (String endpoint : List.of("minio:9000", "minio.storage.svc", "ftp://minio:9000")) {
            var e = assertThrows(
                    IllegalArgumentException.class,
                    () -> create(Map.of(
                            "modproxy.storage-type", "s3",
                            "modproxy.s3.endpoint", endpoint,
                            "modproxy.s3.bucket", "team-cache")));
            assertEquals(
                    "MODPROXY_S3_ENDPOINT \"" + endpoint + "\" is not an http:// or https:// URL with a host: write it"
                            + " with its scheme, e.g. http://minio:9000 (or unset it for AWS S3 itself)",
                    e.getMessage());
        }
    }

    @Test
    void diskBoundsSetWithS3AreNamedInOneWarning() throws Exception {
        CapturedLog assemblyLog = CapturedLog.of(ProxyAssembly.class);
        List<String> warnings = assemblyLog.warnings();
        System.setProperty("aws.accessKeyId", "modproxy-test");
        System.setProperty("aws.secretAccessKey", "modproxy-test-secret");
        try {
            var s3 = Map.of(
                    "modproxy.storage-type", "s3",
                    "modproxy.s3.endpoint", ClosedPort.url(),
                    "modproxy.s3.bucket", "team-cache");
            ((AutoCloseable) create(s3)).close();
            assertEquals(List.of(), warnings, "nothing to warn of with the defaults");

            Map<String, String> bounded = new HashMap<>(s3);
            bounded.put("modproxy.max-size", "10Gi");
            bounded.put("modproxy.eviction.high-watermark", "80%");
            bounded.put("modproxy.eviction.low-watermark", "60%");
            ((AutoCloseable) create(bounded)).close();
        } finally {
            assemblyLog.close();
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
        assertEquals(1, warnings.size(), warnings::toString);
        assertTrue(
                warnings.get(0)
                        .startsWith("modproxy: MODPROXY_MAX_SIZE, MODPROXY_EVICTION_HIGH_WATERMARK,"
                                + " MODPROXY_EVICTION_LOW_WATERMARK ignored with MODPROXY_STORAGE_TYPE=s3"),
                warnings::toString);
        assertTrue(warnings.get(0).contains("the bucket's lifecycle rules"), warnings::toString);
    }

    /** A bucket set without MODPROXY_STORAGE_TYPE=s3 was ignored without a word: the cache filled the volume. */
    @Test
    void bucketSettingsSetWithDiskAreNamedInOneWarning() throws Exception {
        CapturedLog assemblyLog = CapturedLog.of(ProxyAssembly.class);
        List<String> warnings = assemblyLog.warnings();
        try {
            ((AutoCloseable) create(Map.of())).close();
            assertEquals(List.of(), warnings, "nothing to warn of with the defaults");

            ((AutoCloseable) create(Map.of(
                            "modproxy.s3.endpoint", "http://minio.storage:9000",
                            "modproxy.s3.bucket", "team-cache",
                            "modproxy.s3.region", "eu-west-1")))
                    .close();
        } finally {
            assemblyLog.close();
        }
        assertEquals(1, warnings.size(), warnings::toString);
        assertEquals(
                "modproxy: MODPROXY_S3_ENDPOINT, MODPROXY_S3_BUCKET, MODPROXY_S3_REGION ignored with"
                        + " MODPROXY_STORAGE_TYPE=disk (the default): the cache is kept in " + dir.resolve("cache")
                        + "; set MODPROXY_STORAGE_TYPE=s3 to keep it in the bucket",
                warnings.get(0));
    }

    @Test
    void anUnknownStorageTypeIsNamedInTheError() {
        var e = assertThrows(IllegalArgumentException.class, () -> create(Map.of("modproxy.storage-type", "nfs")));
        assertTrue(e.getMessage().contains("MODPROXY_STORAGE_TYPE must be disk or s3, got 'nfs'"), e.getMessage());
    }

    @Test
    void s3WithoutABucketIsNamedInTheError() {
        var e = assertThrows(IllegalArgumentException.class, () -> create(Map.of("modproxy.storage-type", "s3")));
        assertTrue(e.getMessage().contains("MODPROXY_S3_BUCKET"), e.getMessage());
    }

    @Test
    void badWatermarksAreNamedInTheError() {
        var e = assertThrows(
                IllegalArgumentException.class, () -> create(Map.of("modproxy.eviction.low-watermark", "95%")));
        assertTrue(e.getMessage().contains("0 < low < high"), e.getMessage());
    }

    @Test
    void theDiskDefaultIsBoundedAndCachesWrites() throws Exception {
        Storage storage = create(Map.of("modproxy.max-size", "10Mi"));
        try (StorageWriter writer = storage.openWriter(new StorageKey("example.com/a/@v/list"))) {
            writer.output().write("v1.0.0\n".getBytes(StandardCharsets.UTF_8));
            writer.commit();
        }
        assertTrue(
                storage.describe()
                        .endsWith(
                                "(evicts above 90% (down to 75%) of the volume or of MODPROXY_MAX_SIZE 10485760 bytes)"),
                storage.describe());
        assertEquals(1, storage.usage().entries());
        ((AutoCloseable) storage).close();
    }
}
