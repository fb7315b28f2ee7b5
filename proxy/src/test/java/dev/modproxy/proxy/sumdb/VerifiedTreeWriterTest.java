package dev.modproxy.proxy.sumdb;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.ForwardingStorageWriter;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.upstream.EgressProxy;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The newest verified tree head is written to storage off the verifier's lock: proofs that see newer trees do not
 * wait for a slow bucket, the trees seen during one write are written as one (the newest), and an older tree is never
 * written over a newer one.
 */
class VerifiedTreeWriterTest {

    private static final String NAME = "sum.tree.test";
    private static final StorageKey VERIFIED_TREE = new StorageKey("sumdb/" + NAME + "/verified-tree");

    @TempDir
    Path dir;

    private GoSumDbServer server;
    private HeldTreeWrites storage;

    @AfterEach
    void stop() throws Exception {
        if (storage != null) {
            storage.release.countDown();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void proofsThatSeeNewerTreesDoNotWaitForTheTreesWriteAndTheNewestIsWrittenLast() throws Exception {
        Path proxyDir = dir.resolve("proxy");
        int modules = 6;
        for (int i = 0; i < modules; i++) {
            ProxyDirModules.write(proxyDir, "example.com/m" + i, "v1.0.0", Map.of("m.go", "package m\n"));
        }
        // the log starts empty and each lookup of a module it lacks adds the module: every proof sees a newer tree
        server = GoSumDbServer.start(GoSumDbServer.Options.named(NAME).withProxyDir(proxyDir));
        storage = new HeldTreeWrites(new LocalDiskStorage(dir.resolve("cache")));
        ChecksumDatabase database = database(server, storage);
        SumDbVerifier verifier = database.verifierFor("example.com/m0").orElseThrow();

        CompletableFuture<Void> proofs = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < modules; i++) {
                try {
                    verifier.provenHash("example.com/m" + i, "v1.0.0", RequestKind.ZIP);
                } catch (SumDbException e) {
                    throw new IllegalStateException(e);
                }
            }
        });

        // every write of the tree is held until the proofs are done: proofs that waited for one would never be
        await().atMost(Duration.ofSeconds(20)).until(proofs::isDone);
        proofs.join(); // a failed proof fails here
        assertEquals(modules, verifier.latestTree().orElseThrow().size());
        storage.release.countDown();
        database.close(); // waits for the last write

        List<Long> written = writtenSizes();
        assertEquals((long) modules, written.get(written.size() - 1), "the newest tree is written last: " + written);
        assertTrue(
                written.size() <= 2,
                "the trees verified while the first write was held are written as one, the newest: " + written);
        for (int i = 1; i < written.size(); i++) {
            assertTrue(written.get(i - 1) < written.get(i), "each write is of a newer tree: " + written);
        }
        assertEquals(modules, treeSize(storage.stored(VERIFIED_TREE)));
    }

    @Test
    void treesHandedOverDuringAWriteAreWrittenAsTheNewestAndAnOlderOneNeverOverANewer() throws Exception {
        storage = new HeldTreeWrites(new LocalDiskStorage(dir.resolve("cache")));
        VerifiedTreeWriter writer = new VerifiedTreeWriter(storage, VERIFIED_TREE);

        writer.latestTreeVerified(tree(5), note(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> storage.held.get() == 1);
        writer.latestTreeVerified(tree(7), note(7));
        writer.latestTreeVerified(tree(3), note(3)); // older than the tree being written
        writer.latestTreeVerified(tree(9), note(9));
        writer.latestTreeVerified(tree(8), note(8)); // older than the tree waiting
        storage.release.countDown();
        writer.close();

        assertEquals(List.of(5L, 9L), writtenSizes(), "the tree being written, then the newest handed over");
        assertEquals(9L, treeSize(storage.stored(VERIFIED_TREE)));
    }

    /**
     * The database of server at its own URL, no upstream proxy, its newest verified tree kept in (and restored from)
     * storage, as after a restart; SumDbForkTest builds its databases so too.
     */
    static ChecksumDatabase database(GoSumDbServer server, Storage storage) throws Exception {
        UpstreamChain.Settings connection =
                new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(5), 5, Duration.ofSeconds(30));
        return new ChecksumDatabase(
                GoSumDbSetting.parse(server.verifierKey() + " " + server.url()),
                ModulePathPatterns.none(),
                storage,
                UpstreamChain.parse("direct", connection, UpstreamListener.NONE),
                connection,
                Duration.ofMinutes(1),
                EgressProxy.of(Map.of()),
                Duration.ofMinutes(1));
    }

    /** The size of each tree written, in the order written. */
    private List<Long> writtenSizes() {
        return storage.committed.stream().map(VerifiedTreeWriterTest::treeSize).toList();
    }

    private static TreeHead tree(long size) {
        return new TreeHead(size, LogHash.ofRecord(Long.toString(size).getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] note(long size) {
        return ("go.sum database tree\n" + size + "\n" + tree(size).hash() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static long treeSize(byte[] note) {
        try {
            return TreeHead.parse(new String(note, StandardCharsets.UTF_8)).size();
        } catch (SumDbException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A local disk whose writes of the verified tree head are held at commit until released (a bucket that takes
     * its time), and that records what each of those writes committed, in order.
     */
    private static final class HeldTreeWrites extends ForwardingStorage {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger held = new AtomicInteger();
        final List<byte[]> committed = new CopyOnWriteArrayList<>();

        HeldTreeWrites(Storage delegate) {
            super(delegate);
        }

        byte[] stored(StorageKey key) throws IOException {
            StoredObject object = delegate.lookup(key).orElseThrow();
            try (InputStream in = object.open()) {
                return in.readAllBytes();
            } finally {
                object.release();
            }
        }

        @Override
        public StorageWriter openWriter(StorageKey key) throws IOException {
            StorageWriter writer = delegate.openWriter(key);
            if (!key.equals(VERIFIED_TREE)) {
                return writer;
            }
            return new ForwardingStorageWriter(writer) {
                @Override
                public StoredObject commit() throws IOException {
                    held.incrementAndGet();
                    try {
                        if (!release.await(1, TimeUnit.MINUTES)) {
                            throw new IOException("never released");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException();
                    }
                    writer.output().flush();
                    byte[] content = Files.readAllBytes(writer.stagedFile());
                    StoredObject stored = writer.commit();
                    committed.add(content);
                    return stored;
                }
            };
        }
    }
}
