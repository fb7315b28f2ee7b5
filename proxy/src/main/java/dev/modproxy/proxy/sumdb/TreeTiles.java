package dev.modproxy.proxy.sumdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The nodes of one signed tree, read from hash tiles. Every tile is proven before use: the
 * partial tiles on the tree's right edge by recomputing the signed root hash from them, a
 * full tile by its hash appearing in its (proven) parent tile. A source whose tile fails its
 * proof is passed over for the next source; only proven tiles are kept.
 */
public final class TreeTiles implements NodeReader {

    private final TreeHead tree;
    private final int height;
    private final TileSources sources;
    private final Map<Tile, byte[]> proven = new HashMap<>();
    private final Map<Tile, byte[]> provenFullTiles;

    /**
     * @param provenFullTiles full tiles proven for earlier trees (their contents never change);
     *                        tiles proven here are added to it
     */
    public TreeTiles(TreeHead tree, int height, TileSources sources, Map<Tile, byte[]> provenFullTiles) {
        this.tree = tree;
        this.height = height;
        this.sources = sources;
        this.provenFullTiles = provenFullTiles;
    }

    public TreeTiles(TreeHead tree, int height, TileSource source) {
        this(tree, height, TileSources.of(source), new HashMap<>());
    }

    /** The proven hashes of this tree's tile at level and number, as wide as the tree makes it. */
    public byte[] tile(int level, long number) throws SumDbException {
        if (level < 0 || level * height > 62 || number < 0 || (number << height) >= tree.size() >> (level * height)) {
            throw new SumDbException("tile " + level + "/" + number + " is not in the signed " + tree);
        }
        return proven(tileAt(level, number));
    }

    @Override
    public LogHash node(int level, long index) throws SumDbException {
        byte[] data = proven(tileHolding(level, index));
        int below = level % height;
        long first = index << below;
        int offset = (int) (first & ((1L << height) - 1));
        return subtree(data, offset, 1 << below);
    }

    /** The tile that holds the node at level and index (as the hashes of the level-th level below it). */
    private Tile tileHolding(int level, long index) throws SumDbException {
        if (level < 0 || level > 62 || index < 0 || index > (tree.size() >> level) - 1) {
            throw new SumDbException("node " + level + "/" + index + " is not in the signed " + tree);
        }
        return tileAt(level / height, (index << (level % height)) >> height);
    }

    /** Steps of a proof, run against a tree's nodes. */
    @FunctionalInterface
    public interface ProofSteps {
        void run(NodeReader nodes) throws SumDbException;
    }

    /**
     * The tiles a proof over this tree will fetch: those holding the nodes it reads, the parent tiles that prove each
     * full one, and the whole right edge when any of them lies on it; not those proven already. Which nodes a proof
     * reads depends on sizes and indexes alone, so the steps run here against zero hashes, and the tiles they will
     * want can be fetched all at once instead of one round trip after the other.
     */
    public Set<Tile> tilesToFetch(ProofSteps steps) throws SumDbException {
        Set<Tile> tiles = new LinkedHashSet<>();
        LogHash zero = LogHash.of(new byte[LogHash.SIZE], 0);
        steps.run((level, index) -> {
            need(tileHolding(level, index), tiles);
            return zero;
        });
        return tiles;
    }

    private void need(Tile tile, Set<Tile> tiles) {
        if (proven.containsKey(tile) || provenFullTiles.containsKey(tile) || !tiles.add(tile)) {
            return;
        }
        if (tile.isPartial()) {
            tiles.addAll(edgeTiles());
        } else {
            need(tileAt(tile.level() + 1, tile.number() >> height), tiles);
        }
    }

    /** The tile with this level and number as large as the tree makes it. */
    private Tile tileAt(int level, long number) {
        long rowLength = tree.size() >> (level * height);
        long width = Math.min(1L << height, rowLength - (number << height));
        return new Tile(height, level, number, (int) width);
    }

    private byte[] proven(Tile tile) throws SumDbException {
        byte[] data = proven.get(tile);
        if (data != null) {
            return data;
        }
        if (tile.isPartial()) {
            proveRightEdge();
            return proven.get(tile);
        }
        data = provenFullTiles.get(tile);
        if (data != null) {
            return data;
        }
        Tile parent = tileAt(tile.level() + 1, tile.number() >> height);
        LogHash expected = hashAt(proven(parent), (int) (tile.number() & ((1L << height) - 1)));
        data = sources.firstProven(tile.path(), source -> {
            byte[] candidate = fetch(source, tile);
            if (!subtree(candidate, 0, 1 << height).equals(expected)) {
                throw new SumDbException(tile.path() + " does not match its parent tile for the signed " + tree);
            }
            return candidate;
        });
        sources.keep(tile, data);
        proven.put(tile, data);
        provenFullTiles.put(tile, data);
        return data;
    }

