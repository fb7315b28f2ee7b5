package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.cache.BoundedThreads;
import dev.modproxy.proxy.protocol.CaseEncoding;
import dev.modproxy.proxy.protocol.RequestKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Checks module files against a checksum database the way the go command does: the record
 * comes from a lookup, its tree head must carry the database's signature, the record must be
 * proven in that tree with tiles, and every tree seen must extend the latest one verified.
 *
 * <p>It also proves every piece of the database the proxy serves before the piece is kept: a
 * lookup after its record's inclusion proof, a hash tile after it hashes to its parent tile or
 * the signed tree head, a data tile after its records hash to the proven record hashes, a tree
 * head after its signature and its consistency with the latest verified tree. A source whose
 * piece fails its proof is passed over for the next source; a kept piece that fails is dropped.
 */
public final class SumDbVerifier {

    private static final Logger LOG = Logger.getLogger(SumDbVerifier.class);

    public static final int TILE_HEIGHT = 8;
    private static final Pattern MODULE_PATH = Pattern.compile("[A-Za-z0-9._~+/-]+");
    private static final Pattern VERSION = Pattern.compile("v[A-Za-z0-9._+-]+");
    /** A request for a tile beyond the verified tree asks the database for a newer tree at most this often. */
    private static final long LATEST_REFRESH_NANOS = Duration.ofSeconds(5).toNanos();

    /**
     * Reads the tiles of proofs ahead, each proof's all at once; a tile they cannot take is read by its proof. A proof
     * reads up to a dozen tiles and eight run at once ({@link SumDbArtifactVerifier}): with fewer readers than the
     * tiles wanted at once, the rest wait a round trip for a reader, which is the wait reading ahead is for.
     */
    private static final int TILE_READER_THREADS = 64;

    private static final ExecutorService TILE_READERS = tileReaders();

    private final VerifierKey key;
    private final SumDbFetcher fetcher;
    private final SumDbStore store;
    private final Map<String, LookupAnswer> provenRecords = lru(10_000);
    private final Map<String, CompletableFuture<ProvenLookup>> lookupsInFlight = new ConcurrentHashMap<>();
    /**
     * Tile reads shared by the proofs under way, by path: read ahead ({@link #readTilesAhead}) or asked by a proof of
     * the first source ({@link #readingAhead}); each kept while a proof that wants it runs, so proofs at once fetch
     * a tile once. Guarded by itself.
     */
    private final Map<String, SharedRead> tileReads = new HashMap<>();
    /**
     * The shared reads the lookup proof on this thread holds until it ends: those read ahead, and those it asked
     * itself ({@link #readingAhead}), so a proof running beside it that wants the tile later takes it too.
     */
    private final ThreadLocal<Map<String, SharedRead>> heldByProof = new ThreadLocal<>();

    /** Full tiles proven for verified trees: tiles of the one history, the same in every tree that holds them. */
    private final Map<Tile, byte[]> provenFullTiles = lru(1_024);
    /**
     * Tree heads found not to be one history with a verified tree: each is said once in a SECURITY line whatever its
     * note carries, and refused at once when shown again, without its proof's tiles fetched again. A fork stays one:
     * every later verified tree extends the one it contradicted, so it contradicts them all.
     */
    private final Map<TreeHead, Boolean> forks = lru(1_024);

    private final LatestTreeListener latestTreeListener;
    private final TileSources tileSources = new TileSources() {
        @Override
        public <T> T firstProven(String what, Attempt<T> attempt) throws SumDbException {
            return SumDbVerifier.this.firstProven(
                    what, true, source -> attempt.from(tile -> source.fetch(tile.path())));
        }

        @Override
        public void keep(Tile tile, byte[] proven) {
            store.keep(tile.path(), proven);
        }

        @Override
        public byte[] kept(Tile tile) {
            return keptForProof(tile);
        }
    };
    private TreeHead latest;
    /** The database's signed note of {@link #latest}. */
    private byte[] latestNote;

    private long latestRefreshedAt;
    private boolean latestRefreshed;

