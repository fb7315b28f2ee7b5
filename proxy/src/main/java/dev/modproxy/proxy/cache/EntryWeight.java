package dev.modproxy.proxy.cache;

/**
 * The weight of an in-memory entry keyed by what clients ask for, for the caches bounded in bytes: its texts'
 * characters (one byte each in the JVM's compact strings, for the ASCII of module paths) and the entry's own objects.
 */
public final class EntryWeight {

    /** The map node, the key and value objects and their headers, about. */
    static final int OVERHEAD = 96;

    private EntryWeight() {}

    public static int of(String... texts) {
        long weight = OVERHEAD;
        for (String text : texts) {
            weight += text == null ? 0 : text.length();
        }
        return (int) Math.min(Integer.MAX_VALUE, weight);
    }
}
