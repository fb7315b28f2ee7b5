package dev.modproxy.proxy.sumdb;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.modproxy.proxy.cache.EntryWeight;
import dev.modproxy.proxy.storage.StorageKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * What a remote storage (a bucket) holds of the checksum database, as this proxy last saw it: the proven pieces it
 * read or wrote there, and for a moment the pieces it found missing. One proof asks the store for the same tile
 * several times (planning the tiles it reads ahead, the edge it must prove whole, the tile itself, the comparison
 * before keeping it: one tile six times for one cold module), and the next module's proof asks for most of them
 * again: with the bucket 100 ms away each ask was a round trip. A piece's bytes never change under its path
 * once proven (a tile is fixed by its log position and width, a lookup is kept only as proven), so the bytes seen
 * are the bytes stored; a removal the storage reports is forgotten here too.
 */
final class StoredPieces {

    /** Heap for the pieces and their keys ({@link EntryWeight}): a thousand hash tiles, or a few hundred data tiles. */
    static final long MAX_BYTES = 8L << 20;
    /** Heap for the paths found missing, counted by their characters: some sixteen thousand of them. */
    static final long MAX_ABSENT_BYTES = 2L << 20;
    /**
     * A miss is believed this long: through one proof, which otherwise asks again for each tile it lacks. A piece
     * another replica stores meanwhile is found after it; until then this one fetches it from the database.
     */
    static final Duration ABSENCE = Duration.ofSeconds(10);

    /** Remembers nothing (caches bounded at zero drop what they are given): every question goes to the storage. */
    static final StoredPieces NONE = new StoredPieces(Clock.systemUTC(), 0, 0);

    /** A kept piece and when the storage took it (its freshness, for the pieces that have one). */
    record Piece(byte[] bytes, Instant storedAt) {}

    private final Cache<StorageKey, Piece> present;
    private final Cache<StorageKey, Boolean> absent;

    StoredPieces(Clock clock) {
        this(clock, MAX_BYTES, MAX_ABSENT_BYTES);
    }

    StoredPieces(Clock clock, long maxBytes, long maxAbsentBytes) {
        // evictions on the caller's thread: no pool, and the bounds hold when a put returns
        this.present = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .<StorageKey, Piece>weigher((key, piece) -> EntryWeight.of(key.value()) + piece.bytes().length)
                .executor(Runnable::run)
                .build();
        this.absent = Caffeine.newBuilder()
                .maximumWeight(maxAbsentBytes)
                .<StorageKey, Boolean>weigher((key, missing) -> EntryWeight.of(key.value()))
                .expireAfterWrite(ABSENCE)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .build();
    }

    /** The piece the storage holds under key, as last read or written; null when not known to be there. */
    Piece present(StorageKey key) {
        return present.getIfPresent(key);
    }

    /** Whether the storage was found without key within {@link #ABSENCE}. */
    boolean knownAbsent(StorageKey key) {
        return absent.getIfPresent(key) != null;
    }

    void present(StorageKey key, byte[] content, Instant storedAt) {
        present.put(key, new Piece(content, storedAt));
        absent.invalidate(key);
    }

    void absent(StorageKey key) {
        absent.put(key, Boolean.TRUE);
        present.invalidate(key);
    }

    void forget(StorageKey key) {
        present.invalidate(key);
        absent.invalidate(key);
    }
}