    /**
     * Told each time a newer tree head is verified, so it can be kept across restarts. Told under the verifier's
     * lock, which every proof that sees a newer tree takes: it must not wait for storage ({@link VerifiedTreeWriter}).
     */
    @FunctionalInterface
    public interface LatestTreeListener {
        void latestTreeVerified(TreeHead tree, byte[] signedNote);
    }

    /**
     * @param fetcher where unproven pieces come from, one source at a time ({@link SumDbFetcher#sources()})
     * @param store   asked first for pieces proven earlier, and given every piece once it is proven
     */
    public SumDbVerifier(
            VerifierKey key, SumDbFetcher fetcher, SumDbStore store, LatestTreeListener latestTreeListener) {
        this.key = key;
        this.fetcher = fetcher;
        this.store = store;
        this.latestTreeListener = latestTreeListener;
    }

    public SumDbVerifier(VerifierKey key, SumDbFetcher fetcher, LatestTreeListener latestTreeListener) {
        this(key, fetcher, SumDbStore.NONE, latestTreeListener);
    }

    public SumDbVerifier(VerifierKey key, SumDbFetcher fetcher) {
        this(key, fetcher, (tree, note) -> {});
    }

    public String databaseName() {
        return key.name();
    }

    /** Throws unless actual, an artifact's h1: hash, is the one the database proves for module@version. */
    public void verify(String module, String version, RequestKind artifact, String actual) throws SumDbException {
        String expected = provenHash(module, version, artifact);
        if (!expected.equals(actual)) {
            throw new ChecksumMismatchException(module, version, artifact, expected, actual);
        }
    }

    /** The h1: hash the checksum database records for the artifact, after proving the record. */
    public String provenHash(String module, String version, RequestKind artifact) throws SumDbException {
        checkModuleVersion(module, version);
        String modVer = module + "@" + version;
        LookupAnswer record = provenRecords.get(modVer);
        if (record == null) {
            record = provenLookup(module, version).record();
        }
        String hash = record.hashFor(module, version, artifact);
        if (hash == null) {
            throw new SumDbException(modVer + ": checksum database record has no " + artifact.suffix() + " hash");
        }
        return hash;
    }

    /**
     * The answer to a request for path, proven first (and kept in the store): what the proxy
     * serves to go commands. Throws {@link SumDbNotFoundException} when the database has no such
     * piece, or the piece lies beyond every tree the database has signed.
     */
    public byte[] proven(SumDbPath path) throws SumDbException {
        if (path.tile() != null) {
            return provenTile(path.tile());
        }
        if (path.path().equals("latest")) {
            return provenLatest();
        }
        String modVer = path.path().substring("lookup/".length());
        int at = modVer.lastIndexOf('@');
        String module;
        String version;
        try {
            module = CaseEncoding.decode(modVer.substring(0, at));
            version = CaseEncoding.decode(modVer.substring(at + 1));
        } catch (IllegalArgumentException e) {
            throw new SumDbException("invalid module@version in " + path.path() + ": " + e.getMessage());
        }
        checkModuleVersion(module, version);
        return provenLookup(module, version).answer();
    }

    private static void checkModuleVersion(String module, String version) throws SumDbException {
        if (!MODULE_PATH.matcher(module).matches()
                || module.contains("..")
                || !VERSION.matcher(version).matches()) {
            throw new SumDbException("invalid module version " + module + "@" + version);
        }
    }

    private record ProvenLookup(byte[] answer, LookupAnswer record) {}

    /**
     * The proven lookup of module@version, asked of the sources once however many callers want it at once: a cold
     * zip and the go.mod it brings are verified side by side, and each would otherwise fetch the lookup and every
     * tile of its proof.
     */
    private ProvenLookup provenLookup(String module, String version) throws SumDbException {
        String modVer = module + "@" + version;
        CompletableFuture<ProvenLookup> mine = new CompletableFuture<>();
        CompletableFuture<ProvenLookup> theirs = lookupsInFlight.putIfAbsent(modVer, mine);
        if (theirs != null) {
            return awaited(theirs, modVer);
        }
        try {
            ProvenLookup proven = lookUp(module, version);
            mine.complete(proven);
            return proven;
        } catch (SumDbException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            lookupsInFlight.remove(modVer, mine);
        }
    }

