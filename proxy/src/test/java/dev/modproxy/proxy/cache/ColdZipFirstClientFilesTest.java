package dev.modproxy.proxy.cache;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.FullDisk;
import dev.modproxy.proxy.testing.OpenFiles;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a cold zip's first client leaves open when the storage fails or moves the staging mid-stream: no file of the
 * cache stays open (a deleted staged file held open keeps its disk space taken).
 */
class ColdZipFirstClientFilesTest {

    @TempDir
    Path dir;

    /**
     * The storage fails while the zip is being stored (a full disk at commit, and no pass-through to take it): the
     * exception leaves ModuleCache.fetch without tee.finish or tee.withdraw. The first client, fast, has had every
     * released byte: its sender is idle, holding the staged file open. Nothing ever closes it: the fd (and, once the
     * writer deletes the staged file, its disk space) is kept until the proxy stops.
     */
    @Test
    void aStorageFailureAfterBytesWentOutLeavesNoStagedFileOpen() throws Exception {
        Path root = dir.resolve("cache");
        String zip = "example.com/cold0/@v/v1.0.0.zip";
        byte[] bytes = BigModule.zip("example.com/cold0", "v1.0.0", 2 << 20);
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        root,
                        ProxyUnderTest.options()
                                .storage((s, m) -> new FullDisk(
                                        new LocalDiskStorage(root), Long.MAX_VALUE, FullDisk.FailAt.COMMIT)))) {
            upstream.on(zip, FakeUpstream.ok("application/zip", bytes));
            HttpRequest get = HttpRequest.newBuilder(URI.create(proxy.url() + "/" + zip))
                    .timeout(Duration.ofSeconds(20))
                    .build();
            boolean whole;
            try {
                HttpResponse<byte[]> answer = proxy.client().send(get, HttpResponse.BodyHandlers.ofByteArray());
                whole = answer.statusCode() == 200 && answer.body().length == bytes.length;
            } catch (IOException e) {
                whole = false; // reset: right, the zip was not stored
            }
            assertTrue(!whole, "a complete body for a zip the cache could not store");
            try {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> OpenFiles.under(root).isEmpty());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("files of the cache left open: " + OpenFiles.under(root), e);
            }
        }
    }

    /**
     * The production layering: a full disk under the pass-through, whose directory is over its bound too. The
     * write that finds both full throws out of ModuleCache.fetch (cache storage failed) after bytes went out: the
     * first client's sender keeps the full disk's deleted staged file open for good.
     */
    @Test
    void aFullDiskAndAFullPassThroughAfterBytesWentOutLeaveNoFileOpen() throws Exception {
        Path root = dir.resolve("cache");
        Path spill = dir.resolve("spill");
        String zip = "example.com/cold0/@v/v1.0.0.zip";
        byte[] bytes = BigModule.zip("example.com/cold0", "v1.0.0", 4 << 20);
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        root,
                        ProxyUnderTest.options()
                                .storage((s, m) -> new dev.modproxy.proxy.storage.PassThroughStorage(
                                        new FullDisk(new LocalDiskStorage(root), 1 << 20, FullDisk.FailAt.WRITE),
                                        spill,
                                        () -> {},
                                        java.time.Clock.systemUTC(),
                                        512 * 1024)))) {
            upstream.on(zip, FakeUpstream.ok("application/zip", bytes));
            boolean whole;
            try {
                HttpResponse<byte[]> answer = proxy.client()
                        .send(
                                HttpRequest.newBuilder(URI.create(proxy.url() + "/" + zip))
                                        .timeout(Duration.ofSeconds(20))
                                        .build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                System.out.println("r30b full+full: " + answer.statusCode() + " " + answer.body().length);
                whole = answer.statusCode() == 200 && answer.body().length == bytes.length;
            } catch (IOException e) {
                System.out.println("r30b full+full: " + e);
                whole = false;
            }
            assertTrue(!whole, "a complete body for a zip nothing could keep");
            try {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> OpenFiles.under(root).isEmpty()
                                && OpenFiles.under(spill).isEmpty());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("files left open: " + OpenFiles.under(root) + " " + OpenFiles.under(spill), e);
            }
        }
    }

    /**
     * A full disk moves the staging to the pass-through directory mid-stream (offer with a new file): the staged
     * file on the full disk is deleted, but the sender keeps its channel in {@code replaced} until the whole
     * response is over, so a slow first client pins the full disk's space (a deleted file held open) for as long
     * as it reads, though no step reads that file any more.
     */
    @Test
    void aStagingMovedToThePassThroughDirectoryDoesNotPinTheFullDisksFileWhileTheClientReads() throws Exception {
        Path root = dir.resolve("cache");
        Path spill = dir.resolve("spill");
        String zip = "example.com/cold0/@v/v1.0.0.zip";
        byte[] bytes = BigModule.zip("example.com/cold0", "v1.0.0", 4 << 20);
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        root,
                        ProxyUnderTest.options()
                                .sendBufferSize(64 * 1024)
                                .stallLimit(Duration.ofMinutes(2))
                                .storage((s, m) -> new dev.modproxy.proxy.storage.PassThroughStorage(
                                        new FullDisk(new LocalDiskStorage(root), 1 << 20, FullDisk.FailAt.WRITE),
                                        spill,
                                        () -> {},
                                        java.time.Clock.systemUTC())))) {
            upstream.on(zip, FakeUpstream.ok("application/zip", bytes));
            try (dev.modproxy.proxy.testing.SlowClient client =
                    new dev.modproxy.proxy.testing.SlowClient(proxy.port(), "/" + zip)) {
                assertEquals(200, client.status);
                client.read(64 * 1024);
                try {
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> OpenFiles.under(root).isEmpty()
                                    && !OpenFiles.under(spill).isEmpty());
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError(
                            "while the first client reads from the pass-through file, files of the full disk held: "
                                    + OpenFiles.under(root),
                            e);
                }
                assertArrayEquals(bytes, client.readRest());
            }
        }
    }
}