    /** The partial tile of every level whose row does not end on a full tile, from the top level down. */
    private List<Tile> edgeTiles() {
        List<Tile> edgeTiles = new ArrayList<>();
        int top = 0;
        // a shift by 64 or more is taken modulo 64 in Java (x >> 64 == x): stop at the last level a long can have
        while ((top + 1) * height < Long.SIZE && (tree.size() >> ((top + 1) * height)) > 0) {
            top++;
        }
        for (int level = top; level >= 0; level--) {
            long rowLength = tree.size() >> (level * height);
            int width = (int) (rowLength & ((1L << height) - 1));
            if (width != 0) {
                edgeTiles.add(new Tile(height, level, rowLength >> height, width));
            }
        }
        return edgeTiles;
    }

    /**
     * Fetches the partial tile of every level and checks that they hash to the signed root. The edge proves only as
     * a whole; the edge tiles kept from an earlier proof (of another tree: trees signed near each other share their
     * upper partial tiles, as sum.golang.org's top tile stays {@code 8/3/000.p/3} over some 17 million records) are
     * taken beside the ones a source gives, and the whole is checked against this tree's root as ever. Only when
     * that fails (a kept tile not of this tree's history, or the source's tile wrong) does the source give the whole
     * edge, kept tiles too, to prove on its own: a source's tiles are never blamed on the kept ones or the reverse.
     */
    private void proveRightEdge() throws SumDbException {
        List<Tile> edgeTiles = edgeTiles();
        Map<Tile, byte[]> kept = new HashMap<>();
        for (Tile tile : edgeTiles) {
            byte[] data = sources.kept(tile);
            if (data != null && data.length == tile.width() * LogHash.SIZE) {
                kept.put(tile, data);
            }
        }
        // all kept: the store, the first source, proves the edge alone
        boolean mixed = !kept.isEmpty() && kept.size() < edgeTiles.size();
        Map<Tile, byte[]> edge = sources.firstProven("the right edge of the signed " + tree, source -> {
            Map<Tile, byte[]> candidate = new HashMap<>();
            if (mixed) {
                for (Tile tile : edgeTiles) {
                    byte[] data = kept.get(tile);
                    candidate.put(tile, data != null ? data : fetch(source, tile));
                }
                if (edgeRoot(edgeTiles, candidate).equals(tree.hash())) {
                    return candidate;
                }
            }
            for (Tile tile : edgeTiles) {
                if (!mixed || kept.containsKey(tile)) {
                    candidate.put(tile, fetch(source, tile));
                }
            }
            if (!edgeRoot(edgeTiles, candidate).equals(tree.hash())) {
                throw new SumDbException("tiles do not hash to the signed " + tree);
            }
            return candidate;
        });
        for (Tile tile : edgeTiles) {
            sources.keep(tile, edge.get(tile));
        }
        proven.putAll(edge);
    }

    /** The root the partial tiles of the right edge hash to, from the top level down. */
    private LogHash edgeRoot(List<Tile> edgeTiles, Map<Tile, byte[]> edge) {
        List<LogHash> subtrees = new ArrayList<>();
        for (Tile tile : edgeTiles) {
            byte[] data = edge.get(tile);
            int start = 0;
            for (int bit = height - 1; bit >= 0; bit--) {
                if ((tile.width() & (1 << bit)) != 0) {
                    subtrees.add(subtree(data, start, 1 << bit));
                    start += 1 << bit;
                }
            }
        }
        LogHash root = subtrees.get(subtrees.size() - 1);
        for (int i = subtrees.size() - 2; i >= 0; i--) {
            root = LogHash.ofNode(subtrees.get(i), root);
        }
        return root;
    }

    private static byte[] fetch(TileSource source, Tile tile) throws SumDbException {
        byte[] data;
        try {
            data = source.read(tile);
        } catch (SumDbNotFoundException e) {
            if (!tile.isPartial()) {
                throw e;
            }
            // The log grew: the partial tile is now a prefix of a full one.
            byte[] full = source.read(tile.full());
            if (full.length != LogHash.SIZE << tile.height()) {
                throw wrongLength(tile.full(), full.length);
            }
            data = Arrays.copyOf(full, tile.width() * LogHash.SIZE);
        }
        if (data.length != tile.width() * LogHash.SIZE) {
            throw wrongLength(tile, data.length);
        }
        return data;
    }

    private static SumDbException wrongLength(Tile tile, int length) {
        return new SumDbException(tile.path() + " has " + length + " bytes, want " + tile.width() * LogHash.SIZE);
    }

    private static LogHash hashAt(byte[] data, int index) {
        return LogHash.of(data, index * LogHash.SIZE);
    }

    /** The Merkle hash of count (a power of two) consecutive hashes in a tile row. */
    private static LogHash subtree(byte[] data, int start, int count) {
        if (count == 1) {
            return hashAt(data, start);
        }
        int half = count / 2;
        return LogHash.ofNode(subtree(data, start, half), subtree(data, start + half, half));
    }
}
