package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.checksum.DirHash;
import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.testing.CapturedLog;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SumDbVerifierTest {

    private static final String NAME = "sum.example.test";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private final List<GoSumDbServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() throws InterruptedException {
        for (GoSumDbServer server : servers) {
            server.close();
        }
    }

    private GoSumDbServer start(GoSumDbServer.Options options) throws Exception {
        GoSumDbServer server = GoSumDbServer.start(options);
        servers.add(server);
        return server;
    }

    /**
     * A checksum database logging these records, signed with the one key all of a test's databases share: an honest
     * log and its fork are two databases with one key.
     */
    private GoSumDbServer database(List<String> records) throws Exception {
        return start(GoSumDbServer.Options.named(NAME)
                .withKeyFile(dir.resolve("key"))
                .withRecords(records(records)));
    }

    private static SumDbVerifier verifierFor(GoSumDbServer server) throws SumDbException {
        return new SumDbVerifier(VerifierKey.parse(server.verifierKey()), fetcherOf(server));
    }

    /** Verifies a downloaded file as the proxy does: its h1: hash against the database's record. */
    private static void verifyFile(SumDbVerifier verifier, String module, String version, RequestKind kind, Path file)
            throws SumDbException, IOException {
        verifier.verify(module, version, kind, kind == RequestKind.ZIP ? DirHash.ofZip(file) : DirHash.ofGoMod(file));
    }

    private static HttpSumDbFetcher fetcherOf(GoSumDbServer server) {
        return new HttpSumDbFetcher(server.url(), HTTP, Duration.ofSeconds(10));
    }

    private static String fakeHash(String seed) throws Exception {
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
        return "h1:" + Base64.getEncoder().encodeToString(sha);
    }

    /** Record lines: "module version" (hashed by the server from proxydir) or with fake hashes. */
    private Path records(List<String> lines) throws IOException {
        Path file = Files.createTempFile(dir, "records", ".txt");
        Files.write(file, lines);
        return file;
    }

    private static String fixedRecord(int i) throws Exception {
        return "example.com/filler" + i + " v1.0." + i + " " + fakeHash("zip" + i) + " " + fakeHash("mod" + i);
    }

    @Test
    void provesGenuineRecordsSpreadOverSeveralTiles() throws Exception {
        Path proxyDir = dir.resolve("proxy");
        Path first = ProxyDirModules.write(proxyDir, "example.com/First", "v1.0.0", Map.of("a.go", "package a\n"));
        Path last = ProxyDirModules.write(proxyDir, "example.com/last", "v0.3.1-pre", Map.of("b.go", "package b\n"));
        List<String> lines = new ArrayList<>(List.of("example.com/First v1.0.0"));
        for (int i = 0; i < 600; i++) {
            lines.add(fixedRecord(i));
        }
        lines.add("example.com/last v0.3.1-pre");
        GoSumDbServer server = start(
                GoSumDbServer.Options.named(NAME).withRecords(records(lines)).withProxyDir(proxyDir));
        SumDbVerifier verifier = verifierFor(server);

        verifyFile(verifier, "example.com/First", "v1.0.0", RequestKind.ZIP, first);
        verifyFile(verifier, "example.com/First", "v1.0.0", RequestKind.MOD, first.resolveSibling("v1.0.0.mod"));
        verifyFile(verifier, "example.com/last", "v0.3.1-pre", RequestKind.ZIP, last);
        for (int i : new int[] {0, 1, 254, 255, 256, 300, 510, 511, 512, 599}) {
            assertEquals(
                    fakeHash("zip" + i), verifier.provenHash("example.com/filler" + i, "v1.0." + i, RequestKind.ZIP));
            assertEquals(
                    fakeHash("mod" + i), verifier.provenHash("example.com/filler" + i, "v1.0." + i, RequestKind.MOD));
        }
        assertEquals(602L, verifier.latestTree().orElseThrow().size());
    }

    /** A log of 602 records: the first record's proof reads a full tile, its parent and the right edge's tiles. */
    private GoSumDbServer logOf602Records() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 602; i++) {
            lines.add(fixedRecord(i));
        }
        return start(GoSumDbServer.Options.named(NAME).withRecords(records(lines)));
    }

    @Test
    void aProofFetchesItsTilesAllAtOnceAndEachOnce() throws Exception {
        GoSumDbServer server = logOf602Records();
        HttpSumDbFetcher database = fetcherOf(server);
        Map<String, Integer> fetched = new ConcurrentHashMap<>();
        // a tile fetch waits (5 s at most) until a second one is under way: read one after the other, none ever is
        CountDownLatch twoAtOnce = new CountDownLatch(2);
        AtomicBoolean overlapped = new AtomicBoolean(true);
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(server.verifierKey()), path -> {
            fetched.merge(path, 1, Integer::sum);
            if (path.startsWith("tile/")) {
                twoAtOnce.countDown();
                try {
                    if (!twoAtOnce.await(5, TimeUnit.SECONDS)) {
                        overlapped.set(false);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return database.fetch(path);
        });

        assertEquals(fakeHash("zip0"), verifier.provenHash("example.com/filler0", "v1.0.0", RequestKind.ZIP));

        assertTrue(overlapped.get(), "the proof's tiles were fetched one after the other: " + fetched.keySet());
        assertTrue(
                fetched.keySet().stream()
                                .filter(path -> path.startsWith("tile/"))
                                .count()
                        >= 3,
                fetched.toString());
        fetched.forEach((path, times) -> assertEquals(1, times, path + " fetched " + times + " times"));
    }

    /**
     * A right edge kept in part is completed with the tiles missing, read ahead, and proven whole against the new
     * tree's root: the kept tile is not fetched again (it was, as the edge was proven from one source at a time).
     */
    @Test
    void aRightEdgeKeptInPartIsCompletedByTheMissingTilesReadAheadNotFetchedWhole() throws Exception {
        // 300 records, then a module the log learns on its first lookup: trees of 300 and 301 records, whose right
        // edges share the partial tile of level 1 (1/000.p/1) and differ at level 0 (0/001.p/44, 0/001.p/45)
        Path proxyDir = dir.resolve("proxy");
        Path grown = ProxyDirModules.write(proxyDir, "example.com/new", "v1.0.0", Map.of("n.go", "package n\n"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add(fixedRecord(i));
        }
        GoSumDbServer server = start(
                GoSumDbServer.Options.named(NAME).withRecords(records(lines)).withProxyDir(proxyDir));
        HttpSumDbFetcher database = fetcherOf(server);
        Map<String, byte[]> kept = new ConcurrentHashMap<>();
        SumDbStore store = new SumDbStore() {
            @Override
            public Optional<byte[]> read(String path) {
                return Optional.ofNullable(kept.get(path));
            }

            @Override
            public void keep(String path, byte[] proven) {
                kept.put(path, proven);
            }

            @Override
            public void discard(String path) {
                kept.remove(path);
            }
        };
        Thread caller = Thread.currentThread();
        List<String> fetchedByTheProof = new CopyOnWriteArrayList<>();
        Map<String, Integer> fetched = new ConcurrentHashMap<>();
        SumDbVerifier verifier = new SumDbVerifier(
                VerifierKey.parse(server.verifierKey()),
                path -> {
                    fetched.merge(path, 1, Integer::sum);
                    if (path.startsWith("tile/") && Thread.currentThread() == caller) {
                        fetchedByTheProof.add(path); // a round trip after the tiles read ahead, not beside them
                    }
                    return database.fetch(path);
                },
                store,
                (tree, note) -> {});
        verifier.provenHash("example.com/filler7", "v1.0.7", RequestKind.ZIP);
        assertTrue(kept.containsKey("tile/8/1/000.p/1"), kept.keySet().toString());
        fetched.clear();

        verifyFile(verifier, "example.com/new", "v1.0.0", RequestKind.ZIP, grown);

        assertEquals(301L, verifier.latestTree().orElseThrow().size());
        assertEquals(List.of(), fetchedByTheProof, "tiles the proof fetched itself, one round trip after another");
        assertEquals(Set.of("lookup/example.com/new@v1.0.0", "tile/8/0/001.p/45"), fetched.keySet());
        fetched.forEach((path, times) -> assertEquals(1, times, path + " fetched " + times + " times"));
    }

    /** What the counting upstream of {@link #proofsAtOnce} answers for a path, given the genuine answer. */
    @FunctionalInterface
    private interface Answer {
        byte[] of(String path, byte[] genuine) throws SumDbException;
    }

    /** Proofs run at once by {@link #proofsAtOnce}: each one's hash or failure, what was asked, and what was kept. */
    private record ProofsAtOnce(
            List<Object> outcomes, Map<String, Integer> fetched, Map<String, byte[]> kept, SumDbVerifier verifier) {
        void runAgain(List<String> modules) throws Exception {
            outcomes.clear();
            outcomes.addAll(run(verifier, modules));
        }

        static List<Object> run(SumDbVerifier verifier, List<String> modules) throws Exception {
            CountDownLatch go = new CountDownLatch(1);
            List<FutureTask<String>> proofs = new ArrayList<>();
            for (String module : modules) {
                proofs.add(started(module, () -> {
                    go.await();
                    return verifier.provenHash(module, "v1.0.0", RequestKind.ZIP);
                }));
            }
            go.countDown();
            List<Object> outcomes = new ArrayList<>();
            for (FutureTask<String> proof : proofs) {
                try {
                    outcomes.add(proof.get(30, TimeUnit.SECONDS));
                } catch (java.util.concurrent.ExecutionException e) {
                    outcomes.add(e.getCause());
                }
            }
            return outcomes;
        }
    }

    /**
     * Proofs at once, with nothing verified before, of modules a log of 300 records learned one after the other: each
     * lookup names its own tree (301, 302, ... records), and their right edges share the partial tile of level 1
     * (1/000.p/1), the full tile 0/000 and its parent's, and differ at level 0 (0/001.p/45, 0/001.p/46, ...), as
     * sum.golang.org's trees signed around each other share their upper partial tiles. The upstream counts what it is
     * asked and takes 50 ms for a tile, so that the proofs overlap; a store keeps what they prove, as the proxy's does.
     */
    private ProofsAtOnce proofsAtOnce(List<String> modules, Answer answer) throws Exception {
        GoSumDbServer server = logOf300RecordsThatLearns(modules.toArray(String[]::new));
        HttpSumDbFetcher database = fetcherOf(server);
        Map<String, byte[]> lookups = new ConcurrentHashMap<>();
        for (String module : modules) {
            lookups.put("lookup/" + module + "@v1.0.0", database.fetch("lookup/" + module + "@v1.0.0"));
        }
        Map<String, Integer> fetched = new ConcurrentHashMap<>();
        Map<String, byte[]> kept = new ConcurrentHashMap<>();
        SumDbStore store = new SumDbStore() {
            @Override
            public Optional<byte[]> read(String path) {
                return Optional.ofNullable(kept.get(path));
            }

            @Override
            public void keep(String path, byte[] proven) {
                kept.put(path, proven);
            }

            @Override
            public void discard(String path) {
                kept.remove(path);
            }
        };
        SumDbVerifier verifier = new SumDbVerifier(
                VerifierKey.parse(server.verifierKey()),
                path -> {
                    fetched.merge(path, 1, Integer::sum);
                    byte[] lookup = lookups.get(path);
                    if (lookup != null) {
                        return lookup;
                    }
                    LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // a link's pace, as FakeUpstream.slowly
                    return answer.of(path, database.fetch(path));
                },
                store,
                (tree, note) -> {});
        return new ProofsAtOnce(new ArrayList<>(ProofsAtOnce.run(verifier, modules)), fetched, kept, verifier);
    }

    private static final List<String> LEARNED =
            List.of("example.com/new0", "example.com/new1", "example.com/new2", "example.com/new3", "example.com/new4");

    @Test
    void proofsAtOnceInTreesSharingTilesFetchEachTileOnce() throws Exception {
        ProofsAtOnce proofs = proofsAtOnce(LEARNED, (path, genuine) -> genuine);

        proofs.outcomes()
                .forEach(outcome -> assertTrue(
                        outcome instanceof String hash && hash.startsWith("h1:"), "a proof failed: " + outcome));
        assertEquals(305L, proofs.verifier().latestTree().orElseThrow().size());
        assertEquals(
                1, proofs.fetched().get("tile/8/1/000.p/1"), proofs.fetched().toString());
        proofs.fetched().forEach((path, times) -> assertEquals(1, times, path + " fetched " + times + " times"));
        assertTrue(
                proofs.kept().containsKey("tile/8/1/000.p/1"),
                proofs.kept().keySet().toString());
    }

    /**
     * The upstream fails the first read of the tile every proof shares, while they all wait for it: each of them
     * fails with its failure, and the tile is asked again by the next proofs, not answered by the failure kept.
     */
    @Test
    void aSharedTileReadThatFailsFailsEveryProofWaitingForItAndIsNotKept() throws Exception {
        AtomicBoolean failNext = new AtomicBoolean(true);
        ProofsAtOnce proofs = proofsAtOnce(LEARNED, (path, genuine) -> {
            if (path.equals("tile/8/1/000.p/1") && failNext.getAndSet(false)) {
                // a slow answer's pace (no condition to await: the other proofs join the read in flight meanwhile)
                LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
                throw new SumDbUnreachableException(path + ": connection reset by the test");
            }
            return genuine;
        });

        proofs.outcomes()
                .forEach(outcome -> assertTrue(
                        outcome instanceof SumDbUnreachableException e
                                && e.getMessage().contains("connection reset"),
                        "a proof did not fail with the shared read: " + outcome));
        assertEquals(
                1, proofs.fetched().get("tile/8/1/000.p/1"), proofs.fetched().toString());
        assertFalse(proofs.kept().containsKey("tile/8/1/000.p/1"));

        proofs.runAgain(LEARNED);

        proofs.outcomes()
                .forEach(outcome -> assertTrue(
                        outcome instanceof String hash && hash.startsWith("h1:"), "a proof failed again: " + outcome));
        assertEquals(2, proofs.fetched().get("tile/8/1/000.p/1"), "asked again once: " + proofs.fetched());
    }

    /**
     * The upstream answers the tile every proof shares with one bit flipped: each proof refuses it (none is fooled
     * by another's read), it is read once and never kept, and once the upstream answers true the proofs hold.
     */
    @Test
    void aFalseTileSharedByProofsAtOnceIsRefusedByEachAndNeverKept() throws Exception {
        AtomicBoolean lying = new AtomicBoolean(true);
        ProofsAtOnce proofs = proofsAtOnce(LEARNED, (path, genuine) -> {
            if (path.equals("tile/8/1/000.p/1") && lying.get()) {
                byte[] flipped = genuine.clone();
                flipped[0] ^= 1;
                return flipped;
            }
            return genuine;
        });

        proofs.outcomes()
                .forEach(outcome -> assertTrue(
                        outcome instanceof SumDbException e && !(e instanceof SumDbUnreachableException),
                        "a proof did not refuse the false tile: " + outcome));
        assertEquals(
                1, proofs.fetched().get("tile/8/1/000.p/1"), proofs.fetched().toString());
        assertFalse(proofs.kept().containsKey("tile/8/1/000.p/1"));

        lying.set(false);
        proofs.runAgain(LEARNED);

        proofs.outcomes()
                .forEach(outcome -> assertTrue(
                        outcome instanceof String hash && hash.startsWith("h1:"),
                        "a proof failed with a true tile: " + outcome));
        assertEquals(
                2, proofs.fetched().get("tile/8/1/000.p/1"), proofs.fetched().toString());
        assertTrue(proofs.kept().containsKey("tile/8/1/000.p/1"));
    }

    @Test
    void callersProvingTheSameModuleAtOnceShareOneLookup() throws Exception {
        GoSumDbServer server = logOf602Records();
        HttpSumDbFetcher database = fetcherOf(server);
        AtomicInteger lookups = new AtomicInteger();
        CountDownLatch answer = new CountDownLatch(1);
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(server.verifierKey()), path -> {
            if (path.startsWith("lookup/")) {
                lookups.incrementAndGet();
                try {
                    answer.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return database.fetch(path);
        });
        // the zip and its go.mod, verified side by side
        FutureTask<String> zip =
                new FutureTask<>(() -> verifier.provenHash("example.com/filler7", "v1.0.7", RequestKind.ZIP));
        FutureTask<String> mod =
                new FutureTask<>(() -> verifier.provenHash("example.com/filler7", "v1.0.7", RequestKind.MOD));
        new Thread(zip, "zip-verifier").start();
        await().atMost(Duration.ofSeconds(10)).until(() -> lookups.get() == 1);
        Thread modCaller = new Thread(mod, "mod-verifier");
        modCaller.start();
        // the second caller waits: on the first one's lookup (WAITING), or in a lookup of its own
        await().atMost(Duration.ofSeconds(10))
                .until(() -> lookups.get() == 2 || modCaller.getState() == Thread.State.WAITING);
        answer.countDown();

        assertEquals(fakeHash("zip7"), zip.get(10, TimeUnit.SECONDS));
        assertEquals(fakeHash("mod7"), mod.get(10, TimeUnit.SECONDS));
        assertEquals(1, lookups.get(), "one lookup for both");
    }

    /** A log of 300 records that grows by a record at each lookup of one of modules (in the proxy directory). */
    private GoSumDbServer logOf300RecordsThatLearns(String... modules) throws Exception {
        Path proxyDir = dir.resolve("proxy");
        for (String module : modules) {
            ProxyDirModules.write(proxyDir, module, "v1.0.0", Map.of("a.go", "package a\n"));
        }
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add(fixedRecord(i));
        }
        return start(
                GoSumDbServer.Options.named(NAME).withRecords(records(lines)).withProxyDir(proxyDir));
    }

    /** The database, except that a fetch of path waits (30 s at most) for release, having counted down asked. */
    private static SumDbFetcher hangingOn(
            String path, SumDbFetcher database, CountDownLatch asked, CountDownLatch release) {
        return fetched -> {
            if (fetched.equals(path)) {
                asked.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return database.fetch(fetched);
        };
    }

    private static <T> FutureTask<T> started(String name, java.util.concurrent.Callable<T> work) {
        FutureTask<T> task = new FutureTask<>(work);
        new Thread(task, name).start();
        return task;
    }

    @Test
    void aTileThatHangsWhileANewerTreeIsProvenDoesNotHoldUpTheProofOfAnotherModule() throws Exception {
        GoSumDbServer server = logOf300RecordsThatLearns("example.com/new");
        HttpSumDbFetcher database = fetcherOf(server);
        String lookup = "lookup/example.com/filler9@v1.0.9";
        byte[] inTreeOf300 = database.fetch(lookup);
        database.fetch("lookup/example.com/new@v1.0.0"); // the log learns it: 301 records
        byte[] treeOf301 = database.fetch("latest");
        CountDownLatch hanging = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // the right edge of the tree of 301 records, which only proving that tree reads
        SumDbFetcher hangingEdge = hangingOn("tile/8/0/001.p/45", database, hanging, release);
        SumDbVerifier verifier = new SumDbVerifier(
                VerifierKey.parse(server.verifierKey()),
                path -> path.equals(lookup) ? inTreeOf300 : hangingEdge.fetch(path));
        verifier.verifiedTree(LookupAnswer.parse(inTreeOf300).signedTree());

        FutureTask<TreeHead> newer = started("newer-tree", () -> verifier.verifiedTree(treeOf301));
        assertTrue(hanging.await(10, TimeUnit.SECONDS), "the newer tree's proof asked for its edge");
        try {
            FutureTask<String> other = started(
                    "other-module", () -> verifier.provenHash("example.com/filler9", "v1.0.9", RequestKind.ZIP));
            assertEquals(fakeHash("zip9"), other.get(10, TimeUnit.SECONDS), "proven while the tile hangs");
            assertFalse(newer.isDone());
            assertEquals(300L, verifier.latestTree().orElseThrow().size());
        } finally {
            release.countDown();
        }
        assertEquals(301L, newer.get(10, TimeUnit.SECONDS).size());
        assertEquals(301L, verifier.latestTree().orElseThrow().size());
    }

    @Test
    void aNewerTreeVerifiedDuringTheSlowProofOfAnOlderOneStaysTheLatest() throws Exception {
        GoSumDbServer server = logOf300RecordsThatLearns("example.com/new", "example.com/newer");
        HttpSumDbFetcher database = fetcherOf(server);
        byte[] treeOf300 = database.fetch("latest");
        database.fetch("lookup/example.com/new@v1.0.0");
        byte[] treeOf301 = database.fetch("latest");
        database.fetch("lookup/example.com/newer@v1.0.0");
        byte[] treeOf302 = database.fetch("latest");
        CountDownLatch hanging = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SumDbVerifier verifier = new SumDbVerifier(
                VerifierKey.parse(server.verifierKey()), hangingOn("tile/8/0/001.p/45", database, hanging, release));
        verifier.verifiedTree(treeOf300);

        FutureTask<TreeHead> slow = started("tree-301", () -> verifier.verifiedTree(treeOf301));
        assertTrue(hanging.await(10, TimeUnit.SECONDS), "the tree of 301 is being proven");
        try {
            FutureTask<TreeHead> fast = started("tree-302", () -> verifier.verifiedTree(treeOf302));
            assertEquals(302L, fast.get(10, TimeUnit.SECONDS).size());
        } finally {
            release.countDown();
        }

        // proven against the tree of 300, then again against the tree of 302 that had become the latest
        assertEquals(301L, slow.get(10, TimeUnit.SECONDS).size());
        assertEquals(302L, verifier.latestTree().orElseThrow().size(), "not rolled back to 301");
    }

    /**
     * An older tree proven a prefix of the latest is a prefix of every later latest (each was proven to extend the
     * one before): it is not proven again when the latest moved during its proof, which fetched the newer tree's
     * tiles again and failed when they could no longer be had.
     */
    @Test
    void anOlderTreeProvenAPrefixIsNotProvenAgainWhenTheLatestMovedMeanwhile() throws Exception {
        GoSumDbServer server = logOf300RecordsThatLearns("example.com/new", "example.com/newer", "example.com/newest");
        HttpSumDbFetcher database = fetcherOf(server);
        byte[] treeOf300 = database.fetch("latest");
        database.fetch("lookup/example.com/new@v1.0.0");
        database.fetch("lookup/example.com/newer@v1.0.0");
        byte[] treeOf302 = database.fetch("latest");
        database.fetch("lookup/example.com/newest@v1.0.0");
        byte[] treeOf303 = database.fetch("latest");
        // the right edge of the tree of 302, which only the proof of the tree of 300 against it reads
        ProofWhileTheLatestMoves proof = proveWhileTheLatestMoves(server, database, treeOf302, treeOf300, treeOf303);

        assertEquals(300L, proof.slow().size(), "a prefix of 302, so of 303");
        assertEquals(List.of(), proof.askedWhileDown(), "nothing fetched to prove it again");
        assertEquals(303L, proof.verifier().latestTree().orElseThrow().size());
    }

    /** What {@link #proveWhileTheLatestMoves} saw. */
    private record ProofWhileTheLatestMoves(TreeHead slow, List<String> askedWhileDown, SumDbVerifier verifier) {}

    /**
     * Verifies first, then proves slow while meanwhile is verified, slow's proof hanging on the right edge of the tree
     * of 302 (tile/8/0/001.p/46) until then; after that the database is down for every other tile, and what slow's
     * proof still asks of it is recorded.
     */
    private ProofWhileTheLatestMoves proveWhileTheLatestMoves(
            GoSumDbServer server, SumDbFetcher database, byte[] first, byte[] slow, byte[] meanwhile) throws Exception {
        String edge = "tile/8/0/001.p/46";
        CountDownLatch hanging = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean down = new AtomicBoolean();
        List<String> askedWhileDown = new CopyOnWriteArrayList<>();
        SumDbFetcher hangingEdge = hangingOn(edge, database, hanging, release);
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(server.verifierKey()), path -> {
            if (down.get() && !path.equals(edge)) {
                askedWhileDown.add(path);
                throw new SumDbUnreachableException(path + ": the database is down");
            }
            return hangingEdge.fetch(path);
        });
        verifier.verifiedTree(first);

        FutureTask<TreeHead> slowProof = started("slow-tree", () -> verifier.verifiedTree(slow));
        assertTrue(hanging.await(10, TimeUnit.SECONDS), "the slow tree's proof reads the edge");
        try {
            verifier.verifiedTree(meanwhile);
        } finally {
            down.set(true);
            release.countDown();
        }
        return new ProofWhileTheLatestMoves(slowProof.get(10, TimeUnit.SECONDS), askedWhileDown, verifier);
    }

    /** A forked head is said once in a SECURITY line, however often it is shown; each showing is still refused. */
    @Test
    void aForkedTreeHeadShownAgainIsRefusedAgainAndSaidOnce() throws Exception {
        List<String> honest = honestAndForked300().get(0);
        List<String> forked = honestAndForked300().get(1);
        GoSumDbServer honest100 = database(honest.subList(0, 100));
        GoSumDbServer forked300 = database(forked);
        GoSumDbServer forked299 = database(forked.subList(0, 299));
        SwitchableFetcher source = new SwitchableFetcher(fetcherOf(forked300));
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(honest100.verifierKey()), source);
        verifier.verifiedTree(fetcherOf(honest100).fetch("latest"));
        byte[] forkedNote = fetcherOf(forked300).fetch("latest");

        try (CapturedLog log = CapturedLog.of(SumDbVerifier.class, Level.WARNING)) {
            for (int i = 0; i < 3; i++) {
                assertRefused(SumDbForkException.class, () -> verifier.verifiedTree(forkedNote), "tree 300");
            }
            assertEquals(1, security(log).size(), "said once: " + log.warnings());

            source.target = fetcherOf(forked299);
            assertRefused(
                    SumDbForkException.class,
                    () -> verifier.verifiedTree(fetcherOf(forked299).fetch("latest")),
                    "tree 299");
            assertEquals(2, security(log).size(), "another forked head is said too: " + log.warnings());
            assertTrue(
                    security(log).get(1).contains("go.sum database tree\\n299\\n"),
                    log.warnings().toString());
        }
        assertEquals(100L, verifier.latestTree().orElseThrow().size());
    }

    /**
     * A forked head shown again is refused at once: proving it again fetched its tiles each time, so a database or
     * mirror showing it to every check made each one cost the upstream a proof. The fork stays one with every later
     * verified tree, which extends the one it contradicted; the refusal names that latest tree as the evidence.
     */
    @Test
    void aForkedTreeHeadShownAgainIsRefusedWithoutItsProofFetchedAgain() throws Exception {
        List<String> honest = honestAndForked300().get(0);
        List<String> forked = honestAndForked300().get(1);
        GoSumDbServer honest100 = database(honest.subList(0, 100));
        GoSumDbServer honest200 = database(honest.subList(0, 200));
        GoSumDbServer forked300 = database(forked);
        List<String> asked = new CopyOnWriteArrayList<>();
        SwitchableFetcher source = new SwitchableFetcher(fetcherOf(forked300));
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(honest100.verifierKey()), path -> {
            asked.add(path);
            return source.fetch(path);
        });
        verifier.verifiedTree(fetcherOf(honest100).fetch("latest"));
        byte[] forkedNote = fetcherOf(forked300).fetch("latest");
        assertRefused(SumDbForkException.class, () -> verifier.verifiedTree(forkedNote), "tree 300");
        assertFalse(asked.isEmpty(), "the first showing is proven, from tiles");

        asked.clear();
        for (int i = 0; i < 3; i++) {
            assertRefused(SumDbForkException.class, () -> verifier.verifiedTree(forkedNote), "tree 300");
        }
        assertEquals(List.of(), asked, "a fork found before is refused without a fetch");

        // the latest moves on along the honest history: the fork is still refused, with the new latest as evidence
        source.target = fetcherOf(honest200);
        verifier.verifiedTree(fetcherOf(honest200).fetch("latest"));
        asked.clear();
        SumDbForkException again = assertThrows(SumDbForkException.class, () -> verifier.verifiedTree(forkedNote));
        assertEquals(List.of(), asked);
        assertTrue(again.verifiedNote().contains("go.sum database tree\\n200\\n"), again.verifiedNote());
        assertTrue(again.refusedNote().contains("go.sum database tree\\n300\\n"), again.refusedNote());
        assertEquals(200L, verifier.latestTree().orElseThrow().size());
    }

    /**
     * A forked head is said once whatever else its note carries: signatures by other keys are not signed, so anyone
     * holding one forked note (the SECURITY line prints it) could show the same head with another such line each
     * time; keyed on the whole note, each was a SECURITY line of its own and an entry of up to 1 MiB remembered.
     */
    @Test
    void theSameForkedHeadWithOtherUnsignedSignatureLinesIsSaidOnce() throws Exception {
        Forked forked = honestTreeOf100VerifiedAndAForkOf300();

        try (CapturedLog log = CapturedLog.of(SumDbVerifier.class, Level.WARNING)) {
            for (int i = 0; i < 3; i++) {
                byte[] note = withSignatureLine(forked.note(), "other" + i, (byte) i);
                assertRefused(SumDbForkException.class, () -> forked.verifier().verifiedTree(note), "tree 300");
            }
            assertEquals(1, security(log).size(), "one forked head, said once: " + log.warnings());
        }
    }

    /**
     * A note that passed its signature check holds no control character but newlines in its signed text only; a
     * signature line's key name may hold any character but spaces and '+' (ESC, NUL, BEL), unsigned: the SECURITY
     * line escapes them all, so a hostile note cannot write terminal escapes into the log.
     */
    @Test
    void theSecurityLineHoldsNoControlCharacterOfAnUnsignedSignatureLine() throws Exception {
        Forked forked = honestTreeOf100VerifiedAndAForkOf300();
        byte[] note = withSignatureLine(forked.note(), "x\u001b[2J\u0007", (byte) 2);

        try (CapturedLog log = CapturedLog.of(SumDbVerifier.class, Level.WARNING)) {
            assertRefused(SumDbForkException.class, () -> forked.verifier().verifiedTree(note), "tree 300");
            assertEquals(1, security(log).size(), log.warnings().toString());
            assertTrue(
                    security(log).get(0).chars().noneMatch(c -> c < 0x20 || c == 0x7f),
                    "no terminal escape in the log: " + security(log).get(0));
        }
    }

    /** A verifier that verified the honest tree of 100, and the signed note of a forked tree of 300 (same key). */
    private record Forked(SumDbVerifier verifier, byte[] note) {}

    private Forked honestTreeOf100VerifiedAndAForkOf300() throws Exception {
        List<String> honest = honestAndForked300().get(0);
        List<String> forked = honestAndForked300().get(1);
        GoSumDbServer honest100 = database(honest.subList(0, 100));
        GoSumDbServer forked300 = database(forked);
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(honest100.verifierKey()), fetcherOf(forked300));
        verifier.verifiedTree(fetcherOf(honest100).fetch("latest"));
        return new Forked(verifier, fetcherOf(forked300).fetch("latest"));
    }

    /** note with one more signature line, by a key named keyName: unsigned, as every other key's line is. */
    private static byte[] withSignatureLine(byte[] note, String keyName, byte keyId) {
        String line =
                "\u2014 " + keyName + " " + Base64.getEncoder().encodeToString(new byte[] {0, 0, 0, 1, keyId}) + "\n";
        return (new String(note, StandardCharsets.UTF_8) + line).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A newer tree whose proof ends after another proof advanced the latest is proven again against the new latest
     * with the tiles of its own tree it proved in the first round (against its own signed root: good whatever the
     * latest); they were dropped and fetched again, so an outage in between refused an honest tree.
     */
    @Test
    void aNewerTreeIsNotFetchedAgainWhenTheLatestMovedDuringItsProof() throws Exception {
        GoSumDbServer server = logOf300RecordsThatLearns("example.com/new", "example.com/newer");
        HttpSumDbFetcher database = fetcherOf(server);
        byte[] treeOf300 = database.fetch("latest");
        database.fetch("lookup/example.com/new@v1.0.0");
        byte[] treeOf301 = database.fetch("latest");
        database.fetch("lookup/example.com/newer@v1.0.0");
        byte[] treeOf302 = database.fetch("latest");
        // the right edge of the tree of 302, which only its own proof reads
        ProofWhileTheLatestMoves proof = proveWhileTheLatestMoves(server, database, treeOf300, treeOf302, treeOf301);

        assertEquals(302L, proof.slow().size(), "its tiles, proven against its root, stand");
        assertEquals(List.of(), proof.askedWhileDown(), "nothing of the tree of 302 fetched again");
        assertEquals(302L, proof.verifier().latestTree().orElseThrow().size());
    }

    private static List<String> security(CapturedLog log) {
        return log.warnings().stream()
                .filter(line -> line.startsWith("SECURITY:"))
                .toList();
    }

    @Test
    void aTreeHeadLargerThanTheTilesCanAddressIsRefusedAtOnce() throws Exception {
        NoteSigner db = NoteSigner.create(NAME);
        LogHash root = LogHash.ofRecord("a root".getBytes(StandardCharsets.UTF_8));
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(db.vkey()), path -> {
            throw new SumDbNotFoundException(path + ": no tiles here");
        });
        verifier.verifiedTree(db.treeNote(3, root)); // the first tree is taken on its signature alone

        assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertRefused(
                        SumDbException.class,
                        () -> verifier.verifiedTree(db.treeNote(1L << 60, root)),
                        "1152921504606846976 records",
                        "2^56"));
        assertEquals(3L, verifier.latestTree().orElseThrow().size());
    }

    @Test
    void zipHashEqualsTheHashTheReferenceDatabaseComputes() throws Exception {
        Path proxyDir = dir.resolve("proxy");
        // Names whose UTF-8 order differs from UTF-16 order, nesting, and an empty file.
        Path zip = ProxyDirModules.write(
                proxyDir,
                "example.com/names",
                "v2.0.0+incompatible",
                Map.of(
                        "z/\uFF5Eend.txt", "fullwidth tilde",
                        "z/\uD83D\uDE00.txt", "emoji",
                        "A/B/c.go", "package c\n",
                        "empty", ""));
        GoSumDbServer server = start(GoSumDbServer.Options.named(NAME).withProxyDir(proxyDir));

        verifyFile(verifierFor(server), "example.com/names", "v2.0.0+incompatible", RequestKind.ZIP, zip);
    }

    @Test
    void tamperedZipIsRefusedNamingModuleVersionAndBothHashes() throws Exception {
        Path proxyDir = dir.resolve("proxy");
        Path zip = ProxyDirModules.write(proxyDir, "example.com/victim", "v1.2.3", Map.of("x.go", "package x\n"));
        GoSumDbServer server = start(GoSumDbServer.Options.named(NAME).withProxyDir(proxyDir));
        SumDbVerifier verifier = verifierFor(server);
        String genuine = verifier.provenHash("example.com/victim", "v1.2.3", RequestKind.ZIP);

        Path tampered = dir.resolve("tampered.zip");
        try (OutputStream out = Files.newOutputStream(tampered);
                ZipOutputStream zipOut = new ZipOutputStream(out)) {
            zipOut.putNextEntry(new ZipEntry("example.com/victim@v1.2.3/go.mod"));
            zipOut.write("module example.com/victim\n\ngo 1.19\n".getBytes(StandardCharsets.UTF_8));
            zipOut.putNextEntry(new ZipEntry("example.com/victim@v1.2.3/x.go"));
            zipOut.write("package x\n\nfunc init() { steal() }\n".getBytes(StandardCharsets.UTF_8));
        }

        ChecksumMismatchException mismatch = assertRefused(
                ChecksumMismatchException.class,
                () -> verifyFile(verifier, "example.com/victim", "v1.2.3", RequestKind.ZIP, tampered),
                "example.com/victim@v1.2.3.zip",
                genuine,
                DirHash.ofZip(tampered));
        assertEquals(genuine, mismatch.expected());
        verifyFile(verifier, "example.com/victim", "v1.2.3", RequestKind.ZIP, zip);
    }

    @Test
    void forgedRecordNotInTheLogIsRefused() throws Exception {
        Path proxyDir = dir.resolve("proxy");
        ProxyDirModules.write(proxyDir, "example.com/victim", "v1.2.3", Map.of("x.go", "package x\n"));
        Path evil = dir.resolve("evil");
        Path evilZip = ProxyDirModules.write(evil, "example.com/victim", "v1.2.3", Map.of("x.go", "package evil\n"));
        String evilHash = DirHash.ofZip(evilZip);
        GoSumDbServer server = start(GoSumDbServer.Options.named(NAME)
                .withRecords(records(List.of("example.com/victim v1.2.3", fixedRecord(1), fixedRecord(2))))
                .withProxyDir(proxyDir)
                .forging("example.com/victim@v1.2.3", evilHash));

        SumDbException refused = assertRefused(
                SumDbException.class,
                () -> verifyFile(verifierFor(server), "example.com/victim", "v1.2.3", RequestKind.ZIP, evilZip),
                "example.com/victim@v1.2.3",
                "inclusion proof fails");
        assertFalse(refused instanceof ChecksumMismatchException);
    }

    @Test
    void treeHeadSignedWithAnotherKeyIsRefused() throws Exception {
        GoSumDbServer trusted = start(GoSumDbServer.Options.named(NAME).withRecords(records(List.of(fixedRecord(1)))));
        GoSumDbServer impostor = start(GoSumDbServer.Options.named(NAME).withRecords(records(List.of(fixedRecord(1)))));
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(trusted.verifierKey()), fetcherOf(impostor));

        assertRefused(
                SumDbException.class,
                () -> verifier.provenHash("example.com/filler1", "v1.0.1", RequestKind.ZIP),
                "no signature by the checksum database key " + NAME);
        assertFalse(verifier.latestTree().isPresent());
    }

    @Test
    void newerTreesMustExtendTheLatestVerifiedOne() throws Exception {
        Path keyFile = dir.resolve("key");
        Path proxyDir = dir.resolve("proxy");
        Path grown = ProxyDirModules.write(proxyDir, "example.com/new", "v1.0.0", Map.of("n.go", "package n\n"));
        GoSumDbServer honest = start(GoSumDbServer.Options.named(NAME)
                .withKeyFile(keyFile)
                .withProxyDir(proxyDir)
                .withRecords(records(List.of(fixedRecord(1), fixedRecord(2), fixedRecord(3)))));
        GoSumDbServer forked = database(List.of(fixedRecord(1), fixedRecord(20), fixedRecord(3), fixedRecord(4)));
        SwitchableFetcher fetcher = new SwitchableFetcher(fetcherOf(honest));
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(honest.verifierKey()), fetcher);

        verifier.provenHash("example.com/filler2", "v1.0.2", RequestKind.ZIP);
        assertEquals(3L, verifier.latestTree().orElseThrow().size());
        // Looking up a module the log does not have yet makes it grow: an honest extension.
        verifyFile(verifier, "example.com/new", "v1.0.0", RequestKind.ZIP, grown);
        assertEquals(4L, verifier.latestTree().orElseThrow().size());

        fetcher.target = fetcherOf(forked);
        assertRefused(
                SumDbException.class,
                () -> verifier.provenHash("example.com/filler4", "v1.0.4", RequestKind.ZIP),
                "checksum database is inconsistent");
        assertEquals(4L, verifier.latestTree().orElseThrow().size());
    }

    @Test
    void aRestartedVerifierStillDetectsAForkFromTheTreeHeadItKept() throws Exception {
        GoSumDbServer honest = database(List.of(fixedRecord(1), fixedRecord(2), fixedRecord(3)));
        GoSumDbServer forked = database(List.of(fixedRecord(1), fixedRecord(20), fixedRecord(3), fixedRecord(4)));
        VerifierKey key = VerifierKey.parse(honest.verifierKey());
        List<byte[]> kept = new ArrayList<>();
        new SumDbVerifier(key, fetcherOf(honest), (tree, note) -> kept.add(note))
                .provenHash("example.com/filler2", "v1.0.2", RequestKind.ZIP);
        assertEquals(1, kept.size());

        SumDbVerifier restarted = new SumDbVerifier(key, fetcherOf(forked));
        assertEquals(3L, restarted.verifiedTree(kept.get(0)).size());

        assertRefused(
                SumDbException.class,
                () -> restarted.provenHash("example.com/filler4", "v1.0.4", RequestKind.ZIP),
                "checksum database is inconsistent");
    }

    @Test
    void recordAboutAnotherModuleIsRefused() throws Exception {
        GoSumDbServer server =
                start(GoSumDbServer.Options.named(NAME).withRecords(records(List.of(fixedRecord(1), fixedRecord(2)))));
        SumDbFetcher genuine = fetcherOf(server);
        SumDbFetcher swapping = path -> genuine.fetch(path.replace("filler2@v1.0.2", "filler1@v1.0.1"));

        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(server.verifierKey()), swapping);
        assertRefused(
                SumDbException.class,
                () -> verifier.provenHash("example.com/filler2", "v1.0.2", RequestKind.ZIP),
                "example.com/filler2@v1.0.2",
                "is not about");
    }

    @Test
    void moduleTheDatabaseDoesNotKnowIsReportedAsNotFound() throws Exception {
        GoSumDbServer server = start(GoSumDbServer.Options.named(NAME).withRecords(records(List.of(fixedRecord(1)))));

        assertRefused(
                SumDbNotFoundException.class,
                () -> verifierFor(server).provenHash("example.com/unknown", "v1.0.0", RequestKind.ZIP),
                "example.com/unknown@v1.0.0: not found in checksum database " + NAME);
    }

    @Test
    void hostileAnswersGiveClearErrors() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add(fixedRecord(i));
        }
        GoSumDbServer server = start(GoSumDbServer.Options.named(NAME).withRecords(records(lines)));
        VerifierKey key = VerifierKey.parse(server.verifierKey());
        SumDbFetcher genuine = fetcherOf(server);

        assertHostileLookupRefused(
                key, genuine, path -> "garbage".getBytes(StandardCharsets.UTF_8), null, "malformed lookup answer");
        assertHostileLookupRefused(
                key, genuine, path -> "-5\nx\n\n".getBytes(StandardCharsets.UTF_8), null, "record id \"-5\"");
        assertHostileLookupRefused(
                key,
                genuine,
                null,
                body -> body.replaceFirst("^10\n", "9000\n"),
                "record 9000 is beyond the signed tree 300");
        assertHostileLookupRefused(
                key, genuine, null, body -> body.replace("\n300\n", "\n301\n"), "invalid signature by " + NAME);
        assertHostileLookupRefused(
                key, genuine, null, body -> body.substring(0, body.indexOf("\u2014")), "malformed note");
        assertHostileLookupRefused(
                key,
                genuine,
                null,
                body -> body.replaceFirst(" v1.0.10 h1:", " v1.0.10 h1:AAAA"),
                "inclusion proof fails");
        SumDbFetcher shortTiles = path -> {
            byte[] data = genuine.fetch(path);
            return path.startsWith("tile/") ? java.util.Arrays.copyOf(data, data.length - 1) : data;
        };
        SumDbException truncated = assertRefused(
                SumDbException.class,
                () -> new SumDbVerifier(key, shortTiles)
                        .provenHash("example.com/filler10", "v1.0.10", RequestKind.ZIP));
        assertTrue(
                truncated.getMessage().matches(".*tile/8/\\d/\\d{3}(\\.p/\\d+)? has \\d+ bytes, want \\d+"),
                truncated.getMessage());
        SumDbFetcher flippedTiles = path -> {
            byte[] data = genuine.fetch(path);
            if (path.startsWith("tile/")) {
                data[data.length - 1] ^= 1;
            }
            return data;
        };
        SumDbException flipped = assertRefused(
                SumDbException.class,
                () -> new SumDbVerifier(key, flippedTiles)
                        .provenHash("example.com/filler10", "v1.0.10", RequestKind.ZIP),
                "example.com/filler10@v1.0.10");
        assertTrue(
                flipped.getMessage()
                        .matches(".*(tiles do not hash to the signed tree 300|does not match its parent tile).*"),
                flipped.getMessage());
    }

    private static void assertHostileLookupRefused(
            VerifierKey key,
            SumDbFetcher genuine,
            SumDbFetcher lookupAnswer,
            UnaryOperator<String> rewrite,
            String message) {
        SumDbFetcher hostile = path -> {
            if (!path.startsWith("lookup/")) {
                return genuine.fetch(path);
            }
            if (lookupAnswer != null) {
                return lookupAnswer.fetch(path);
            }
            return rewrite.apply(new String(genuine.fetch(path), StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8);
        };
        assertRefused(
                SumDbException.class,
                () -> new SumDbVerifier(key, hostile).provenHash("example.com/filler10", "v1.0.10", RequestKind.ZIP),
                "example.com/filler10@v1.0.10",
                message);
    }

    private static final class SwitchableFetcher implements SumDbFetcher {
        volatile SumDbFetcher target;

        SwitchableFetcher(SumDbFetcher target) {
            this.target = target;
        }

        @Override
        public byte[] fetch(String path) throws SumDbException {
            return target.fetch(path);
        }
    }

    /** Records 0 to 299 of one log, and the same with record 50, in the first full tile, changed: a fork. */
    private static List<List<String>> honestAndForked300() throws Exception {
        List<String> honest = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            honest.add(fixedRecord(i));
        }
        List<String> forked = new ArrayList<>(honest);
        forked.set(50, fixedRecord(1050));
        return List.of(honest, forked);
    }

    /**
     * A forked tree's full tiles hash to its own signed root: proven against it, they went into the tiles shared by
     * every proof, and the honest tree that came next was refused as a fork.
     */
    @Test
    void aForkedTreesTilesDoNotPoisonTheProofOfTheHonestTreeThatComesNext() throws Exception {
        List<String> honest = honestAndForked300().get(0);
        List<String> forked = honestAndForked300().get(1);
        GoSumDbServer honest100 = database(honest.subList(0, 100));
        GoSumDbServer honest300 = database(honest);
        GoSumDbServer forked300 = database(forked);
        SwitchableFetcher source = new SwitchableFetcher(fetcherOf(honest100));
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(honest100.verifierKey()), source);
        verifier.verifiedTree(fetcherOf(honest100).fetch("latest"));

        source.target = fetcherOf(forked300);
        assertRefused(
                SumDbForkException.class,
                () -> verifier.verifiedTree(fetcherOf(forked300).fetch("latest")),
                "tree 300");
        assertEquals(100L, verifier.latestTree().orElseThrow().size());

        source.target = fetcherOf(honest300);
        assertEquals(
                300L,
                verifier.verifiedTree(fetcherOf(honest300).fetch("latest")).size(),
                "the honest tree of 300 extends the verified tree of 100");
        assertEquals(fakeHash("zip50"), verifier.provenHash("example.com/filler50", "v1.0.50", RequestKind.ZIP));
    }

    /** The control of the test above: without the fork in between, the same trees are one history. */
    @Test
    void theHonestTreeOf300ExtendsTheTreeOf100() throws Exception {
        List<String> honest = honestAndForked300().get(0);
        GoSumDbServer honest100 = database(honest.subList(0, 100));
        GoSumDbServer honest300 = database(honest);
        SwitchableFetcher source = new SwitchableFetcher(fetcherOf(honest100));
        SumDbVerifier verifier = new SumDbVerifier(VerifierKey.parse(honest100.verifierKey()), source);
        verifier.verifiedTree(fetcherOf(honest100).fetch("latest"));

        source.target = fetcherOf(honest300);
        assertEquals(
                300L,
                verifier.verifiedTree(fetcherOf(honest300).fetch("latest")).size());
    }
}
