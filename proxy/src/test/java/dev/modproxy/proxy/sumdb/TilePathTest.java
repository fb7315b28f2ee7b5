package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class TilePathTest {

    @Property
    void everyTilePathParsesBackToItsTile(
            @ForAll @IntRange(min = 1, max = 30) int height,
            @ForAll @IntRange(min = -1, max = 40) int level,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long number,
            @ForAll @IntRange(min = 1) int widthSeed)
            throws SumDbException {
        int width = 1 + widthSeed % (1 << height);
        Tile tile = new Tile(height, level, number, width);

        assertEquals(tile, Tile.parse(tile.path()));
    }

    @Property
    void smallTileNumbersRoundTripToo(@ForAll @LongRange(min = 0, max = 5_000_000) long number) throws SumDbException {
        Tile tile = new Tile(8, 0, number, 256);

        assertEquals(tile, Tile.parse(tile.path()));
    }

    @Example
    void numbersAreWrittenInThreeDigitGroups() {
        assertEquals("tile/8/0/x001/x234/067", new Tile(8, 0, 1_234_067, 256).path());
        assertEquals("tile/8/1/000.p/5", new Tile(8, 1, 0, 5).path());
        assertEquals("tile/8/data/x001/000.p/255", new Tile(8, Tile.DATA_LEVEL, 1000, 255).path());
        assertEquals("tile/8/2/x001/x000/000", new Tile(8, 2, 1_000_000, 256).path());
    }

    @Example
    void nonCanonicalOrHostilePathsAreRefused() {
        for (String path : new String[] {
            "tile/8/0/1",
            "tile/8/0/0001",
            "tile/8/0/x000/001",
            "tile/8/0/001/002",
            "tile/8/0/x01/002",
            "tile/8/0/001.p/0",
            "tile/8/0/001.p/256",
            "tile/8/0/001.p/05",
            "tile/8/-1/001",
            "tile/0/0/000",
            "tile/31/0/000",
            "tile/8/00/000",
            "tile/8/0/../000",
            "tile/8/0/",
            "tile/8/0",
            "tiles/8/0/000",
            "tile/8/0/000.p/",
            "tile/8/0/000.p/1/2",
            "tile/8/data/x999/x999/x999/x999/x999/x999/x999/000"
        }) {
            assertRefused(SumDbException.class, () -> Tile.parse(path), "malformed tile path " + path);
        }
    }
}
