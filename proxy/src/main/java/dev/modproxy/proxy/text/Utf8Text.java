package dev.modproxy.proxy.text;

/**
 * Text bounded in UTF-8 bytes and cut between characters only. What the proxy passes on of a reason is counted in
 * bytes (the go command shows 648 bytes of an answer), and a character cut in two is not UTF-8: the go command shows
 * nothing at all of a body holding one.
 *
 * <p>Sizes are those of the code points as UTF-8 writes them, for well-formed text; a lone surrogate counts as the 3
 * bytes it would take, more than the 1 byte ('?') Java writes for it, so a bound still holds for text that is not.
 */
public final class Utf8Text {

    /** Marks what was left out of a text. */
    public static final String ELISION = "...";

    private Utf8Text() {}

    /** How many bytes {@code text} takes in UTF-8. */
    public static int length(String text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            bytes += size(c);
        }
        return bytes;
    }

    /** The longest start of {@code text} of at most {@code maxBytes} UTF-8 bytes, whole characters only. */
    public static String start(String text, int maxBytes) {
        int used = 0;
        int end = 0;
        while (end < text.length()) {
            int c = text.codePointAt(end);
            used += size(c);
            if (used > maxBytes) {
                break;
            }
            end += Character.charCount(c);
        }
        return text.substring(0, end);
    }

    /** The longest end of {@code text} of at most {@code maxBytes} UTF-8 bytes, whole characters only. */
    public static String end(String text, int maxBytes) {
        int used = 0;
        int start = text.length();
        while (start > 0) {
            int c = text.codePointBefore(start);
            used += size(c);
            if (used > maxBytes) {
                break;
            }
            start -= Character.charCount(c);
        }
        return text.substring(start);
    }

    /**
     * {@code text} itself when it fits in {@code maxBytes} UTF-8 bytes, else its start and its end with {@link
     * #ELISION} for the middle, in at most {@code maxBytes} ({@code example.com/aaa...bbb/@v/v1.0.0.info}): a long
     * word in a reason is mostly a module path, whose host and version at its two ends say which module it is.
     */
    public static String keepingEnds(String text, int maxBytes) {
        if (maxBytes < ELISION.length()) {
            throw new IllegalArgumentException("no room for \"" + ELISION + "\" in " + maxBytes + " bytes");
        }
        if (length(text) <= maxBytes) {
            return text;
        }
        int ends = maxBytes - ELISION.length();
        // the start gets the odd byte: it holds the host, which says most about whose path it is
        return start(text, ends - ends / 2) + ELISION + end(text, ends / 2);
    }

    /** How many bytes UTF-8 takes for {@code codePoint} (3 for a lone surrogate, as the class comment says). */
    public static int size(int codePoint) {
        return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    }
}
