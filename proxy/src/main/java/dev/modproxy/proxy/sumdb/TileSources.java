package dev.modproxy.proxy.sumdb;

/**
 * Where a proof gets its tiles: one or more sources asked in order until the tiles one of them
 * gives pass the proof, and a place to keep tiles once they are proven.
 */
public interface TileSources {

    /** One try of a proof against the tiles of a single source; throws when they do not prove out. */
    @FunctionalInterface
    interface Attempt<T> {
        T from(TileSource source) throws SumDbException;
    }

    /**
     * The result of the first source whose tiles pass {@code attempt}; a source whose tiles fail is
     * passed over for the next one, never trusted.
     */
    <T> T firstProven(String what, Attempt<T> attempt) throws SumDbException;

    /** Told about each tile once it is proven (its path's content, as wide as the tile says). */
    void keep(Tile tile, byte[] proven);

    /**
     * The tile's bytes as kept from an earlier proof (of this tree or another of its history), or null: a candidate
     * only, which a proof uses beside a source's tiles and checks against its own signed root like any other.
     */
    default byte[] kept(Tile tile) {
        return null;
    }

    /** A single source whose tiles are kept nowhere. */
    static TileSources of(TileSource source) {
        return new TileSources() {
            @Override
            public <T> T firstProven(String what, Attempt<T> attempt) throws SumDbException {
                return attempt.from(source);
            }

            @Override
            public void keep(Tile tile, byte[] proven) {}
        };
    }
}
