package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Hashes and proofs read from tiles agree with the tree hash of RFC 6962 computed from the leaves. */
class TransparentLogTest {

    /** A log held in memory, its tree hash computed by the RFC's recursive definition. */
    private record Log(List<LogHash> leaves) {
        static Log of(int size, int seed) {
            List<LogHash> leaves = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                leaves.add(LogHash.ofRecord(("record " + seed + "/" + i + "\n").getBytes(StandardCharsets.UTF_8)));
            }
            return new Log(leaves);
        }

        LogHash merkleHash(int lo, int hi) {
            if (hi - lo == 1) {
                return leaves.get(lo);
            }
            int k = Integer.highestOneBit(hi - lo - 1);
            return LogHash.ofNode(merkleHash(lo, lo + k), merkleHash(lo + k, hi));
        }

        TreeHead head(int size) {
            return new TreeHead(size, merkleHash(0, size));
        }

        /** Tiles as a database serves them: the hashes of one tree level, 2^height per tile. */
        TileSource tiles(int height) {
            return tile -> {
                byte[] data = new byte[tile.width() * LogHash.SIZE];
                int level = tile.level() * height;
                for (int i = 0; i < tile.width(); i++) {
                    int lo = (int) (((tile.number() << height) + i) << level);
                    merkleHash(lo, lo + (1 << level)).copyTo(data, i * LogHash.SIZE);
                }
                return data;
            };
        }
    }

    @Property(tries = 200)
    void treeHashFromTilesEqualsTheDirectTreeHash(
            @ForAll @IntRange(min = 1, max = 700) int size,
            @ForAll @IntRange(min = 1, max = 8) int height,
            @ForAll int seed)
            throws SumDbException {
        Log log = Log.of(size, seed);
        TreeHead head = log.head(size);

        assertEquals(head.hash(), TransparentLog.treeHash(size, new TreeTiles(head, height, log.tiles(height))));
    }

    @Property(tries = 200)
    void everyRecordHasAnInclusionProofAndNoOtherRecordFitsIt(
            @ForAll @IntRange(min = 1, max = 600) int size,
            @ForAll @IntRange(min = 0, max = 599) int indexSeed,
            @ForAll @IntRange(min = 1, max = 8) int height)
            throws SumDbException {
        int index = indexSeed % size;
        Log log = Log.of(size, size);
        TreeHead head = log.head(size);
        List<LogHash> proof = TransparentLog.recordProof(index, size, new TreeTiles(head, height, log.tiles(height)));

        assertDoesNotThrow(() ->
                TransparentLog.checkRecord(proof, head, index, log.leaves().get(index)));
        LogHash forged = LogHash.ofRecord("forged\n".getBytes(StandardCharsets.UTF_8));
        assertRefused(
                SumDbException.class,
                () -> TransparentLog.checkRecord(proof, head, index, forged),
                "inclusion proof fails");
        if (size > 1) {
            int other = (index + 1) % size;
            assertRefused(
                    SumDbException.class,
                    () -> TransparentLog.checkRecord(
                            proof, head, other, log.leaves().get(index)));
        }
    }

    /** The tiles a proof reads from its source, each as often as it reads it. */
    private static List<Tile> tilesRead(TileSource source, TreeTiles.ProofSteps steps, TreeHead head, int height)
            throws SumDbException {
        List<Tile> read = new ArrayList<>();
        steps.run(new TreeTiles(head, height, tile -> {
            read.add(tile);
            return source.read(tile);
        }));
        return read;
    }

    @Property(tries = 300)
    void theTilesToFetchForAProofAreTheTilesItReads(
            @ForAll @IntRange(min = 1, max = 700) int size,
            @ForAll @IntRange(min = 0, max = 699) int seed,
            @ForAll @IntRange(min = 1, max = 8) int height)
            throws SumDbException {
        // what is read ahead for a record's proof and a tree's consistency proof is what the proofs then read
        Log log = Log.of(size, size);
        TreeHead head = log.head(size);
        int index = seed % size;
        int oldSize = 1 + seed % size;
        List<TreeTiles.ProofSteps> proofs = List.of(
                nodes -> TransparentLog.recordProof(index, size, nodes),
                nodes -> TransparentLog.treeProof(oldSize, size, nodes));
        for (TreeTiles.ProofSteps proof : proofs) {
            List<Tile> read = tilesRead(log.tiles(height), proof, head, height);

            Set<Tile> toFetch = new TreeTiles(head, height, log.tiles(height)).tilesToFetch(proof);

            assertEquals(new HashSet<>(read), toFetch, "size " + size + ", index " + index + ", old size " + oldSize);
            assertEquals(read.size(), toFetch.size(), "a proof reads no tile twice: " + read);
        }
    }

    @Property(tries = 200)
    void everyPrefixOfTheLogIsProvenConsistentAndAForkIsNot(
            @ForAll @IntRange(min = 1, max = 600) int newSize,
            @ForAll @IntRange(min = 1, max = 600) int oldSeed,
            @ForAll @IntRange(min = 1, max = 8) int height)
            throws SumDbException {
        int oldSize = 1 + (oldSeed - 1) % newSize;
        Log log = Log.of(newSize, 7);
        TreeHead newer = log.head(newSize);
        TreeHead older = log.head(oldSize);
        List<LogHash> proof =
                TransparentLog.treeProof(oldSize, newSize, new TreeTiles(newer, height, log.tiles(height)));

        assertDoesNotThrow(() -> TransparentLog.checkTree(proof, newer, older));
        TreeHead fork = Log.of(oldSize, 8).head(oldSize);
        if (oldSize < newSize) {
            assertRefused(SumDbException.class, () -> TransparentLog.checkTree(proof, newer, fork), "inconsistent");
        }
    }

    @Example
    void aPartialTileNotKeptIsCutFromTheFullTileKeptSinceTheLogGrew() throws SumDbException {
        int height = 2;
        Log log = Log.of(16, 3);
        TreeHead older = log.head(6); // its right edge: tiles 0/1 and 1/0 are partial, full in the grown log
        TileSource keptFullTilesOnly = tile -> {
            if (tile.isPartial()) {
                throw new SumDbSources.Miss(tile.path());
            }
            return log.tiles(height).read(tile);
        };

        assertEquals(older.hash(), TransparentLog.treeHash(6, new TreeTiles(older, height, keptFullTilesOnly)));
    }

    @Property(tries = 100)
    void aTileThatDoesNotBelongToTheSignedTreeIsRefused(
            @ForAll @IntRange(min = 2, max = 600) int size,
            @ForAll @IntRange(min = 1, max = 4) int height,
            @ForAll @IntRange(min = 0, max = 599) int indexSeed) {
        int index = indexSeed % size;
        Log log = Log.of(size, 1);
        Log other = Log.of(size, 2);
        TreeHead head = log.head(size);
        TileSource mixed =
                tile -> (tile.number() % 2 == 0 ? other : log).tiles(height).read(tile);
        TileSource wrong = other.tiles(height);

        assertRefused(
                SumDbException.class, () -> new TreeTiles(head, height, wrong).node(0, index), "tiles do not hash");
        SumDbException mixedRefusal =
                assertRefused(SumDbException.class, () -> new TreeTiles(head, height, mixed).node(0, index));
        assertTrue(
                mixedRefusal.getMessage().contains("tiles do not hash")
                        || mixedRefusal.getMessage().contains("does not match its parent tile"),
                mixedRefusal.getMessage());
    }
}
