package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The checksum database's answers kept in the proxy's storage under sumdb/&lt;name&gt;/: lookups
 * and full tiles forever, latest and partial tiles for a short TTL and served stale when the
 * database cannot be reached. Nothing is kept before it is proven ({@link SumDbVerifier#proven}):
 * a lying upstream cannot plant a piece that would make modules fail verification later.
 */
public final class SumDbCache implements SumDbFetcher, SumDbStore {

    private static final Logger LOG = Logger.getLogger(SumDbCache.class);

    private final VerifierKey key;
    private final SumDbVerifier verifier;
    private final Storage storage;
    private final Duration mutableTtl;
    private final Clock clock;
    private final Instant provenSince;
    private final ConcurrentHashMap<String, CompletableFuture<Served>> inflight = new ConcurrentHashMap<>();
    /** What a remote storage holds, as last seen; {@link StoredPieces#NONE} when the storage is a local disk. */
    private final StoredPieces seen;

    /**
     * @param origin where pieces come from (upstream proxies, then the database)
     * @param provenSince pieces stored before this were not proven with key (kept by an older version unproven, or
     *     under another key of the same database name): they are proven again before use, and never served stale
     */
    public SumDbCache(
            VerifierKey key,
            SumDbFetcher origin,
            Storage storage,
            Duration mutableTtl,
            Clock clock,
            Instant provenSince,
            SumDbVerifier.LatestTreeListener latestTreeListener) {
        this.key = key;
        this.storage = storage;
        this.mutableTtl = mutableTtl;
        this.clock = clock;
        this.provenSince = provenSince;
        this.verifier = new SumDbVerifier(key, origin, this, latestTreeListener);
        // a disk read is a file read the page cache already holds; a bucket read is a round trip
        this.seen = storage.lookupIsLocal() ? StoredPieces.NONE : new StoredPieces(clock);
        if (seen != StoredPieces.NONE) {
            storage.addRemovalListener(seen::forget);
        }
    }

    public SumDbCache(VerifierKey key, SumDbFetcher origin, Storage storage, Duration mutableTtl, Clock clock) {
        this(key, origin, storage, mutableTtl, clock, Instant.EPOCH, (tree, note) -> {});
    }

    /** The verifier that proves what this cache keeps; it asks this cache first for what was proven before. */
    public SumDbVerifier verifier() {
        return verifier;
    }

    @Override
    public byte[] fetch(String path) throws SumDbException {
        return answer(SumDbPath.parse(path));
    }

    public byte[] answer(SumDbPath path) throws SumDbException {
        return serve(path).bytes();
    }

    /**
     * A piece as served: its bytes, and how long it stays fresh here (a mutable piece: what is left of its TTL, none
     * once stale; an immutable one never changes). The latest tree head is the newer of the one kept and the one the
     * verifier verified since, by way of a lookup whose record names a newer tree: both are notes the database signed,
     * and a go command that saw the newer tree through a lookup is best served a latest no older.
     */
    public Served serve(SumDbPath path) throws SumDbException {
        if (!path.equals(SumDbPath.LATEST)) {
            return kept(path);
        }
        Served kept;
        try {
            kept = kept(path);
        } catch (SumDbUnreachableException e) {
            // no source answers and no head proven with this key is kept (the one kept was stored before the marker:
            // by a version that kept it unproven, or under another key): the tree verified before a restart still is.
            // A source's wrong answer (a fork) is no outage: it is refused as it was, whatever was verified before.
            SumDbVerifier.SignedTree verified = verifier.latestSignedTree().orElseThrow(() -> e);
            LOG.warnf("serving the verified %s stale: %s", verified.tree(), e.getMessage());
            return new Served(verified.note(), Duration.ZERO);
        }
        SumDbVerifier.SignedTree verified = verifier.latestSignedTree().orElse(null);
        if (verified == null || Arrays.equals(verified.note(), kept.bytes())) {
            return kept;
        }
        long keptSize;
        try {
            keptSize =
                    TreeHead.parse(SignedNote.verifiedText(kept.bytes(), key)).size();
        } catch (SumDbException e) {
            keptSize = -1; // cannot be, as it was kept as proven with this key; the verified one is, whatever it says
        }
        return verified.tree().size() > keptSize ? new Served(verified.note(), kept.freshFor()) : kept;
    }

    /** A piece's bytes as served, and how long this cache serves them before it asks its sources again. */
    public record Served(byte[] bytes, Duration freshFor) {}

    private Served served(byte[] bytes, Instant storedAt) {
        Duration left = Duration.between(clock.instant(), storedAt.plus(mutableTtl));
        return new Served(bytes, left.isNegative() ? Duration.ZERO : left);
    }

    private Served kept(SumDbPath path) throws SumDbException {
        StorageKey storageKey = storageKey(path.path());
        StoredPieces.Piece known = seen(path.path()).present(storageKey);
        if (known != null && (path.immutable() || isFresh(known.storedAt()))) {
            return served(known.bytes(), known.storedAt());
        }
        Optional<StoredObject> stored = lookup(path.path());
        // a mutable piece too must have been proven with this key: one kept under another is no answer, fresh or not
        if (stored.isPresent() && isProven(stored.get()) && (path.immutable() || isFresh(stored.get()))) {
            Instant storedAt = stored.get().lastModified();
            Kept kept = readKept(path.path(), stored.get());
            if (kept.proven()) {
                return served(kept.bytes(), storedAt);
            }
            // stored since the marker but signed with another key (a replica still running with it): proven again
        } else {
            stored.ifPresent(StoredObject::release);
        }
        // One proof per path however many requests wait for it.
        CompletableFuture<Served> mine = new CompletableFuture<>();
        CompletableFuture<Served> running = inflight.putIfAbsent(path.path(), mine);
        if (running != null) {
            return join(running);
        }
        try {
            Served fresh = served(verifier.proven(path), clock.instant());
            mine.complete(fresh);
            return fresh;
        } catch (SumDbException e) {
            // the proof may have dropped the stored piece as false: only a piece still kept, and kept as proven with
            // this key, is served stale
            Optional<StoredObject> still = e instanceof SumDbNotFoundException ? Optional.empty() : lookup(path.path());
            if (still.isPresent() && !isProven(still.get())) {
                still.get().release();
                still = Optional.empty();
            }
            Kept kept = still.isPresent() ? readKept(path.path(), still.get()) : null;
            if (kept != null && kept.proven()) {
                LOG.warnf("serving stale %s: %s", storageKey, e.getMessage());
                Served stale = new Served(kept.bytes(), Duration.ZERO);
                mine.complete(stale);
                return stale;
            }
            mine.completeExceptionally(e);
            throw e;
        } finally {
            // whatever else ended the proof (a defect, an Error, the stale copy failing to read) ends the joined
            // requests' wait too; a no-op once the proof has completed them
            mine.completeExceptionally(new SumDbException("the proof of " + path.path() + " ended without an answer"));
            inflight.remove(path.path(), mine);
        }
    }

    private StorageKey storageKey(String path) {
        return storageKey(key, path);
    }

    /**
     * Where a piece of the database named by key is kept: sumdb/&lt;name&gt;/&lt;path&gt;, the ':' before the port
     * of a database named host:port written '+', which a storage key takes and a name never holds (note's names
     * have no '+'), so no two databases share a folder.
     */
    static StorageKey storageKey(VerifierKey key, String path) {
        return new StorageKey("sumdb/" + key.name().replace(':', '+') + "/" + path);
    }

    private boolean isFresh(StoredObject object) {
        return isFresh(object.lastModified());
    }

    private boolean isFresh(Instant storedAt) {
        return storedAt.plus(mutableTtl).isAfter(clock.instant());
    }

    /**
     * Whether a stored piece may have been proven with this cache's key: stored since the marker. A lookup or tree
     * head must also carry a signature by the key ({@link #signedWithKey}): a replica still running with the old key
     * during a roll-out stores its pieces after the marker too.
     */
    private boolean isProven(StoredObject object) {
        return !object.lastModified().isBefore(provenSince);
    }

    /**
     * Whether a kept lookup or tree head is signed with this cache's key (one signature check): one stored under the
     * same name by a replica with another key is not, and a go command with this key refuses it ("note has no
     * verifiable signatures"). A tile carries no signature: it is taken as it is.
     */
    private boolean signedWithKey(String path, byte[] bytes) {
        try {
            if (path.equals(SumDbPath.LATEST.path())) {
                SignedNote.verifiedText(bytes, key);
            } else if (path.startsWith("lookup/")) {
                SignedNote.verifiedText(LookupAnswer.parse(bytes).signedTree(), key);
            }
            return true;
        } catch (SumDbException e) {
            LOG.debugf("the kept %s of checksum database %s is not signed with %s: %s", path, key.name(), key, e);
            return false;
        }
    }

    @Override
    public Optional<byte[]> read(String path) throws SumDbException {
        StorageKey storageKey = storageKey(path);
        StoredPieces pieces = seen(path);
        StoredPieces.Piece known = pieces.present(storageKey);
        if (known != null) {
            return Optional.of(known.bytes());
        }
        if (pieces.knownAbsent(storageKey)) {
            return Optional.empty();
        }
        Optional<StoredObject> stored = lookup(path);
        return stored.isEmpty()
                ? Optional.empty()
                : Optional.of(readKept(path, stored.get()).bytes());
    }

    /** Writes a proven piece unless the same bytes are already kept (and were kept as proven). */
    @Override
    public void keep(String path, byte[] proven) {
        StorageKey storageKey = storageKey(path);
        StoredPieces pieces = seen(path);
        StoredPieces.Piece known = pieces.present(storageKey);
        if (known != null && MessageDigest.isEqual(known.bytes(), proven)) {
            return;
        }
        try {
            Optional<StoredObject> stored = pieces.knownAbsent(storageKey)
                    ? Optional.empty() // the proof began with this miss: no need to ask again
                    : storage.lookup(storageKey);
            boolean same = stored.isPresent()
                    && !path.equals("latest")
                    && isProven(stored.get())
                    && stored.get().size() == proven.length
                    && MessageDigest.isEqual(read(stored.get()), proven);
            stored.ifPresent(StoredObject::release);
            if (same) {
                pieces.present(storageKey, proven, stored.get().lastModified());
                return;
            }
        } catch (IOException | SumDbException e) {
            LOG.debugf(e, "cannot compare %s with the kept copy; writing it", storageKey);
        }
        try (StorageWriter writer = storage.openWriter(storageKey)) {
            writer.output().write(proven);
            StoredObject stored = writer.commit();
            stored.release(); // served from memory, not from this object
            pieces.present(storageKey, proven, stored.lastModified());
        } catch (IOException e) {
            // Still a proven answer: serve it, and try to store it again next time.
            LOG.warnf("cannot store %s: %s", storageKey, e.getMessage());
        }
    }

    @Override
    public void discard(String path) {
        seen(path).forget(storageKey(path));
        try {
            storage.delete(storageKey(path));
        } catch (IOException e) {
            LOG.warnf("cannot drop %s: %s", storageKey(path), e.getMessage());
        }
    }

    private Optional<StoredObject> lookup(String path) throws SumDbException {
        StorageKey storageKey = storageKey(path);
        try {
            Optional<StoredObject> stored = storage.lookup(storageKey);
            if (stored.isEmpty()) {
                seen(path).absent(storageKey);
            }
            return stored;
        } catch (IOException e) {
            throw new SumDbException("cannot read " + storageKey + " from the cache: " + e.getMessage(), e);
        }
    }

    /** A kept piece's bytes, and whether it was kept as proven with this cache's key. */
    private record Kept(byte[] bytes, boolean proven) {}

    /** Reads a kept piece (releasing object), and remembers it when it was kept as proven with this cache's key. */
    private Kept readKept(String path, StoredObject object) throws SumDbException {
        boolean proven = isProven(object);
        Instant storedAt = object.lastModified();
        byte[] bytes = read(object);
        proven = proven && signedWithKey(path, bytes);
        if (proven) {
            seen(path).present(object.key(), bytes, storedAt);
        }
        return new Kept(bytes, proven);
    }

    /**
     * What the storage is known to hold under path; nothing for a local disk, and nothing of the latest tree head,
     * which is rewritten at every refresh, by every replica.
     */
    private StoredPieces seen(String path) {
        return path.equals(SumDbPath.LATEST.path()) ? StoredPieces.NONE : seen;
    }

    private static byte[] read(StoredObject object) throws SumDbException {
        try (InputStream in = object.open()) {
            return in.readNBytes(MAX_ANSWER_BYTES);
        } catch (IOException e) {
            throw new SumDbException("cannot read " + object.key() + " from the cache: " + e.getMessage(), e);
        } finally {
            object.release();
        }
    }

    private static Served join(CompletableFuture<Served> running) throws SumDbException {
        try {
            return running.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SumDbException cause) {
                throw cause;
            }
            throw e;
        }
    }
}
