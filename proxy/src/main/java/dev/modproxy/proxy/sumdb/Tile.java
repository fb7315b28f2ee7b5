package dev.modproxy.proxy.sumdb;

/**
 * A tile of the log: at height h and level l (or the record data, level -1), tile number n holds
 * the hashes of nodes n*2^h .. n*2^h+width-1 at tree level l*h. Its path is
 * "tile/h/l/nnn" with the number in 3-digit groups, all but the last prefixed "x"
 * (1234067 = x001/x234/067), and ".p/width" when it is partial.
 */
public record Tile(int height, int level, long number, int width) {

    public static final int DATA_LEVEL = -1;
    private static final int MAX_HEIGHT = 30;

    public Tile {
        if (height < 1 || height > MAX_HEIGHT || level < DATA_LEVEL || number < 0 || width < 1 || width > 1 << height) {
            throw new IllegalArgumentException(
                    "invalid tile h=" + height + " l=" + level + " n=" + number + " w=" + width);
        }
    }

    public boolean isPartial() {
        return width < 1 << height;
    }

    public boolean isData() {
        return level == DATA_LEVEL;
    }

    /** The complete tile this one is a prefix of. */
    public Tile full() {
        return new Tile(height, level, number, 1 << height);
    }

    public String path() {
        StringBuilder digits = new StringBuilder(String.format("%03d", number % 1000));
        for (long rest = number / 1000; rest > 0; rest /= 1000) {
            digits.insert(0, String.format("x%03d/", rest % 1000));
        }
        return "tile/" + height + "/" + (isData() ? "data" : Integer.toString(level)) + "/" + digits
                + (isPartial() ? ".p/" + width : "");
    }

    /** Parses a tile path; only the canonical spelling that {@link #path()} produces is accepted. */
    public static Tile parse(String path) throws SumDbException {
        String[] parts = path.split("/", -1);
        if (parts.length < 4 || !parts[0].equals("tile")) {
            throw new SumDbException("malformed tile path " + path);
        }
        int end = parts.length;
        int width = -1;
        if (end >= 5 && parts[end - 2].endsWith(".p")) {
            width = smallNumber(parts[end - 1], path);
            parts[end - 2] = parts[end - 2].substring(0, parts[end - 2].length() - 2);
            end--;
        }
        try {
            int height = smallNumber(parts[1], path);
            int level = parts[2].equals("data") ? DATA_LEVEL : smallNumber(parts[2], path);
            long number = 0;
            for (int i = 3; i < end; i++) {
                String group = parts[i];
                boolean last = i == end - 1;
                if (!last) {
                    if (!group.startsWith("x")) {
                        throw new SumDbException("malformed tile path " + path);
                    }
                    group = group.substring(1);
                }
                if (!group.matches("[0-9]{3}") || number > Long.MAX_VALUE / 1000 - 1) {
                    throw new SumDbException("malformed tile path " + path);
                }
                number = number * 1000 + Integer.parseInt(group);
            }
            Tile tile = new Tile(height, level, number, width < 0 ? 1 << Math.min(height, MAX_HEIGHT) : width);
            if (!tile.path().equals(path)) {
                throw new SumDbException("malformed tile path " + path);
            }
            return tile;
        } catch (IllegalArgumentException e) {
            throw new SumDbException("malformed tile path " + path);
        }
    }

    private static int smallNumber(String text, String path) throws SumDbException {
        if (!text.matches("0|[1-9][0-9]{0,9}")) {
            throw new SumDbException("malformed tile path " + path);
        }
        long value = Long.parseLong(text);
        if (value > Integer.MAX_VALUE) {
            throw new SumDbException("malformed tile path " + path);
        }
        return (int) value;
    }
}
