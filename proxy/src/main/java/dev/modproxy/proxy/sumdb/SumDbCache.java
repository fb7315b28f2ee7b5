package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The checksum database's answers kept in the proxy's storage under sumdb/&lt;name&gt;/: lookups
 * and full tiles forever, latest and partial tiles for a short TTL and served stale when the
 * database cannot be reached. Answers are checked before they are stored, so a hostile
 * upstream cannot plant an answer that no client could ever verify.
 */
public final class SumDbCache implements SumDbFetcher {

    private static final Logger LOG = Logger.getLogger(SumDbCache.class);

    private final VerifierKey key;
    private final SumDbFetcher origin;
    private final Storage storage;
    private final Duration mutableTtl;
    private final Clock clock;
    private final ConcurrentHashMap<String, CompletableFuture<byte[]>> inflight = new ConcurrentHashMap<>();

    public SumDbCache(VerifierKey key, SumDbFetcher origin, Storage storage, Duration mutableTtl, Clock clock) {
        this.key = key;
        this.origin = origin;
        this.storage = storage;
        this.mutableTtl = mutableTtl;
        this.clock = clock;
    }

    @Override
    public byte[] fetch(String path) throws SumDbException {
        return answer(SumDbPath.parse(path));
    }

    public byte[] answer(SumDbPath path) throws SumDbException {
        StorageKey storageKey = new StorageKey("sumdb/" + key.name() + "/" + path.path());
        Optional<StoredObject> stored = lookup(storageKey);
        if (stored.isPresent() && (path.immutable() || isFresh(stored.get()))) {
            return read(stored.get());
        }
        // One origin fetch per path however many requests wait for it.
        CompletableFuture<byte[]> mine = new CompletableFuture<>();
        CompletableFuture<byte[]> running = inflight.putIfAbsent(path.path(), mine);
        if (running != null) {
            return join(running);
        }
        try {
            byte[] fresh = origin.fetch(path.path());
            path.checkAnswer(fresh, key);
            store(storageKey, fresh);
            mine.complete(fresh);
            return fresh;
        } catch (SumDbException e) {
            if (stored.isPresent() && !(e instanceof SumDbNotFoundException)) {
                LOG.warnf("serving stale %s: %s", storageKey, e.getMessage());
                byte[] stale = read(stored.get());
                mine.complete(stale);
                return stale;
            }
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inflight.remove(path.path(), mine);
        }
    }

    private boolean isFresh(StoredObject object) {
        return object.lastModified().plus(mutableTtl).isAfter(clock.instant());
    }

    private Optional<StoredObject> lookup(StorageKey storageKey) throws SumDbException {
        try {
            return storage.lookup(storageKey);
        } catch (IOException e) {
            throw new SumDbException("cannot read " + storageKey + " from the cache: " + e.getMessage(), e);
        }
    }

    private static byte[] read(StoredObject object) throws SumDbException {
        try (InputStream in = object.open()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SumDbException("cannot read " + object.key() + " from the cache: " + e.getMessage(), e);
        }
    }

    private void store(StorageKey storageKey, byte[] data) {
        try (StorageWriter writer = storage.openWriter(storageKey)) {
            writer.output().write(data);
            writer.commit();
        } catch (IOException e) {
            // Still a good answer: serve it, and try to store it again next time.
            LOG.warnf("cannot store %s: %s", storageKey, e.getMessage());
        }
    }

    private static byte[] join(CompletableFuture<byte[]> running) throws SumDbException {
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
