package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.upstream.EgressProxy;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MODPROXY_SUMDB changed to another key of a database of the same name (a private database set up again): what the
 * cache kept under the old key is no answer under the new one. A go command with the new key refuses a lookup signed
 * with the old one ("note has no verifiable signatures"), and the proxy served the kept lookups as immutable, and the
 * kept tree head until its TTL ran out, even stale while the new database was out of reach.
 */
class SumDbKeyChangeTest {

    private static final String NAME = "sum.rekeyed.test";
    private static final String LOOKUP = "lookup/example.com/m1@v1.0.0";

    @TempDir
    Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();
    /** One storage for the cache before and after its restart, as one volume would be. */
    private LocalDiskStorage storage;

    @AfterEach
    void stop() throws Exception {
        List<AutoCloseable> lastFirst = new ArrayList<>(running);
        Collections.reverse(lastFirst);
        for (AutoCloseable c : lastFirst) {
            c.close();
        }
    }

    /** A database named NAME with its own key, holding first (so its log differs from another's) then m0..m9. */
    private GoSumDbServer database(String keyFile, String first) throws Exception {
        List<String> lines =
                new ArrayList<>(List.of(first + " v1.0.0 h1:" + "C".repeat(43) + "= h1:" + "D".repeat(43) + "="));
        for (int i = 0; i < 10; i++) {
            lines.add("example.com/m" + i + " v1.0.0 h1:" + "A".repeat(43) + "= h1:" + "B".repeat(43) + "=");
        }
        Path records = Files.write(dir.resolve(keyFile + ".records"), lines);
        GoSumDbServer server = GoSumDbServer.start(
                GoSumDbServer.Options.named(NAME).withRecords(records).withKeyFile(dir.resolve(keyFile)));
        running.add(server);
        return server;
    }

