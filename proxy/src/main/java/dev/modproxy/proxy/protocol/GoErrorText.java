package dev.modproxy.proxy.protocol;

import dev.modproxy.proxy.text.Utf8Text;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * A refusal's text as the go command shows it. Of an error answer's body it prints the lines before the first blank
 * one, at most 8 of them and {@value #MAX_BYTES} bytes in all (cmd/go/internal/web, formatErrorDetail: {@code
 * maxErrorDetailLines} and {@code maxErrorDetailBytes}); a line that would go past those bytes is replaced by
 * {@code [Truncated: too long.]}, so a one-line answer of 649 bytes shows nothing of itself; and a body with a
 * character that is neither graphic nor a space (a control, a format character, an unassigned code point) or that is
 * not UTF-8 shows nothing at all.
 *
 * <p>So every refusal of this proxy is one line of at most {@value #MAX_BYTES} bytes of graphic characters: line
 * breaks, tabs and other controls become spaces, any other character the go command would not show becomes '?'.
 * Where the text is longer (a module path of up to 400 characters named in it, an upstream's own reason passed on at
 * its end, a storage failure's message), the middle of its longest words is left out first ({@code
 * example.com/aaa...aaa/@v/v1.0.0.info:}), since those are the paths that the go command prints beside the answer
 * anyway, so the reason at the start and what to do after it stay; only then is its end cut, with "...".
 */
public final class GoErrorText {

    /** What the go command shows of a one-line answer: cmd/go/internal/web's maxErrorDetailBytes (8 lines of 81). */
    public static final int MAX_BYTES = 8 * 81;

    /** The shortest a long word is made by leaving out its middle: 24 bytes of each end and "...". */
    private static final int SHORTEST_WORD = 2 * 24 + 3;

    private GoErrorText() {}

    /** The body of a refusal: {@code reason} as one line the go command shows whole, and its line feed. */
    public static String body(String reason) {
        return fit(reason) + "\n";
    }

    /** {@code reason} as one line of graphic characters of at most {@link #MAX_BYTES} bytes. */
    public static String fit(String reason) {
        String line = clean(reason == null ? "" : reason);
        if (Utf8Text.length(line) <= MAX_BYTES) {
            return line;
        }
        String[] words = line.split(" ", -1);
        // the longest words first, each shortened to its two ends (no shorter than needed), until the line fits
        Integer[] longestFirst = IntStream.range(0, words.length).boxed().toArray(Integer[]::new);
        Arrays.sort(
                longestFirst,
                Comparator.comparingInt((Integer i) -> Utf8Text.length(words[i]))
                        .reversed());
        int excess = Utf8Text.length(line) - MAX_BYTES;
        for (int i : longestFirst) {
            if (excess <= 0) {
                break;
            }
            int bytes = Utf8Text.length(words[i]);
            if (bytes <= SHORTEST_WORD) {
                break; // the rest are shorter still
            }
            String shortened = Utf8Text.keepingEnds(words[i], Math.max(SHORTEST_WORD, bytes - excess));
            excess -= bytes - Utf8Text.length(shortened);
            words[i] = shortened;
        }
        line = String.join(" ", words);
        if (Utf8Text.length(line) <= MAX_BYTES) {
            return line;
        }
        return Utf8Text.start(line, MAX_BYTES - Utf8Text.ELISION.length()) + Utf8Text.ELISION;
    }

    /**
     * One line of characters the go command shows: Go's unicode.IsGraphic (letters, marks, numbers, punctuation,
     * symbols, space separators) or a space; Java's Unicode tables may be older than Go's, so a character Java does not
     * know is taken for one Go would not show either.
     */
    private static String clean(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            switch (Character.getType(c)) {
                case Character.CONTROL, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> out.append(' ');
                case Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED ->
                    out.append('?');
                default -> out.appendCodePoint(c);
            }
        }
        return out.toString();
    }
}