    /** Another thread's lookup or tile read of what: its result, or its failure as it failed. */
    private static <T> T awaited(CompletableFuture<T> work, String what) throws SumDbException {
        try {
            return work.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SumDbUnreachableException(what + ": interrupted while the checksum database was asked", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SumDbException failure) {
                throw failure;
            }
            throw e.getCause() instanceof RuntimeException failure ? failure : new IllegalStateException(e.getCause());
        }
    }

    private ProvenLookup lookUp(String module, String version) throws SumDbException {
        String modVer = module + "@" + version;
        String path = "lookup/" + escape(module) + "@" + escape(version);
        ProvenLookup proven;
        try {
            proven = firstProven(path, true, source -> {
                byte[] answer = source.fetch(path);
                return new ProvenLookup(answer, proveRecord(module, version, answer));
            });
        } catch (SumDbNotFoundException e) {
            throw new SumDbNotFoundException(
                    modVer + ": not found in checksum database " + key.name() + ": " + e.getMessage());
        } catch (SumDbPathRefusedException e) {
            throw new SumDbPathRefusedException(e.status(), modVer + ": " + e.getMessage(), e);
        } catch (SumDbUnreachableException e) {
            throw new SumDbUnreachableException(modVer + ": " + e.getMessage(), e);
        }
        store.keep(path, proven.answer());
        provenRecords.put(modVer, proven.record());
        return proven;
    }

    /** The record of a lookup answer, once it is proven to be in the signed tree the answer names. */
    private LookupAnswer proveRecord(String module, String version, byte[] answer) throws SumDbException {
        String modVer = module + "@" + version;
        Map<String, SharedRead> readAhead = Map.of();
        try {
            LookupAnswer record = LookupAnswer.parse(answer);
            readAhead = readTilesAhead(record);
            heldByProof.set(readAhead);
            TreeHead tree = verifiedTree(record.signedTree());
            if (record.recordId() >= tree.size()) {
                throw new SumDbException("record " + record.recordId() + " is beyond the signed " + tree);
            }
            NodeReader nodes = treeTiles(tree);
            List<LogHash> proof = TransparentLog.recordProof(record.recordId(), tree.size(), nodes);
            TransparentLog.checkRecord(proof, tree, record.recordId(), LogHash.ofRecord(record.record()));
            if (record.hashFor(module, version, RequestKind.MOD) == null
                    && record.hashFor(module, version, RequestKind.ZIP) == null) {
                throw new SumDbException("record " + record.recordId() + " is not about " + modVer);
            }
            return record;
        } catch (SumDbUnreachableException e) {
            throw e;
        } catch (SumDbException e) {
            // a tile missing while proving is a failed proof of this answer, not "no such module"
            throw new SumDbException(modVer + ": checksum database " + key.name() + ": " + e.getMessage(), e);
        } finally {
            heldByProof.remove();
            readAhead.forEach(this::release);
        }
    }

    /**
     * One read of a tile from the first remote source, shared by every proof that wants the tile while any of them
     * runs: its bytes (null: kept, or not read ahead, so each asks the source itself) or its failure, as the source
     * answered; each proof checks the bytes as it checks any source's answer.
     */
    private static final class SharedRead {
        final CompletableFuture<byte[]> read = new CompletableFuture<>();
        /** The proofs that hold it; guarded by {@link #tileReads}. */
        int users = 1;
    }

    /** A shared read as one proof holds it: mine when that proof started it and is to do it. */
    private record HeldRead(SharedRead shared, boolean mine) {}

    /**
     * The read of path that proofs under way share, joined; a new one, the caller's to do, when there is none, or
     * when the one there failed (a failure is seen by the proofs that waited for it, not by one that asks after it).
     */
    private HeldRead share(String path) {
        synchronized (tileReads) {
            SharedRead shared = tileReads.get(path);
            if (shared != null && !shared.read.isCompletedExceptionally()) {
                shared.users++;
                return new HeldRead(shared, false);
            }
            shared = new SharedRead();
            tileReads.put(path, shared);
            return new HeldRead(shared, true);
        }
    }

