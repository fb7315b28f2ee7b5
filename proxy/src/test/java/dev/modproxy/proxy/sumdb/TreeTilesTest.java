package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The tiles of trees too large for a signed head the verifier takes ({@link TreeHead#parse} refuses more than
 * {@link TreeHead#MAX_SIZE} records), as a TreeHead built directly can still name: TreeTiles must still end. Java
 * takes a long's shift distance modulo 64 ({@code size >> 64 == size}), so counting the levels of such a tree until
 * its row is empty never ended.
 */
class TreeTilesTest {

    private static final LogHash ROOT = LogHash.ofRecord("a root".getBytes(StandardCharsets.UTF_8));

    /** A source of tiles of zero hashes, as wide as asked. */
    private static final TileSource ZEROS = tile -> new byte[tile.width() * LogHash.SIZE];

    @Test
    void theRightEdgeOfTheLargestTreeALongCountsStopsAtTheEighthLevel() {
        TreeTiles tiles = new TreeTiles(new TreeHead(Long.MAX_VALUE, ROOT), 8, ZEROS);

        Set<Tile> edge = assertTimeoutPreemptively(
                Duration.ofSeconds(10), () -> tiles.tilesToFetch(nodes -> nodes.node(0, Long.MAX_VALUE - 1)));

        // 2^63 - 1 records: 255 in the partial tile of each of the levels 0 to 6, and 127 at level 7, the top
        Set<Tile> expected = new HashSet<>();
        for (int level = 0; level < 7; level++) {
            expected.add(new Tile(8, level, (Long.MAX_VALUE >> (8 * level)) >> 8, 255));
        }
        expected.add(new Tile(8, 7, 0, 127));
        assertEquals(expected, edge);
    }

    @Test
    void aTreeOneRecordPastTheLargestSignedHeadHasOnePartialTileAtTheEighthLevel() {
        long size = TreeHead.MAX_SIZE + 1; // 2^56: one node at level 7, no partial tile below it
        TreeTiles tiles = new TreeTiles(new TreeHead(size, ROOT), 8, ZEROS);

        Set<Tile> edge =
                assertTimeoutPreemptively(Duration.ofSeconds(10), () -> tiles.tilesToFetch(nodes -> nodes.node(56, 0)));

        assertEquals(List.of(new Tile(8, 7, 0, 1)), edge.stream().toList());
    }

    @Test
    void aProofOverSuchATreeEndsInARefusalOfTheTilesNotAHang() {
        TreeTiles tiles = new TreeTiles(new TreeHead(Long.MAX_VALUE, ROOT), 8, ZEROS);

        assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertRefused(
                        SumDbException.class, () -> tiles.node(0, Long.MAX_VALUE - 1), "tiles do not hash"));
    }
}
