package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.storage.StorageKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;

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

    /** Heap for the pieces' bytes: a thousand hash tiles, or a few hundred data tiles. */
    static final long MAX_BYTES = 8L << 20;
    /** Paths remembered at all, most of them misses of a few bytes each. */
    static final int MAX_PIECES = 16_384;
    /**
     * A miss is believed this long: through one proof, which otherwise asks again for each tile it lacks. A piece
     * another replica stores meanwhile is found after it; until then this one fetches it from the database.
     */
    static final Duration ABSENCE = Duration.ofSeconds(10);

    /** Remembers nothing: every question goes to the storage. */
    static final StoredPieces NONE = new StoredPieces(Clock.systemUTC(), 0, 0);

    /** A kept piece and when the storage took it (its freshness, for the pieces that have one). */
    record Piece(byte[] bytes, Instant storedAt) {}

    /** bytes null: found missing at storedAt. */
    private final LinkedHashMap<StorageKey, Piece> pieces = new LinkedHashMap<>(64, 0.75f, true);

    private final Clock clock;
    private final long maxBytes;
    private final int maxPieces;
    private long bytes;

    StoredPieces(Clock clock) {
        this(clock, MAX_BYTES, MAX_PIECES);
    }

    private StoredPieces(Clock clock, long maxBytes, int maxPieces) {
        this.clock = clock;
        this.maxBytes = maxBytes;
        this.maxPieces = maxPieces;
    }

    /** The piece the storage holds under key, as last read or written; null when not known to be there. */
    synchronized Piece present(StorageKey key) {
        Piece piece = pieces.get(key);
        return piece == null || piece.bytes() == null ? null : piece;
    }

    /** Whether the storage was found without key within {@link #ABSENCE}. */
    synchronized boolean knownAbsent(StorageKey key) {
        Piece piece = pieces.get(key);
        if (piece == null || piece.bytes() != null) {
            return false;
        }
        if (piece.storedAt().plus(ABSENCE).isAfter(clock.instant())) {
            return true;
        }
        pieces.remove(key);
        return false;
    }

    synchronized void present(StorageKey key, byte[] content, Instant storedAt) {
        put(key, new Piece(content, storedAt));
    }

    synchronized void absent(StorageKey key) {
        put(key, new Piece(null, clock.instant()));
    }

    synchronized void forget(StorageKey key) {
        drop(pieces.remove(key));
    }

    private void put(StorageKey key, Piece piece) {
        drop(pieces.put(key, piece));
        bytes += weight(piece);
        Iterator<Piece> eldest = pieces.values().iterator();
        while ((bytes > maxBytes || pieces.size() > maxPieces) && eldest.hasNext()) {
            Piece dropped = eldest.next();
            eldest.remove();
            drop(dropped);
        }
    }

    private void drop(Piece piece) {
        if (piece != null) {
            bytes -= weight(piece);
        }
    }

    private static long weight(Piece piece) {
        return piece.bytes() == null ? 0 : piece.bytes().length;
    }
}
