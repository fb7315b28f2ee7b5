package dev.modproxy.proxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

public class GoErrorTextTest {

    /**
     * What the go command prints of an error answer's body: cmd/go/internal/web's formatErrorDetail, line for line
     * (lines up to the first blank one, joined by "\n\t", at most 8 of them and 648 bytes; nothing at all for a body
     * that is not UTF-8 or holds a character neither graphic nor a space).
     */
    public static String goShows(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (!new String(bytes, StandardCharsets.UTF_8).equals(body) || body.contains("\uFFFD")) {
            return "";
        }
        for (int i = 0; i < body.length(); ) {
            int c = body.codePointAt(i);
            i += Character.charCount(c);
            if (!graphic(c) && !goSpace(c)) {
                return "";
            }
        }
        StringBuilder detail = new StringBuilder();
        String[] lines = body.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.strip().isEmpty()) {
                break;
            }
            if (i > 0) {
                detail.append("\n\t");
            }
            if (i >= 8) {
                detail.append("[Truncated: too many lines.]");
                break;
            }
            int length = detail.toString().getBytes(StandardCharsets.UTF_8).length;
            if (length + line.getBytes(StandardCharsets.UTF_8).length > 648) {
                detail.append("[Truncated: too long.]");
                break;
            }
            detail.append(line);
        }
        return detail.toString();
    }

    /** Go's unicode.IsGraphic: L, M, N, P, S, Zs. */
    private static boolean graphic(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.SURROGATE,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }

    /** Go's unicode.IsSpace. */
    private static boolean goSpace(int c) {
        return c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r' || c == 0x85 || Character.isWhitespace(c);
    }

    private static String shown(String reason) {
        String body = GoErrorText.body(reason);
        assertTrue(body.endsWith("\n"), body);
        assertTrue(body.getBytes(StandardCharsets.UTF_8).length <= 649, body);
        String shown = goShows(body);
        assertEquals(body.substring(0, body.length() - 1), shown, "the go command shows all of it");
        return shown;
    }

    @Test
    void aShortReasonIsSentAsItIs() {
        assertEquals("no such module", shown("no such module"));
        assertEquals("", shown(null));
    }

    @Test
    void a649ByteLineWhichTheGoCommandWouldHideIsCutToWhatItShows() {
        String reason = "r".repeat(649);
        assertEquals("[Truncated: too long.]", goShows(reason + "\n"), "the go command's own rule, as ported");
        String shown = shown(reason);
        assertEquals(648, shown.length(), "no shorter than it must be");
        assertTrue(shown.startsWith("rrr") && shown.endsWith("rrr") && shown.contains("r...r"), shown);
        shown = shown("refused: " + "r".repeat(300) + " " + "s".repeat(400) + " fix it so");
        assertTrue(shown.startsWith("refused: " + "r".repeat(300) + " sss"), "the longest word first: " + shown);
        assertTrue(shown.endsWith("sss fix it so"), shown);
        assertEquals("r".repeat(648), shown("r".repeat(648)), "648 bytes fit whole");
    }

    @Test
    void longWordsLoseTheirMiddleFirstSoTheReasonAndTheFixAfterThemStay() {
        String path = "example.com/" + "a".repeat(199) + "/" + "b".repeat(188) + "/@v/v1.0.0.info";
        String shown = shown("upstream answered 404 for " + path + ": not found: " + path + ": unknown revision v1.0.0"
                + "; set MODPROXY_UPSTREAM to fix it");
        assertTrue(shown.startsWith("upstream answered 404 for example.com/aaaaaaaaaaaa"), shown);
        assertTrue(shown.contains("bbbbb/@v/v1.0.0.info: not found: example.com/aaa"), shown);
        assertTrue(shown.endsWith(": unknown revision v1.0.0; set MODPROXY_UPSTREAM to fix it"), shown);
    }

    @Test
    void multiByteCharactersAreNeverSplit() {
        String shown = shown("refused: " + "é".repeat(400)); // 809 bytes in one word
        assertTrue(shown.startsWith("refused: éé"), shown);
        assertTrue(shown.endsWith("é"), shown);
        shown = shown("refused " + "日本 ".repeat(200));
        assertTrue(shown.endsWith("..."), shown);
        assertTrue(shown.getBytes(StandardCharsets.UTF_8).length <= 648, shown);
    }

    @Test
    void charactersTheGoCommandWouldNotShowAreReplacedNotLeftToHideTheWholeAnswer() {
        String reason = "refused\n\tby policy\u001b[31m red\u202e bidi\u0000 nul\r\n";
        assertEquals("", goShows(reason + "\n"), "the go command shows nothing of it as it is");
        String shown = shown(reason);
        assertTrue(shown.startsWith("refused  by policy [31m red? bidi  nul"), shown);
        assertEquals("?", shown("\ud800"), "a lone surrogate is not UTF-8");
    }
}