    /** A proof is done with a shared read: forgotten once no proof holds it. */
    private void release(String path, SharedRead shared) {
        synchronized (tileReads) {
            if (--shared.users == 0) {
                tileReads.remove(path, shared);
            }
        }
    }

    /**
     * Starts fetching, all at once, the tiles that proving record will read and the store does not keep from the
     * first remote source (the first upstream proxy, or the database), which the proof then takes as that source's
     * answers ({@link #firstProven}); a tile another proof under way reads is not read again, its read is shared.
     * Read one after the other, a proof is a round trip per tile: the right edge of its tree, a tile per level, and
     * the same again for the tree's consistency with the latest one. Nothing read ahead is trusted more than any
     * fetch: the proof checks it as it would have checked the source's answer.
     *
     * @return the reads this proof holds, by path, to be released once it is done
     */
    private Map<String, SharedRead> readTilesAhead(LookupAnswer record) {
        Map<String, SharedRead> held = new HashMap<>();
        try {
            TreeHead recordTree = TreeHead.parse(SignedNote.verifiedText(record.signedTree(), key));
            Set<Tile> tiles = new LinkedHashSet<>();
            if (record.recordId() < recordTree.size()) {
                tiles.addAll(treeTiles(recordTree)
                        .tilesToFetch(
                                nodes -> TransparentLog.recordProof(record.recordId(), recordTree.size(), nodes)));
            }
            TreeHead current = latestTree().orElse(null);
            if (current != null
                    && current.size() != recordTree.size()
                    && Math.min(current.size(), recordTree.size()) > 0) {
                TreeHead older = current.size() < recordTree.size() ? current : recordTree;
                TreeHead newer = older == current ? recordTree : current;
                tiles.addAll(treeTiles(newer)
                        .tilesToFetch(nodes -> TransparentLog.treeProof(older.size(), newer.size(), nodes)));
            }
            SumDbFetcher first = fetcher.sources().get(0);
            for (Tile tile : tiles) {
                String path = tile.path();
                HeldRead read = share(path);
                held.put(path, read.shared());
                if (!read.mine()) {
                    continue; // read ahead for another proof
                }
                CompletableFuture<byte[]> future = read.shared().read;
                try {
                    TILE_READERS.execute(() -> {
                        try {
                            // a kept tile is read from the store before any source, beside the edge tiles a source
                            // gives (TreeTiles.proveRightEdge): nothing to fetch (null)
                            future.complete(keptTile(tile) != null ? null : first.fetch(path));
                        } catch (SumDbException | RuntimeException e) {
                            future.completeExceptionally(e);
                        }
                    });
                } catch (RejectedExecutionException e) {
                    future.complete(null); // the proofs fetch it themselves
                }
            }
        } catch (SumDbException e) {
            // a note or record that fails is the proof's to report; it reads nothing ahead
        }
        return held;
    }

