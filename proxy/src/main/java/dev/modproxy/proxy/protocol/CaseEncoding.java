package dev.modproxy.proxy.protocol;

/**
 * The GOPROXY case encoding: every upper-case letter {@code X} travels as {@code !x}, so module
 * paths survive case-insensitive file systems.
 */
public final class CaseEncoding {

    private CaseEncoding() {}

    /** Encodes a path or version; the input must be ASCII without '!' (callers validate first). */
    public static String encode(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '!' || c >= 0x80) {
                throw new IllegalArgumentException("cannot case-encode " + quote(s));
            }
            if (c >= 'A' && c <= 'Z') {
                out.append('!').append((char) (c + ('a' - 'A')));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Decodes {@code !x} to {@code X}; a bare upper-case letter or a dangling '!' is an error. */
    public static String decode(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean bang = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                throw new IllegalArgumentException("non-ASCII character in " + quote(s));
            }
            if (bang) {
                if (c < 'a' || c > 'z') {
                    throw new IllegalArgumentException("'!' must be followed by a lower-case letter in " + quote(s));
                }
                out.append((char) (c - ('a' - 'A')));
                bang = false;
            } else if (c == '!') {
                bang = true;
            } else if (c >= 'A' && c <= 'Z') {
                throw new IllegalArgumentException(
                        "upper-case letter must be written as '!' + lower-case in " + quote(s));
            } else {
                out.append(c);
            }
        }
        if (bang) {
            throw new IllegalArgumentException("dangling '!' in " + quote(s));
        }
        return out.toString();
    }

    /**
     * s in double quotes for a message: at most 120 characters; control, invisible (formatting, bidirectional
     * overrides, spaces other than ' ') and quoting characters escaped. Printable non-ASCII stays as it is, as Go's
     * %q keeps it, so a path with "ö" reads as the client wrote it.
     */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        int shown = Math.min(s.length(), 120);
        int i = 0;
        while (i < shown) {
            int c = s.codePointAt(i);
            int width = Character.charCount(c);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c >= 0x80 && !printable(c)) {
                for (int j = i; j < i + width; j++) {
                    out.append(String.format("\\u%04x", (int) s.charAt(j)));
                }
            } else {
                out.appendCodePoint(c);
            }
            i += width;
        }
        return out.append(s.length() > i ? "...\"" : "\"").toString();
    }

    /** What Go's unicode.IsPrint calls printable, above ASCII: letters, marks, numbers, punctuation and symbols. */
    private static boolean printable(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.SURROGATE,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }
}
