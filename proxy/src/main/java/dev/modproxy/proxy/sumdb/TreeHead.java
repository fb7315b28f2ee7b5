package dev.modproxy.proxy.sumdb;

/** The size and root hash of the checksum database's log, as its signed note states them. */
public record TreeHead(long size, LogHash hash) {

    private static final String HEADER = "go.sum database tree\n";

    /**
     * The largest log whose tiles of height {@value SumDbVerifier#TILE_HEIGHT} this proxy addresses: seven levels of
     * them, 2^56 records. sum.golang.org holds under 2^29; a database that signs a larger tree is hostile, and its
     * head is refused before any proof reads its tiles.
     */
    public static final long MAX_SIZE = (1L << 56) - 1;

    /** Parses note text "go.sum database tree\n&lt;size&gt;\n&lt;base64 hash&gt;\n"; later lines are ignored. */
    public static TreeHead parse(String text) throws SumDbException {
        if (!text.startsWith(HEADER)) {
            throw new SumDbException("malformed tree note: does not start with \"go.sum database tree\"");
        }
        String[] lines = text.substring(HEADER.length()).split("\n", 3);
        if (lines.length < 3) {
            throw new SumDbException("malformed tree note: want size and hash lines");
        }
        long size;
        try {
            size = Long.parseLong(lines[0]);
        } catch (NumberFormatException e) {
            throw new SumDbException("malformed tree note: size " + lines[0]);
        }
        if (size < 0 || !Long.toString(size).equals(lines[0])) {
            throw new SumDbException("malformed tree note: size " + lines[0]);
        }
        if (size > MAX_SIZE) {
            throw new SumDbException("tree note names " + size + " records, more than the " + MAX_SIZE
                    + " (2^56 - 1) whose tiles this proxy can address: refused");
        }
        return new TreeHead(size, LogHash.fromBase64(lines[1]));
    }

    @Override
    public String toString() {
        return "tree " + size + " " + hash;
    }
}
