package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.GoSumDb;
import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.testing.MutableClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoredPiecesTest {

    private static final int TILE_BYTES = 8 << 10;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    private final StoredPieces pieces = new StoredPieces(clock);

    private static StorageKey tile(int n) {
        return new StorageKey("sumdb/sum.example.com/tile/8/0/" + n);
    }

    @Test
    void thePiecesKeptNeverTakeMoreThanTheirBytes() {
        int written = (int) (3 * StoredPieces.MAX_BYTES / TILE_BYTES);
        for (int i = 0; i < written; i++) {
            pieces.present(tile(i), new byte[TILE_BYTES], clock.instant());
        }

        long keptBytes = 0;
        int kept = 0;
        for (int i = 0; i < written; i++) {
            StoredPieces.Piece piece = pieces.present(tile(i));
            if (piece != null) {
                keptBytes += piece.bytes().length;
                kept++;
            }
        }
        assertTrue(keptBytes <= StoredPieces.MAX_BYTES, keptBytes + " bytes kept");
        assertTrue(kept < written, "some of the " + written + " pieces were dropped");
        assertTrue(keptBytes >= StoredPieces.MAX_BYTES / 2, "most of the bound is used: " + keptBytes + " bytes kept");
    }

    @Test
    void anAbsenceIsBelievedForItsTimeOnly() {
        pieces.absent(tile(1));
        clock.advance(StoredPieces.ABSENCE.minusMillis(1));
        assertTrue(pieces.knownAbsent(tile(1)));

        clock.advance(Duration.ofMillis(1));
        assertFalse(pieces.knownAbsent(tile(1)), "asked again once its time is over");
    }

    @Test
    void aPieceSeenReplacesAnAbsenceAndAnAbsenceAPiece() {
        Instant storedAt = clock.instant();
        pieces.absent(tile(1));
        pieces.present(tile(1), new byte[] {1}, storedAt);
        assertFalse(pieces.knownAbsent(tile(1)));
        assertEquals(storedAt, pieces.present(tile(1)).storedAt());

        pieces.absent(tile(1));
        assertNull(pieces.present(tile(1)));
        assertTrue(pieces.knownAbsent(tile(1)));

        pieces.present(tile(2), new byte[] {2}, storedAt);
        pieces.forget(tile(1));
        pieces.forget(tile(2));
        assertFalse(pieces.knownAbsent(tile(1)));
        assertNull(pieces.present(tile(2)));
    }

    @Test
    void noneRemembersNothing() {
        StoredPieces.NONE.present(tile(1), new byte[] {1}, clock.instant());
        StoredPieces.NONE.absent(tile(2));

        assertNull(StoredPieces.NONE.present(tile(1)));
        assertFalse(StoredPieces.NONE.knownAbsent(tile(2)));
    }

    /** A local disk that answers as a bucket does (not local), counting its lookups. */
    private static final class CountedBucket extends ForwardingStorage {
        final AtomicInteger lookups = new AtomicInteger();

        CountedBucket(Storage disk) {
            super(disk);
        }

        @Override
        public boolean lookupIsLocal() {
            return false;
        }

        @Override
        public Optional<StoredObject> lookup(StorageKey key) throws IOException {
            lookups.incrementAndGet();
            return super.lookup(key);
        }
    }

    @Test
    void onlyPiecesKeptAsProvenAreRemembered() throws Exception {
        CountedBucket bucket = new CountedBucket(new LocalDiskStorage(dir));
        VerifierKey key = VerifierKey.parse(GoSumDb.SUM_GOLANG_ORG_KEY);
        String path = "tile/8/0/000";
        byte[] tile = {1, 2, 3};
        try (StorageWriter writer = bucket.openWriter(new StorageKey("sumdb/" + key.name() + "/" + path))) {
            writer.output().write(tile);
            writer.commit();
        }
        SumDbFetcher unreachable = p -> {
            throw new SumDbUnreachableException("no database in this test: " + p);
        };
        Instant beforeItWasKept = Instant.EPOCH;
        Instant afterItWasKept = Instant.now().plus(Duration.ofDays(1));

        SumDbCache proven = new SumDbCache(
                key, unreachable, bucket, Duration.ofMinutes(1), clock, beforeItWasKept, (tree, note) -> {});
        assertArrayEquals(tile, proven.read(path).orElseThrow());
        assertArrayEquals(tile, proven.read(path).orElseThrow());
        assertEquals(1, bucket.lookups.get(), "a proven piece is read from the bucket once");

        SumDbCache olderVersion = new SumDbCache(
                key, unreachable, bucket, Duration.ofMinutes(1), clock, afterItWasKept, (tree, note) -> {});
        assertNotNull(olderVersion.read(path).orElseThrow());
        assertNotNull(olderVersion.read(path).orElseThrow());
        assertEquals(3, bucket.lookups.get(), "a piece kept unproven (by an older version) is never remembered");
    }
}
