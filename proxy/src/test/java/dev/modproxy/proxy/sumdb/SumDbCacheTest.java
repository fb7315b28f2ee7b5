package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.MutableClock;
import dev.modproxy.proxy.upstream.CircuitBreaker;
import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SumDbCacheTest {

    private static final String NAME = "sum.cache.test";
    private static final Duration TTL = Duration.ofMinutes(1);

    @TempDir
    Path dir;

    private GoSumDbServer sumdb;
    private ForwardingServer upstreamProxy;
    private ForwardingServer databaseUrl;
    private StaticGoProxy plainProxy;
    private LocalDiskStorage storage;
    private VerifierKey key;
    private Path records;
    private final MutableClock clock = new MutableClock(Instant.now());

    /** A clock the test moves forward. */
    @BeforeEach
    void start() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add("example.com/m" + i + " v1.0.0 h1:" + "A".repeat(43) + "= h1:" + "B".repeat(43) + "=");
        }
        records = Files.write(dir.resolve("records"), lines);
        sumdb = GoSumDbServer.start(
                GoSumDbServer.Options.named(NAME).withRecords(records).withKeyFile(dir.resolve("key")));
        key = VerifierKey.parse(sumdb.verifierKey());
        // Plays goproxy.cn: serves the database below /sumdb/<name>/.
        upstreamProxy = ForwardingServer.forward("/sumdb/" + NAME, sumdb.url());
        databaseUrl = ForwardingServer.forward("", sumdb.url());
        plainProxy = StaticGoProxy.serve(Files.createDirectories(dir.resolve("empty")));
        storage = new LocalDiskStorage(dir.resolve("cache"));
    }

    @AfterEach
    void stop() throws Exception {
        upstreamProxy.close();
        databaseUrl.close();
        plainProxy.close();
        sumdb.close();
    }

    private SumDbCache cacheVia(String goproxy) {
        return cacheVia(goproxy, databaseUrl.url(), storage);
    }

    private SumDbCache cacheVia(String goproxy, String databaseUrl, LocalDiskStorage storage) {
        UpstreamChain chain = UpstreamChain.parse(
                goproxy,
                new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(5), 5, Duration.ofSeconds(30)),
                UpstreamListener.NONE);
        Upstream database = new Upstream(
                URI.create(databaseUrl),
                HttpClient.newHttpClient(),
                Duration.ofSeconds(5),
                new CircuitBreaker(URI.create("http://127.0.0.1:1/"), 5, Duration.ofSeconds(30)));
        return new SumDbCache(
                key, new UpstreamSumDbFetcher(key, chain, database, Duration.ofMinutes(1)), storage, TTL, clock);
    }

    /**
     * A proof that ends in something unforeseen (a defect, an Error, a failed read of the stale copy after a failed
     * proof) still ends the wait of every request that joined it: before, they waited for ever, each holding a worker.
     */
    @Test
    void requestsThatJoinedAProofEndingUnforeseenAreNotLeftWaiting() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SumDbCache cache = new SumDbCache(
                key,
                path -> {
                    asked.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IllegalStateException("an unforeseen failure");
                },
                storage,
                TTL,
                clock);
        String lookup = "lookup/example.com/m7@v1.0.0";
        AtomicReference<Throwable> firstEnded = new AtomicReference<>();
        AtomicReference<Throwable> joinerEnded = new AtomicReference<>();
        Thread first = new Thread(() -> firstEnded.set(ended(() -> cache.fetch(lookup))));
        first.start();
        assertTrue(asked.await(10, TimeUnit.SECONDS), "the first request asks the database");
        Thread joiner = new Thread(() -> joinerEnded.set(ended(() -> cache.fetch(lookup))));
        joiner.start();
        // parked on the first request's proof (nothing else it does waits)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (joiner.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(Thread.State.WAITING, joiner.getState(), "the second request joins the first's proof");

        release.countDown();
        first.join(10_000);
        joiner.join(10_000);

        assertTrue(firstEnded.get() instanceof IllegalStateException, String.valueOf(firstEnded.get()));
        assertTrue(!joiner.isAlive(), "the request that joined the proof is still waiting");
        assertTrue(joinerEnded.get() != null, "the joined request ended with an error, not an answer");
    }

    private interface Fetch {
        byte[] run() throws Exception;
    }

    /** What a request ended with: the exception it threw, or null for an answer. */
    private static Throwable ended(Fetch fetch) {
        try {
            fetch.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    @Test
    void answersComeThroughAnUpstreamProxyThatServesTheDatabase() throws Exception {
        SumDbVerifier verifier =
                cacheVia(plainProxy.url() + "," + upstreamProxy.url()).verifier();

        assertEquals("h1:" + "A".repeat(43) + "=", verifier.provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP));
        assertTrue(upstreamProxy.forwarded() > 0);
        assertEquals(0, databaseUrl.forwarded());
    }

    @Test
    void theDatabaseItselfIsAskedWhenNoUpstreamProxyServesIt() throws Exception {
        SumDbVerifier verifier = cacheVia(plainProxy.url()).verifier();

        verifier.provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP);
        assertTrue(databaseUrl.forwarded() > 0);
    }

    @Test
    void anUpstreamThatAnswersWithSomethingElseIsSkipped() throws Exception {
        Path portal = dir.resolve("portal");
        for (String path : List.of("latest", "lookup/example.com/m7@v1.0.0", "tile/8/0/000", "tile/8/1/000.p/1")) {
            Path file = portal.resolve("sumdb/" + NAME + "/" + path);
            Files.createDirectories(file.getParent());
            Files.writeString(file, "<html>Please log in to the Wi-Fi</html>");
        }
        try (StaticGoProxy captive = StaticGoProxy.serve(portal)) {
            SumDbVerifier verifier =
                    cacheVia(captive.url() + "," + upstreamProxy.url()).verifier();

            assertEquals(
                    "h1:" + "A".repeat(43) + "=", verifier.provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP));
            assertTrue(upstreamProxy.forwarded() > 0);
        }
    }

    @Test
    void lookupsAndTilesAreServedFromStorageOnceTheNetworkIsGone() throws Exception {
        cacheVia(upstreamProxy.url()).verifier().provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP);
        assertTrue(
                storage.lookup(new StorageKey("sumdb/" + NAME + "/tile/8/0/000"))
                        .isPresent(),
                "full tile stored");
        assertTrue(storage.lookup(new StorageKey("sumdb/" + NAME + "/lookup/example.com/m7@v1.0.0"))
                .isPresent());

        upstreamProxy.setDown(true);
        databaseUrl.setDown(true);
        clock.advance(Duration.ofDays(30));
        SumDbVerifier afterRestart = cacheVia(upstreamProxy.url()).verifier();

        assertEquals(
                "h1:" + "B".repeat(43) + "=", afterRestart.provenHash("example.com/m7", "v1.0.0", RequestKind.MOD));
        assertRefused(
                SumDbException.class,
                () -> afterRestart.provenHash("example.com/m8", "v1.0.0", RequestKind.ZIP),
                "example.com/m8@v1.0.0",
                "unreachable");
    }

    @Test
    void tilesTheStoreKeepsAreNotReadAheadFromTheNetworkAgain() throws Exception {
        cacheVia(upstreamProxy.url()).verifier().provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP);
        int before = upstreamProxy.forwarded();
        SumDbVerifier afterRestart = cacheVia(upstreamProxy.url()).verifier();

        // m8 is in the tiles that proved m7, and in the same signed tree: only its lookup is new
        assertEquals(
                "h1:" + "A".repeat(43) + "=", afterRestart.provenHash("example.com/m8", "v1.0.0", RequestKind.ZIP));

        assertEquals(1, upstreamProxy.forwarded() - before, "the lookup alone");
    }

    @Test
    void latestIsRefreshedAfterItsTtlAndServedStaleWhileTheDatabaseFails() throws Exception {
        SumDbCache cache = cacheVia(upstreamProxy.url());
        byte[] first = cache.fetch("latest");
        cache.fetch("latest");
        assertEquals(1, upstreamProxy.forwarded(), "fresh latest comes from storage");

        clock.advance(TTL.multipliedBy(2));
        cache.fetch("latest");
        assertEquals(2, upstreamProxy.forwarded(), "expired latest is fetched again");

        upstreamProxy.setDown(true);
        databaseUrl.setDown(true);
        clock.advance(TTL.multipliedBy(2));
        assertArrayEquals(first, cache.fetch("latest"), "stale latest while the database is unreachable");
    }

    @Test
    void aLatestTreeHeadNoSourceProvesLeavesTheProvenOneKeptServedStale() throws Exception {
        byte[] proven = cacheVia(upstreamProxy.url()).fetch("latest");
        clock.advance(TTL.multipliedBy(2));
        // every source now answers a head signed by another key: none proves it
        try (GoSumDbServer impostor = GoSumDbServer.start(GoSumDbServer.Options.named(NAME));
                ForwardingServer impostorProxy = ForwardingServer.forward("/sumdb/" + NAME, impostor.url());
                ForwardingServer impostorUrl = ForwardingServer.forward("", impostor.url())) {
            SumDbCache cache = cacheVia(impostorProxy.url(), impostorUrl.url(), storage);

            SumDbCache.Served latest = cache.serve(SumDbPath.LATEST);

            assertTrue(impostorUrl.forwarded() > 0, "the database itself was asked too");
            assertArrayEquals(proven, latest.bytes(), "the proven head, not the unproven one");
            assertEquals(Duration.ZERO, latest.freshFor(), "stale: asked again next time");
            assertArrayEquals(proven, kept(storage, "latest"), "the unproven head is never kept");
        }
    }

    @Test
    void latestIsTheNewerOfTheKeptTreeHeadAndOneALookupVerifiedSinceFreshForWhatIsLeftOfItsTtl() throws Exception {
        Path modules = Files.createDirectories(dir.resolve("modules"));
        ProxyDirModules.write(modules, "example.com/added", "v1.0.0", Map.of("a.go", "package a\n"));
        // the same database, key and records, which adds a record when a module in modules is looked up
        try (GoSumDbServer growing = GoSumDbServer.start(GoSumDbServer.Options.named(NAME)
                        .withRecords(records)
                        .withKeyFile(dir.resolve("key"))
                        .withProxyDir(modules));
                ForwardingServer growingProxy = ForwardingServer.forward("/sumdb/" + NAME, growing.url());
                ForwardingServer growingUrl = ForwardingServer.forward("", growing.url())) {
            SumDbCache cache = cacheVia(growingProxy.url(), growingUrl.url(), storage);
            byte[] kept = cache.fetch("latest");
            cache.fetch("lookup/example.com/added@v1.0.0"); // its record's tree is one larger, and verified
            int asked = growingProxy.forwarded();
            clock.advance(Duration.ofSeconds(10));

            SumDbCache.Served latest = cache.serve(SumDbPath.LATEST);

            assertEquals(300, TreeHead.parse(SignedNote.verifiedText(kept, key)).size());
            assertEquals(
                    301,
                    TreeHead.parse(SignedNote.verifiedText(latest.bytes(), key)).size());
            assertEquals(asked, growingProxy.forwarded(), "served from what the proxy verified, not asked again");
            Instant keptAt = storage.lookup(new StorageKey("sumdb/" + NAME + "/latest"))
                    .orElseThrow()
                    .lastModified();
            assertEquals(
                    Duration.between(clock.instant(), keptAt.plus(TTL)),
                    latest.freshFor(),
                    "as long as the kept head stays fresh");
            clock.advance(TTL);
            growingProxy.setDown(true);
            growingUrl.setDown(true);
            assertEquals(Duration.ZERO, cache.serve(SumDbPath.LATEST).freshFor(), "stale: asked again next time");
        }
    }

    @Test
    void answersNotSignedByTheKeyOrMalformedAreNeverStored() throws Exception {
        SumDbFetcher genuine = cacheVia(upstreamProxy.url());
        byte[] otherKeysLatest;
        try (GoSumDbServer impostor = GoSumDbServer.start(GoSumDbServer.Options.named(NAME))) {
            otherKeysLatest = new HttpSumDbFetcher(impostor.url(), HttpClient.newHttpClient(), Duration.ofSeconds(5))
                    .fetch("latest");
        }
        SumDbFetcher hostile = path -> switch (path) {
            case "latest" -> otherKeysLatest;
            default -> genuine.fetch(path);
        };
        SumDbFetcher captivePortal = path -> path.equals("tile/8/0/000")
                ? "<html>oops</html>".getBytes(StandardCharsets.UTF_8)
                : genuine.fetch(path);
        LocalDiskStorage otherStorage = new LocalDiskStorage(dir.resolve("other-cache"));
        SumDbCache cache = new SumDbCache(key, hostile, otherStorage, TTL, clock);
        SumDbCache portalCache = new SumDbCache(key, captivePortal, otherStorage, TTL, clock);

        assertRefused(SumDbException.class, () -> cache.fetch("latest"), "no signature by the checksum database key");
        assertNull(kept(otherStorage, "latest"));
        assertRefused(
                SumDbException.class, () -> portalCache.fetch("tile/8/0/000"), "tile/8/0/000 has 17 bytes, want 8192");
        assertNull(kept(otherStorage, "tile/8/0/000"));
        assertRefused(SumDbException.class, () -> cache.fetch("tile/8/0/1"), "malformed tile path");
    }

    private byte[] genuine(String path) throws SumDbException {
        return new HttpSumDbFetcher(sumdb.url(), HttpClient.newHttpClient(), Duration.ofSeconds(5)).fetch(path);
    }

    private byte[] kept(LocalDiskStorage in, String path) throws Exception {
        var stored = in.lookup(new StorageKey("sumdb/" + NAME + "/" + path));
        return stored.isPresent() ? Files.readAllBytes(stored.get().localFile().orElseThrow()) : null;
    }

    @Test
    void tilesWithOneBitFlippedArePassedOverForTheNextSourceAndNeverKept() throws Exception {
        String hashTile = "tile/8/0/000";
        String dataTile = "tile/8/data/000";
        try (ForwardingServer liar = ForwardingServer.lying(
                "/sumdb/" + NAME, sumdb.url(), ForwardingServer.flippingOneBitOf(hashTile, dataTile))) {
            SumDbCache cache = cacheVia(liar.url());

            assertArrayEquals(genuine(hashTile), cache.fetch(hashTile), "the database's own tile is served");
            assertArrayEquals(genuine(dataTile), cache.fetch(dataTile));
            assertTrue(databaseUrl.forwarded() > 0, "the database was asked after the lying mirror");
            assertArrayEquals(genuine(hashTile), kept(storage, hashTile), "only the proven tile is kept");
            assertArrayEquals(genuine(dataTile), kept(storage, dataTile));
            assertEquals(
                    "h1:" + "A".repeat(43) + "=",
                    cache.verifier().provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP));
        }
    }

    @Test
    void aTileNoSourceCanProveIsRefusedAndNothingIsKept() throws Exception {
        String hashTile = "tile/8/0/000";
        try (ForwardingServer liar = ForwardingServer.lying(
                        "/sumdb/" + NAME, sumdb.url(), ForwardingServer.flippingOneBitOf(hashTile));
                ForwardingServer lyingDatabase =
                        ForwardingServer.lying("", sumdb.url(), ForwardingServer.flippingOneBitOf(hashTile))) {
            SumDbCache cache = cacheVia(liar.url(), lyingDatabase.url(), storage);

            assertRefused(
                    SumDbException.class, () -> cache.fetch(hashTile), "tile/8/0/000 does not match its parent tile");
            assertNull(kept(storage, hashTile));
            assertRefused(
                    SumDbException.class,
                    () -> cache.verifier().provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP),
                    "does not match its parent tile");
            assertNull(
                    kept(storage, hashTile),
                    "a module whose proof crosses the tile is refused, and the tile still not kept");
            assertNull(kept(storage, "lookup/example.com/m7@v1.0.0"));
        }
    }

    @Test
    void aLookupWithAGenuinelySignedTreeButARecordNotInTheLogIsPassedOverAndNeverKept() throws Exception {
        String forgedHash = "h1:" + "C".repeat(43) + "=";
        String lookup = "lookup/example.com/m7@v1.0.0";
        try (GoSumDbServer forger = GoSumDbServer.start(GoSumDbServer.Options.named(NAME)
                        .withRecords(records)
                        .withKeyFile(dir.resolve("key"))
                        .forging("example.com/m7@v1.0.0", forgedHash));
                ForwardingServer lyingMirror = ForwardingServer.forward("/sumdb/" + NAME, forger.url());
                ForwardingServer lyingDatabase = ForwardingServer.forward("", forger.url())) {
            byte[] forged =
                    new HttpSumDbFetcher(forger.url(), HttpClient.newHttpClient(), Duration.ofSeconds(5)).fetch(lookup);
            assertTrue(new String(forged, StandardCharsets.UTF_8).contains(forgedHash), "the forger lies about m7");
            SignedNote.verifiedText(LookupAnswer.parse(forged).signedTree(), key); // ...under a genuine signature

            SumDbCache cache = cacheVia(lyingMirror.url());
            assertArrayEquals(genuine(lookup), cache.fetch(lookup), "the database's own record is served");
            assertArrayEquals(genuine(lookup), kept(storage, lookup));

            LocalDiskStorage other = new LocalDiskStorage(dir.resolve("other-cache"));
            SumDbCache deceived = cacheVia(lyingMirror.url(), lyingDatabase.url(), other);
            assertRefused(SumDbException.class, () -> deceived.fetch(lookup), "inclusion proof fails");
            assertNull(kept(other, lookup));
            assertRefused(
                    SumDbException.class,
                    () -> deceived.verifier().provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP),
                    "example.com/m7@v1.0.0",
                    "inclusion proof fails");
        }
    }

    @Test
    void aFalseTileKeptByAnOlderVersionIsProvenAgainDroppedAndReplaced() throws Exception {
        String hashTile = "tile/8/0/000";
        byte[] poisoned = genuine(hashTile);
        poisoned[100] ^= 1;
        StorageKey storageKey = new StorageKey("sumdb/" + NAME + "/" + hashTile);
        try (var writer = storage.openWriter(storageKey)) {
            writer.output().write(poisoned);
            writer.commit();
        }
        Instant upgradedAt =
                storage.lookup(storageKey).orElseThrow().lastModified().plusMillis(1);
        UpstreamChain chain = UpstreamChain.parse(
                upstreamProxy.url(),
                new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(5), 5, Duration.ofSeconds(30)),
                UpstreamListener.NONE);
        Upstream database = new Upstream(
                URI.create(databaseUrl.url()),
                HttpClient.newHttpClient(),
                Duration.ofSeconds(5),
                new CircuitBreaker(URI.create("http://127.0.0.1:1/"), 5, Duration.ofSeconds(30)));
        SumDbCache cache = new SumDbCache(
                key,
                new UpstreamSumDbFetcher(key, chain, database, Duration.ofMinutes(1)),
                storage,
                TTL,
                clock,
                upgradedAt,
                (tree, note) -> {});

        assertArrayEquals(genuine(hashTile), cache.fetch(hashTile));
        assertArrayEquals(genuine(hashTile), kept(storage, hashTile), "the false tile was replaced by the proven one");
        assertEquals(
                "h1:" + "A".repeat(43) + "=", cache.verifier().provenHash("example.com/m7", "v1.0.0", RequestKind.ZIP));
    }

    /** A log under this test's key: the first records of the database's, with record 50 changed when forked. */
    private GoSumDbServer startedLog(int size, boolean forked) throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(records).subList(0, size));
        if (forked) {
            lines.set(50, "example.com/forked v1.0.0 h1:" + "C".repeat(43) + "= h1:" + "D".repeat(43) + "=");
        }
        return GoSumDbServer.start(GoSumDbServer.Options.named(NAME)
                .withRecords(Files.write(Files.createTempFile(dir, "records", ".txt"), lines))
                .withKeyFile(dir.resolve("key")));
    }

    private static HttpSumDbFetcher fetcherOf(GoSumDbServer server) {
        return new HttpSumDbFetcher(server.url(), HttpClient.newHttpClient(), Duration.ofSeconds(5));
    }

    /**
     * A forked tree's tiles hash to its signed root, but it is refused: none of them is kept, or served as the
     * tile a go command asks for (a full tile is kept and served as immutable), and the honest tree after it is
     * verified and its tiles served.
     */
    @Test
    void theTilesOfARefusedForkedTreeAreNeverKeptOrServed() throws Exception {
        try (GoSumDbServer honest100 = startedLog(100, false);
                GoSumDbServer forked300 = startedLog(300, true)) {
            AtomicReference<SumDbFetcher> origin = new AtomicReference<>(fetcherOf(forked300));
            SumDbCache cache = new SumDbCache(key, path -> origin.get().fetch(path), storage, TTL, clock);
            cache.verifier().verifiedTree(fetcherOf(honest100).fetch("latest"));

            SumDbException refused = assertRefused(SumDbException.class, () -> cache.fetch("latest"), "tree 300");
            assertTrue(SumDbForkException.in(refused).isPresent(), refused.toString());
            for (String tile : List.of("tile/8/0/000", "tile/8/1/000.p/1", "tile/8/0/001.p/44", "latest")) {
                assertNull(kept(storage, tile), tile + " of the forked tree kept");
            }
            assertRefused(SumDbNotFoundException.class, () -> cache.fetch("tile/8/0/000"), "tree 100");

            origin.set(fetcherOf(sumdb));
            assertArrayEquals(genuine("latest"), cache.fetch("latest"), "the honest tree of 300 extends 100");
            assertArrayEquals(genuine("tile/8/0/000"), cache.fetch("tile/8/0/000"));
            assertArrayEquals(genuine("tile/8/0/000"), kept(storage, "tile/8/0/000"));
            assertArrayEquals(genuine("tile/8/1/000.p/1"), kept(storage, "tile/8/1/000.p/1"));
        }
    }

    /**
     * A proof against a tree not verified yet that fails with a kept tile fails for the tree, which may be the one at
     * fault, not for the tile: the honest tile kept stays kept (it was dropped, and a warning said it failed).
     */
    @Test
    void aKeptTileThatAForkedTreeDisagreesWithStaysKept() throws Exception {
        StorageKey storageKey = new StorageKey("sumdb/" + NAME + "/tile/8/0/000");
        try (var writer = storage.openWriter(storageKey)) {
            writer.output().write(genuine("tile/8/0/000")); // proven and kept before a restart
            writer.commit().release();
        }
        try (GoSumDbServer honest100 = startedLog(100, false);
                GoSumDbServer forked300 = startedLog(300, true);
                CapturedLog log = CapturedLog.of(SumDbVerifier.class, Level.WARNING)) {
            SumDbCache cache = new SumDbCache(key, fetcherOf(forked300), storage, TTL, clock);
            cache.verifier().verifiedTree(fetcherOf(honest100).fetch("latest"));

            SumDbException refused = assertRefused(SumDbException.class, () -> cache.fetch("latest"), "tree 300");
            assertTrue(SumDbForkException.in(refused).isPresent(), refused.toString());
            assertArrayEquals(genuine("tile/8/0/000"), kept(storage, "tile/8/0/000"));
            assertArrayEquals(genuine("tile/8/0/000"), cache.fetch("tile/8/0/000"));
            assertTrue(
                    log.warnings().stream().noneMatch(line -> line.contains("dropped the kept")),
                    log.warnings().toString());
        }
    }
}
