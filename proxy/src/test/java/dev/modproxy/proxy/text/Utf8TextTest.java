package dev.modproxy.proxy.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class Utf8TextTest {

    /** Text of characters of each UTF-8 size, four-byte ones (surrogate pairs in Java) included. */
    @Provide
    Arbitrary<String> texts() {
        Arbitrary<Integer> codePoints = Arbitraries.oneOf(
                Arbitraries.integers().between(0x20, 0x7E),
                Arbitraries.integers().between(0x80, 0x7FF),
                Arbitraries.integers().between(0x800, 0xD7FF),
                Arbitraries.integers().between(0x10000, 0x10FFFF));
        return codePoints.list().ofMaxSize(120).map(Utf8TextTest::text);
    }

    private static String text(List<Integer> codePoints) {
        StringBuilder text = new StringBuilder();
        codePoints.forEach(text::appendCodePoint);
        return text.toString();
    }

    private static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** What a client decodes of the text's UTF-8 is the text itself: no character was cut in two. */
    private static void assertWholeCharacters(String text) {
        assertEquals(text, new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }

    /** The longest start of text within maxBytes, found by trying every cut between characters. */
    private static String longestStartWithin(String text, int maxBytes) {
        String longest = "";
        for (int i = 0; i <= text.length(); i = i < text.length() ? text.offsetByCodePoints(i, 1) : i + 1) {
            if (bytes(text.substring(0, i)) <= maxBytes) {
                longest = text.substring(0, i);
            }
        }
        return longest;
    }

    private static String longestEndWithin(String text, int maxBytes) {
        String longest = "";
        for (int i = text.length(); i >= 0; i = i > 0 ? text.offsetByCodePoints(i, -1) : i - 1) {
            if (bytes(text.substring(i)) <= maxBytes) {
                longest = text.substring(i);
            }
        }
        return longest;
    }

    @Property
    void theLengthIsTheUtf8EncodersByteCount(@ForAll("texts") String text) {
        assertEquals(bytes(text), Utf8Text.length(text));
    }

    @Property
    void keepingEndsStaysWithinTheBoundInWholeCharacters(
            @ForAll("texts") String text, @ForAll @IntRange(min = 3, max = 300) int maxBytes) {
        String kept = Utf8Text.keepingEnds(text, maxBytes);

        assertTrue(bytes(kept) <= maxBytes, kept + " in " + maxBytes);
        assertWholeCharacters(kept);
    }

    @Property
    void keepingEndsLeavesTextThatFitsUnchanged(
            @ForAll("texts") String text, @ForAll @IntRange(min = 3, max = 300) int maxBytes) {
        if (bytes(text) <= maxBytes) {
            assertEquals(text, Utf8Text.keepingEnds(text, maxBytes));
            assertEquals(text, Utf8Text.start(text, maxBytes));
            assertEquals(text, Utf8Text.end(text, maxBytes));
        }
    }

    /** The start gets the odd byte of what is left beside "...", and each end is as long as whole characters allow. */
    @Property
    void keepingEndsKeepsAsMuchOfEachEndAsFits(
            @ForAll("texts") String text, @ForAll @IntRange(min = 3, max = 300) int maxBytes) {
        if (bytes(text) > maxBytes) {
            int ends = maxBytes - 3;
            String start = longestStartWithin(text, ends - ends / 2);
            String end = longestEndWithin(text, ends / 2);

            assertEquals(start + "..." + end, Utf8Text.keepingEnds(text, maxBytes));
            assertTrue(bytes(start + "..." + end) > maxBytes - 7, "a cut before a character loses 3 bytes at most");
        }
    }

    @Property
    void startAndEndAreTheLongestWithinTheBoundInWholeCharacters(
            @ForAll("texts") String text, @ForAll @IntRange(min = 0, max = 300) int maxBytes) {
        String start = Utf8Text.start(text, maxBytes);
        String end = Utf8Text.end(text, maxBytes);

        assertEquals(longestStartWithin(text, maxBytes), start);
        assertEquals(longestEndWithin(text, maxBytes), end);
        assertWholeCharacters(start);
        assertWholeCharacters(end);
    }

    @Example
    void aLongModulePathKeepsItsHostAndVersion() {
        String path = "example.com/" + "a".repeat(199) + "/" + "b".repeat(188) + "/@v/v1.0.0.info";

        String kept = Utf8Text.keepingEnds(path, 51);

        assertEquals("example.com/aaaaaaaaaaaa...bbbbbbbbb/@v/v1.0.0.info", kept);
    }

    @Example
    void aCharacterThatWouldBeCutIsLeftOutWhole() {
        assertEquals("éé...é", Utf8Text.keepingEnds("é".repeat(10), 10), "4 bytes for the start, 3 for the end");
        assertEquals("日", Utf8Text.start("日本", 5));
        assertEquals("", Utf8Text.start("😀", 3));
        assertEquals("😀", Utf8Text.end("日😀", 6));
    }

    @Example
    void aBoundWithNoRoomForTheElisionIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Utf8Text.keepingEnds("abcd", 2));
    }
}