    /** The cache's checksum database on one storage, reaching the database through link (no upstream serves it). */
    private ChecksumDatabase checksumDatabase(GoSumDbServer server, ForwardingServer link) throws Exception {
        StaticGoProxy upstream = StaticGoProxy.serve(Files.createDirectories(dir.resolve("empty")));
        // (a plain upstream proxy: it serves no checksum database, so the database's own URL is asked)
        running.add(upstream);
        UpstreamChain.Settings connection =
                new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(5), 5, Duration.ofSeconds(30));
        ChecksumDatabase database = new ChecksumDatabase(
                GoSumDbSetting.parse(server.verifierKey() + " " + link.url()),
                ModulePathPatterns.none(),
                storage(),
                UpstreamChain.parse(upstream.url(), connection, UpstreamListener.NONE),
                connection,
                Duration.ofMinutes(5), // the kept head is fresh throughout: only its key can make it no answer
                EgressProxy.of(Map.of()),
                Duration.ofMinutes(1));
        running.add(database);
        return database;
    }

    private LocalDiskStorage storage() throws Exception {
        if (storage == null) {
            storage = new LocalDiskStorage(dir.resolve("cache"));
        }
        return storage;
    }

    private ForwardingServer link(GoSumDbServer server) throws Exception {
        ForwardingServer link = ForwardingServer.forward("", server.url());
        running.add(link);
        return link;
    }

    private static byte[] serve(ChecksumDatabase database, String path) throws SumDbException {
        return database.cache().orElseThrow().serve(SumDbPath.parse(path)).bytes();
    }

    /** Throws unless the lookup answer's tree head is signed with key, as the go command checks it. */
    private static void assertSignedWith(VerifierKey key, byte[] lookup) throws SumDbException {
        SignedNote.verifiedText(LookupAnswer.parse(lookup).signedTree(), key);
    }

    @Test
    void piecesKeptUnderAnotherKeyOfTheSameDatabaseNameAreProvenAgainNotServed() throws Exception {
        GoSumDbServer before = database("old.key", "example.com/first");
        VerifierKey oldKey = VerifierKey.parse(before.verifierKey());
        ChecksumDatabase old = checksumDatabase(before, link(before));
        byte[] oldLookup = serve(old, LOOKUP);
        byte[] oldHead = serve(old, "latest");
        serve(old, "lookup/example.com/m2@v1.0.0");
        assertSignedWith(oldKey, oldLookup);
        old.close(); // writes its verified tree head

        GoSumDbServer after = database("new.key", "example.com/other-first");
        VerifierKey newKey = VerifierKey.parse(after.verifierKey());
        assertEquals(oldKey.name(), newKey.name());
        assertNotEquals(oldKey.toString(), newKey.toString());
        ForwardingServer newLink = link(after);
        ChecksumDatabase rekeyed = checksumDatabase(after, newLink);

        byte[] lookup = serve(rekeyed, LOOKUP);
        assertFalse(Arrays.equals(oldLookup, lookup), "the lookup kept under the old key is not served");
        assertSignedWith(newKey, lookup); // what a go command with the new key accepts
        byte[] head = serve(rekeyed, "latest");
        assertFalse(Arrays.equals(oldHead, head), "nor the tree head, fresh as it is");
        TreeHead.parse(SignedNote.verifiedText(head, newKey));
        assertArrayEquals(lookup, serve(rekeyed, LOOKUP), "proven with the new key, it is kept and served again");

        // the new database out of reach: a piece kept under the old key is still no answer, not even a stale one
        newLink.setDown(true);
        SumDbException refused =
                assertThrows(SumDbException.class, () -> serve(rekeyed, "lookup/example.com/m2@v1.0.0"));
        assertTrue(refused.getMessage().contains("unreachable"), refused.getMessage());
        // and the head served is the one proven with the new key, stale
        TreeHead.parse(SignedNote.verifiedText(serve(rekeyed, "latest"), newKey));
    }

    @Test
    void piecesKeptBeforeTheMarkerNamedTheKeyAreProvenAgainFromWhatIsKeptEvenWithTheDatabaseOutOfReach()
            throws Exception {
        GoSumDbServer server = database("key", "example.com/first");
        VerifierKey key = VerifierKey.parse(server.verifierKey());
        ForwardingServer link = link(server);
        ChecksumDatabase first = checksumDatabase(server, link);
        byte[] lookup = serve(first, LOOKUP);
        byte[] head = serve(first, "latest");
        first.close();
        // the marker as a version that named no key in it wrote it
        Path marker = dir.resolve("cache/sumdb/" + NAME + "/proven-since");
        Files.writeString(marker, "pieces of the checksum database stored since this file are proven\n");
        link.setDown(true);

        ChecksumDatabase restarted = checksumDatabase(server, link);

        assertTrue(Files.readString(marker).endsWith("proven with " + key + "\n"), Files.readString(marker));
        // proven again from the kept tiles against the kept verified tree head: no source needed
        assertArrayEquals(lookup, serve(restarted, LOOKUP));
        // the kept head is no longer one proven since the marker; the verified one it restarted from is served, stale
        SumDbCache.Served latest = restarted.cache().orElseThrow().serve(SumDbPath.LATEST);
        assertArrayEquals(head, latest.bytes());
        assertEquals(Duration.ZERO, latest.freshFor());
    }

    /**
     * Review: a rolling update that changes MODPROXY_SUMDB shares the storage (one bucket) between a pod that still has
     * the old key and one with the new: the new pod writes the marker naming its key at start, and the old pod goes on
     * storing pieces proven with the old key after it. Those are newer than the marker, so the new pod takes them as
     * proven with its key and serves the old key's lookup as immutable, which a go command with the new key refuses.
     */
    @Test
    void aPieceTheOldKeysPodStoresAfterTheNewPodWroteTheMarkerIsNotServedAsProvenWithTheNewKey() throws Exception {
        GoSumDbServer before = database("old.key", "example.com/first");
        ChecksumDatabase oldPod = checksumDatabase(before, link(before));
        serve(oldPod, LOOKUP);

        GoSumDbServer after = database("new.key", "example.com/other-first");
        VerifierKey newKey = VerifierKey.parse(after.verifierKey());
        // writes the marker naming the new key: what the storage stores after it is stamped no earlier
        ChecksumDatabase newPod = checksumDatabase(after, link(after));

        String later = "lookup/example.com/m3@v1.0.0";
        serve(oldPod, later); // still running during the roll-out: a client's lookup reaches it

        assertSignedWith(newKey, serve(newPod, later));
    }
}