    /**
     * The tile as kept, for a proof: when a read of it is under way, that read's finding (it reads the store first, a
     * round trip to a bucket) is waited for rather than the store asked again beside it.
     */
    private byte[] keptForProof(Tile tile) {
        SharedRead shared;
        synchronized (tileReads) {
            shared = tileReads.get(tile.path());
        }
        if (shared != null) {
            try {
                if (shared.read.get() != null) {
                    return null; // not kept when it was read: the source's answer is the tile's candidate
                }
            } catch (ExecutionException e) {
                return null; // not kept, and the source failed: the proof asks again and fails as it does
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return keptTile(tile);
    }

    /** The tile as kept from an earlier proof, or null (none, or the store cannot be read). */
    private byte[] keptTile(Tile tile) {
        try {
            return store.read(tile.path()).orElse(null);
        } catch (SumDbException e) {
            LOG.debugf("the kept %s cannot be read: %s", tile.path(), e.getMessage());
            return null;
        }
    }

    /**
     * The first remote source, answering a tile from the read the proofs under way share when there is one, else
     * reading it once for every proof that asks meanwhile.
     */
    private SumDbFetcher readingAhead(SumDbFetcher first) {
        return path -> {
            if (!path.startsWith("tile/")) {
                return first.fetch(path);
            }
            Map<String, SharedRead> proof = heldByProof.get();
            SharedRead holding = proof != null ? proof.get(path) : null;
            if (holding != null) {
                // the read this proof holds, failed or not: a failure is the proof's as it is every other waiter's
                byte[] data = awaited(holding.read, path);
                return data != null ? data : first.fetch(path);
            }
            HeldRead held = share(path);
            CompletableFuture<byte[]> read = held.shared().read;
            boolean heldOn = proof != null && proof.putIfAbsent(path, held.shared()) == null;
            try {
                if (held.mine()) {
                    try {
                        byte[] data = first.fetch(path);
                        read.complete(data);
                        return data;
                    } catch (SumDbException | RuntimeException e) {
                        read.completeExceptionally(e);
                        throw e;
                    } finally {
                        read.completeExceptionally(new SumDbException(path + ": the read ended without an answer"));
                    }
                }
                byte[] data = awaited(read, path);
                return data != null ? data : first.fetch(path);
            } finally {
                if (!heldOn) {
                    release(path, held.shared());
                }
            }
        };
    }

    /** A signed tree head from the first source whose head is signed and consistent with the latest verified one. */
    private byte[] provenLatest() throws SumDbException {
        synchronized (this) {
            latestRefreshed = true;
            latestRefreshedAt = System.nanoTime();
        }
        byte[] note = firstProven("latest", false, source -> {
            byte[] candidate = source.fetch("latest");
            verifiedTree(candidate);
            return candidate;
        });
        store.keep("latest", note);
        return note;
    }

    /** Refuses a tree head proven forked before, with the latest verified tree as the evidence it contradicts. */
    private void refuseKnownFork(TreeHead tree, byte[] signedNote) throws SumDbForkException {
        byte[] latestVerifiedNote;
        TreeHead latestVerified;
        synchronized (this) {
            latestVerified = latest;
            latestVerifiedNote = latestNote;
        }
        LOG.debugf("checksum database %s: refused %s again, the fork said before", key.name(), tree);
        throw new SumDbForkException(
                "checksum database signed " + tree + ", found before not to be one history with " + latestVerified,
                latestVerifiedNote,
                signedNote);
    }

    /**
     * A hash tile is the prefix of the same tile of a verified tree that covers it (tiles of one
     * log never change, they only grow), proven there; a data tile must hash to the proven
     * record hashes of its level-0 tile.
     */
    private byte[] provenTile(Tile tile) throws SumDbException {
        if (tile.height() != TILE_HEIGHT) {
            throw new SumDbException("tile height must be " + TILE_HEIGHT + ": " + tile.path());
        }
        int level = tile.isData() ? 0 : tile.level();
        long nodes = (tile.number() << TILE_HEIGHT) + tile.width();
        if ((long) level * TILE_HEIGHT >= 62
                || tile.number() > (Long.MAX_VALUE >> TILE_HEIGHT) - 1
                || nodes > Long.MAX_VALUE >> (level * TILE_HEIGHT)) {
            throw new SumDbNotFoundException(tile.path() + " is beyond any tree the database could sign");
        }
        TreeHead tree = treeOfAtLeast(nodes << (level * TILE_HEIGHT), tile.path());
        byte[] hashes = Arrays.copyOf(treeTiles(tree).tile(level, tile.number()), tile.width() * LogHash.SIZE);
        byte[] answer = tile.isData() ? provenData(tile, hashes) : hashes;
        store.keep(tile.path(), answer);
        return answer;
    }

    private byte[] provenData(Tile tile, byte[] recordHashes) throws SumDbException {
        return firstProven(tile.path(), true, source -> {
            byte[] data = source.fetch(tile.path());
            DataTile.check(data, tile, recordHashes);
            return data;
        });
    }

    /** The latest verified tree when it has at least size records, else a newer one asked of the database. */
    private TreeHead treeOfAtLeast(long size, String what) throws SumDbException {
        TreeHead current;
        boolean mayRefresh;
        synchronized (this) {
            current = latest;
            mayRefresh = current == null
                    || !latestRefreshed
                    || System.nanoTime() - latestRefreshedAt >= LATEST_REFRESH_NANOS;
        }
        if (current != null && current.size() >= size) {
            return current;
        }
        if (!mayRefresh) {
            throw new SumDbNotFoundException(what + " is beyond the signed " + current);
        }
        provenLatest();
        current = latestTree().orElseThrow();
        if (current.size() < size) {
            throw new SumDbNotFoundException(what + " is beyond the signed " + current);
        }
        return current;
    }

    /**
     * Verifies a signed tree head and that it and the latest verified tree are one history, and makes it the latest
     * when it is newer. The proof reads tiles over the network, so it runs outside the lock, against the latest tree
     * as it was; the lock is taken again only to advance the latest tree if it is still that one, and when another
     * proof advanced it meanwhile a newer tree is checked again against the newer latest (it only ever grows). Holding
     * the lock across the proof made one slow tile stall every verification and every answer of the database.
     */
    public TreeHead verifiedTree(byte[] signedNote) throws SumDbException {
        TreeHead tree = TreeHead.parse(SignedNote.verifiedText(signedNote, key));
        if (forks.containsKey(tree)) {
            refuseKnownFork(tree, signedNote);
        }
        UnverifiedTreeTiles ownTiles = null; // proven against tree's own root: good for every round
        while (true) {
            TreeHead current;
            byte[] currentNote;
            synchronized (this) {
                if (latest == null) {
                    advanceLatest(tree, signedNote);
                    return tree;
                }
                if (latest.equals(tree)) {
                    return tree;
                }
                current = latest;
                currentNote = latestNote;
            }
            if (ownTiles == null && tree.size() > current.size()) {
                ownTiles = new UnverifiedTreeTiles(tree);
            }
            checkOneHistory(current, currentNote, tree, signedNote, ownTiles);
            if (tree.size() < current.size()) {
                // A prefix of a verified tree is a prefix of every tree verified after it: each later latest was
                // proven to extend the one before (the latest only advances so), and a prefix of a prefix is a
                // prefix. The go command stops here for an older tree too; proving it again against a latest that
                // moved meanwhile fetched tiles again, could fail in an outage, and could go on while it moved.
                // Its own tiles, proven in an earlier round against its root, are now tiles of the one history: kept,
                // or the proof of a record in it fetched its right edge again.
                if (ownTiles != null) {
                    ownTiles.adopt();
                }
                return tree;
            }
            boolean advanced = false;
            synchronized (this) {
                if (latest.equals(current)) {
                    advanceLatest(tree, signedNote);
                    advanced = true;
                }
            }
            if (advanced) {
                ownTiles.adopt(); // outside the lock: keeping them writes to storage
                return tree;
            }
            // another proof advanced it meanwhile: prove this tree against the newer one, with the tiles of its own
            // it proved already (they hash to its own root whichever tree is the latest); it extends the tree it was
            // proven against, but it and the newer latest may not be one history
        }
    }

    /**
     * Throws unless the tree of signedNote and the verified one are one history: the smaller a prefix of the larger,
     * proven with the larger one's tiles. When they are not, the database signed a fork: that is said once for each
     * refused tree head, as the go command says it, with both notes as the evidence, and counted apart from an outage.
     *
     * @param ownTiles when tree is the larger, its own tiles, which the proof reads and which are kept and shared
     *     only once it is the latest ({@link UnverifiedTreeTiles#adopt}); unused when it is the smaller (the verified
     *     tree's tiles prove it)
     */
    private void checkOneHistory(
            TreeHead verified, byte[] verifiedNote, TreeHead tree, byte[] signedNote, UnverifiedTreeTiles ownTiles)
            throws SumDbException {
        TreeHead older = tree.size() < verified.size() ? tree : verified;
        TreeHead newer = older == tree ? verified : tree;
        SumDbForkException fork;
        if (older.size() == newer.size()) {
            fork = new SumDbForkException(
                    "checksum database is inconsistent: " + older + " and " + newer, verifiedNote, signedNote);
        } else if (older.size() == 0) {
            return;
        } else {
            // a tile that fails or cannot be had is that source's failure, thrown as it is; the proof from proven
            // tiles failing is the fork
            NodeReader nodes = newer == tree ? ownTiles.nodes() : treeTiles(newer);
            List<LogHash> proof = TransparentLog.treeProof(older.size(), newer.size(), nodes);
            try {
                TransparentLog.checkTree(proof, newer, older);
                return;
            } catch (SumDbException e) {
                fork = new SumDbForkException(e.getMessage(), verifiedNote, signedNote);
            }
        }
        if (forks.put(tree, Boolean.TRUE) == null) {
            LOG.warnf(
                    "SECURITY: checksum database %s misbehaved: it signed %s, which is not one history with %s"
                            + " verified before (go.sum database server misbehavior detected, as the go command"
                            + " says); refused it. Verified note: %s Refused note: %s",
                    key.name(), tree, verified, fork.verifiedNote(), fork.refusedNote());
        } else {
            LOG.debugf("checksum database %s: refused %s again, the fork said before", key.name(), tree);
        }
        throw fork;
    }

    /**
     * The tiles of a tree head not verified yet, proven against its own signed root. They serve to prove whether it
     * and the verified tree are one history, a proof that holds only when both roots come out of it, wherever its
     * nodes were read; until the tree is verified they stand in for no one else's. A forked tree's tiles hash to its
     * signed root as well: shared with the other proofs, they made the honest tree's proof fail as a fork, and kept,
     * they were served to go commands as immutable tiles. So its tiles stay here (full tiles proven for verified
     * trees are read through, being the same in any tree of their history), a tile kept that fails here is not
     * dropped (the tree is in doubt, not the tile), and they are kept and shared once the tree is the latest.
     */
    private final class UnverifiedTreeTiles implements TileSources {
        /** Every tile proven here, full and partial, in the order proven. */
        private final Map<Tile, byte[]> provenHere = new LinkedHashMap<>();

        private final TreeTiles tiles;

        UnverifiedTreeTiles(TreeHead tree) {
            // what TreeTiles asks of the full tiles proven before (get, containsKey) is read here and then in the
            // shared map; what it adds (put) stays here
            Map<Tile, byte[]> fullTiles = new HashMap<>() {
                @Override
                public byte[] get(Object tile) {
                    byte[] mine = super.get(tile);
                    return mine != null ? mine : provenFullTiles.get(tile);
                }

                @Override
                public boolean containsKey(Object tile) {
                    return super.containsKey(tile) || provenFullTiles.containsKey(tile);
                }
            };
            this.tiles = new TreeTiles(tree, TILE_HEIGHT, this, fullTiles);
        }

        NodeReader nodes() {
            return tiles;
        }

        @Override
        public <T> T firstProven(String what, Attempt<T> attempt) throws SumDbException {
            return SumDbVerifier.this.firstProven(
                    what, true, false, source -> attempt.from(tile -> source.fetch(tile.path())));
        }

        @Override
        public void keep(Tile tile, byte[] proven) {
            provenHere.put(tile, proven);
        }

        /** Kept for a verified tree: a candidate beside this tree's own, proven against its root with them. */
        @Override
        public byte[] kept(Tile tile) {
            return keptForProof(tile);
        }

        /** Once the tree is the latest verified one: its tiles are tiles of the one history, kept and shared. */
        void adopt() {
            provenHere.forEach((tile, data) -> {
                store.keep(tile.path(), data);
                if (!tile.isPartial()) {
                    provenFullTiles.put(tile, data);
                }
            });
        }
    }

    /** Under the lock: tree is the newest verified tree, and the listener keeps it across restarts. */
    private void advanceLatest(TreeHead tree, byte[] signedNote) {
        latest = tree;
        latestNote = signedNote;
        latestTreeListener.latestTreeVerified(tree, signedNote);
    }

    public synchronized Optional<TreeHead> latestTree() {
        return Optional.ofNullable(latest);
    }

    /** A tree head and the note in which the database signed it. */
    public record SignedTree(TreeHead tree, byte[] note) {}

    /** The latest verified tree with its signed note, whichever proof verified it (a tree head, a lookup's record). */
    public synchronized Optional<SignedTree> latestSignedTree() {
        return latest == null ? Optional.empty() : Optional.of(new SignedTree(latest, latestNote));
    }

    private TreeTiles treeTiles(TreeHead tree) {
        return new TreeTiles(tree, TILE_HEIGHT, tileSources, provenFullTiles);
    }

    /**
     * The first result of attempt that proves out: from the store first (when asked to and there
     * is one; a kept piece that fails is dropped), then from each source of the fetcher.
     */
    private <T> T firstProven(String what, boolean storeFirst, SumDbSources.Attempt<T> attempt) throws SumDbException {
        return firstProven(what, storeFirst, true, attempt);
    }

    /**
     * @param dropFailedKept whether a kept piece that fails is dropped: not when the proof is against a tree not
     *     verified yet, which may be the one at fault ({@link UnverifiedTreeTiles})
     */
    private <T> T firstProven(String what, boolean storeFirst, boolean dropFailedKept, SumDbSources.Attempt<T> attempt)
            throws SumDbException {
        List<SumDbFetcher> sources = new ArrayList<>();
        KeptPieces kept = storeFirst && store != SumDbStore.NONE ? new KeptPieces() : null;
        if (kept != null) {
            sources.add(kept);
        }
        List<SumDbFetcher> remote = fetcher.sources();
        sources.add(readingAhead(remote.get(0)));
        sources.addAll(remote.subList(1, remote.size()));
        return SumDbSources.firstProven(key.name(), what, sources, source -> {
            if (source != kept) {
                return attempt.from(source);
            }
            try {
                return attempt.from(kept);
            } catch (SumDbNotFoundException | SumDbUnreachableException e) {
                throw e;
            } catch (SumDbException e) {
                if (!dropFailedKept) {
                    LOG.debugf("the kept %s does not prove a tree not verified yet: %s", what, e.getMessage());
                    throw new SumDbSources.Miss(what); // passed over for the sources, and kept
                }
                kept.discardAll();
                LOG.warnf(
                        "dropped the kept %s of checksum database %s: it fails its proof: %s",
                        what, key.name(), e.getMessage());
                throw new SumDbNotFoundException("kept " + what + " failed its proof and was dropped");
            }
        });
    }

    /** The store as a source, remembering what was read from it so a failed proof can drop it. */
    private final class KeptPieces implements SumDbFetcher {
        private final List<String> read = new ArrayList<>();

        @Override
        public byte[] fetch(String path) throws SumDbException {
            byte[] piece;
            try {
                piece = store.read(path).orElseThrow(() -> new SumDbSources.Miss(path));
            } catch (SumDbSources.Miss e) {
                throw e;
            } catch (SumDbException e) {
                throw new SumDbNotFoundException(path + " cannot be read where it is kept: " + e.getMessage());
            }
            read.add(path);
            return piece;
        }

        void discardAll() {
            read.forEach(store::discard);
        }
    }

    /** Module path and version as the proxy protocol spells them: "!x" for upper-case "X". */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (char c : text.toCharArray()) {
            if (c >= 'A' && c <= 'Z') {
                out.append('!').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The tile readers; package-private for the test of their threads. */
    static ThreadPoolExecutor tileReaders() {
        return BoundedThreads.pool("modproxy-sumdb-tile-reader", TILE_READER_THREADS, 1024, Duration.ofSeconds(30));
    }

    private static <K, V> Map<K, V> lru(int capacity) {
        return Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        });
    }

    @Override
    public String toString() {
        return "checksum database " + key.name();
    }
}
