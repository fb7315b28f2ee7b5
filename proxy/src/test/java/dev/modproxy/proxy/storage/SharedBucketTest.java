package dev.modproxy.proxy.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.S3Server;
import dev.modproxy.proxy.testing.StallingRelay;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedBucketTest {

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
    void aSecondProxyServesWhatTheFirstCachedWithoutAskingUpstream() throws Exception {
        s3.createBucket("shared");
        FakeUpstream upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/shared/lib", "v1.4.0");
        String zip = "/example.com/shared/lib/@v/v1.4.0.zip";
        try (S3Storage first = s3.storage("shared", "modproxy", work.resolve("a"));
                S3Storage second = s3.storage("shared", "modproxy", work.resolve("b"));
                ProxyUnderTest proxyA = ProxyUnderTest.onStorage(upstream.url(), first);
                ProxyUnderTest proxyB = ProxyUnderTest.onStorage(upstream.url(), second)) {
            GoClient.Result cold =
                    new GoClient(work.resolve("go-a"), proxyA.url()).download("example.com/shared/lib@v1.4.0");
            assertEquals(0, cold.exitCode(), cold.both());
            byte[] cachedZip = proxyA.get(zip).body();
            int upstreamHits = upstream.totalHits();
            upstream.close();

            GoClient.Result warm =
                    new GoClient(work.resolve("go-b"), proxyB.url()).download("example.com/shared/lib@v1.4.0");

            assertEquals(0, warm.exitCode(), warm.both());
            assertTrue(Files.exists(work.resolve("go-b/gomodcache/example.com/shared/lib@v1.4.0/go.mod")));
            assertEquals(upstreamHits, upstream.totalHits(), "the second replica never asked the upstream");
            assertArrayEquals(cachedZip, proxyB.get(zip).body());
            assertTrue(
                    s3.objectNames("shared").contains("modproxy/example.com/shared/lib/@v/v1.4.0.zip"),
                    "objects live under the configured prefix");
        }
    }

    @Test
    void eachProxyCountsTheObjectsUnderItsOwnPrefixOnly() throws Exception {
        s3.createBucket("counted");
        try (S3Storage teamA = s3.storage("counted", "team-a", work.resolve("a"));
                S3Storage teamAb = s3.storage("counted", "team-ab", work.resolve("ab"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> teamA.usageCounted() && teamAb.usageCounted());
            put(teamA, "example.com/a/@v/v1.0.0.mod", "module example.com/a\n");
            put(teamAb, "example.com/b/@v/v1.0.0.mod", "module example.com/b\n");
            put(teamAb, "example.com/b/@v/v1.0.0.info", "{}");
        }
        // a third proxy's objects, and a stranger's beside them, in the same bucket
        try (S3Storage other = s3.storage("counted", "", work.resolve("other"))) {
            put(other, "team-a-old/example.com/c/@v/v1.0.0.mod", "module example.com/c\n");
            put(other, "example.com/d/@v/v1.0.0.mod", "module example.com/d\n");
        }

        try (S3Storage restarted = s3.storage("counted", "team-a", work.resolve("a"))) {
            await().atMost(Duration.ofSeconds(30)).until(restarted::usageCounted);
            assertEquals(new StorageUsage("module example.com/a\n".length(), 1), restarted.usage());
        }
    }

    private static void put(S3Storage storage, String key, String content) throws Exception {
        try (StorageWriter writer = storage.openWriter(new StorageKey(key))) {
            writer.output().write(content.getBytes(StandardCharsets.UTF_8));
            writer.commit();
        }
    }

    /**
     * Proxies on one machine started with the same MODPROXY_STORAGE_DIR (a restart next to a replica still serving, a
     * second instance under systemd) share its s3-staging/. A start used to empty it, so the uploads the running
     * proxy had staged there failed ("cannot store ...: NoSuchFileException") and their modules were not cached.
     */
    @Test
    void aProxyStartingOnTheSameStagingDirectoryLeavesTheUploadsOfARunningOneAlone() throws Exception {
        s3.createBucket("neighbours");
        Path staging = work.resolve("s3-staging");
        byte[] zip = new byte[200 * 1024]; // larger than what an upload reads into memory: sent from its staged file
        java.util.Arrays.fill(zip, (byte) 'z');
        try (S3Storage running = s3.storage("neighbours", "", staging)) {
            try (StorageWriter small = running.openWriter(new StorageKey("example.com/n/@v/v1.0.0.mod"));
                    StorageWriter large = running.openWriter(new StorageKey("example.com/n/@v/v1.0.0.zip"))) {
                small.output().write("module example.com/n\n".getBytes(StandardCharsets.UTF_8));
                large.output().write(zip);

                try (S3Storage starting = s3.storage("neighbours", "", staging)) {
                    small.commit();
                    large.commit();
                    put(starting, "example.com/m/@v/v1.0.0.mod", "module example.com/m\n");
                }
            }
            assertArrayEquals(
                    "module example.com/n\n".getBytes(StandardCharsets.UTF_8),
                    s3.bytesOf("neighbours", "example.com/n/@v/v1.0.0.mod"));
            assertArrayEquals(zip, s3.bytesOf("neighbours", "example.com/n/@v/v1.0.0.zip"));
            assertTrue(s3.objectNames("neighbours").contains("example.com/m/@v/v1.0.0.mod"));
        }
    }

    @Test
    void aProxyKilledMidUploadLeavesNoVisibleObject() throws Exception {
        s3.createBucket("crash");
        String key = "example.com/crash/@v/v1.0.0.zip";
        Path staging = work.resolve("staging");
        try (StallingRelay relay = new StallingRelay(s3.endpoint(), 1 << 20)) {
            var credentials = s3.credentials().resolveCredentials();
            Process uploader = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            UploaderProcess.class.getName(),
                            relay.uri().toString(),
                            "crash",
                            staging.toString(),
                            Integer.toString(8 << 20),
                            credentials.accessKeyId(),
                            credentials.secretAccessKey(),
                            key)
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("uploader.log").toFile())
                    .start();
            try {
                assertTrue(relay.stalled().await(60, TimeUnit.SECONDS), "upload reached the middle of its body");
            } finally {
                uploader.destroyForcibly();
                assertTrue(uploader.waitFor(30, TimeUnit.SECONDS));
            }
            assertTrue(Files.readString(work.resolve("uploader.log")).contains("uploading"));
            assertFalse(Files.readString(work.resolve("uploader.log")).contains("uploaded"));
        }

        // s3proxy's in-memory store may still list its own temporary ("<key>-<uuid>") for the aborted
        // request for a moment; what must hold is that nothing is ever visible under the key itself.
        assertFalse(s3.objectNames("crash").contains(key), "nothing half-written is visible under its key");
        try (S3Storage restarted = s3.storage("crash", "", staging)) {
            assertTrue(restarted.lookup(new StorageKey(key)).isEmpty());
            try (Stream<Path> left = Files.walk(staging)) {
                assertEquals(
                        List.of(ProcessStaging.OWNER_LOCK),
                        left.filter(Files::isRegularFile)
                                .map(p -> p.getFileName().toString())
                                .toList(),
                        "the restarted proxy removed what the killed one staged; only its own lock is left");
            }
        }
    }
}
