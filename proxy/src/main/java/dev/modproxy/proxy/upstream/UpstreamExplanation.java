package dev.modproxy.proxy.upstream;

import dev.modproxy.proxy.text.Utf8Text;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The reason an upstream gives with a refusal ("not found: unknown revision v1.2.3"), made safe to
 * pass on. The go command shows a proxy's text/plain body to the user; without the upstream's text
 * a user behind the cache would lose why a module or version is missing. The text comes from a
 * server we do not control, so it is bounded, kept to one line, and stripped of control and
 * formatting characters (terminal escapes, bidirectional overrides) before a client or a log sees it.
 */
final class UpstreamExplanation {

    /** Bytes read from a refusal's body; the go command itself shows no more than a few lines. */
    static final int MAX_BYTES = 1024;

    /**
     * UTF-8 bytes kept of the cleaned text: passed on after this proxy's own reason, which names the module path, it
     * must leave that reason room in the 648 bytes the go command shows of an answer (300 characters of a script of
     * three bytes a character did not).
     */
    static final int MAX_KEPT_BYTES = 300;

    private UpstreamExplanation() {}

    /** An Authorization value echoed back ("Basic dXNlcjpwdw==", "Bearer t0ken"), whoever's it is. */
    private static final Pattern CREDENTIALS =
            Pattern.compile("(?i)\\b(basic|bearer|token)(\\s+|=|:\\s*)[A-Za-z0-9+/=._~-]{4,}");

    /**
     * The cleaned reason in a body of {@code contentType}, or "" when it is not plain text or says nothing. A body
     * without a Content-Type (an allow-list mirror's "Go module host not permitted" with its 400) is taken when it is
     * UTF-8 text that does not start as markup. An upstream may echo the request it refused, its Authorization header
     * or URL included: {@code secrets} (what this upstream's login is sent as) and anything shaped like a credential
     * are masked before the text goes anywhere.
     */
    static String read(String contentType, InputStream body, List<String> secrets) throws IOException {
        boolean untyped = contentType.isBlank();
        if (!untyped && !contentType.toLowerCase(Locale.ROOT).startsWith("text/plain")) {
            return ""; // an HTML error page is markup, not a reason
        }
        byte[] bytes = body.readNBytes(MAX_BYTES);
        if (untyped && !plainText(bytes)) {
            return "";
        }
        String text = new String(bytes, StandardCharsets.UTF_8); // malformed input becomes U+FFFD, dropped by clean
        for (String secret : secrets) {
            text = text.replace(secret, "xxxxx");
        }
        // a long path it names (the module's, up to 400 characters) keeps its ends, so the reason after it stays
        return clean(shortenLongWords(clean(CREDENTIALS.matcher(text).replaceAll("$1$2xxxxx"), MAX_BYTES)));
    }

    /**
     * Whether an untyped body reads as a reason: UTF-8 (its last character may be cut off), no NUL, and not markup (a
     * page whose first character is '<').
     */
    private static boolean plainText(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer text = CharBuffer.allocate(bytes.length);
        // not the end of input: a character cut at MAX_BYTES is left over, not an error
        CoderResult result = decoder.decode(ByteBuffer.wrap(bytes), text, false);
        if (result.isError()) {
            return false;
        }
        String decoded = text.flip().toString();
        return decoded.indexOf('\0') < 0 && !decoded.strip().startsWith("<");
    }

    /** The most bytes a word (a run without spaces) of the reason keeps: a module path's two ends. */
    static final int LONGEST_WORD = 80;

    /**
     * The reason with the middle of each word over {@link #LONGEST_WORD} bytes left out ({@code
     * example.com/aaa...bbb@v1.0.0:}): upstreams name the module (up to 400 characters) before saying what is wrong
     * with it, and the go command, which shows 648 bytes of an answer, prints the path beside it anyway.
     */
    private static String shortenLongWords(String text) {
        String[] words = text.split(" ", -1);
        for (int i = 0; i < words.length; i++) {
            words[i] = Utf8Text.keepingEnds(words[i], LONGEST_WORD);
        }
        return String.join(" ", words);
    }

    /**
     * One line of printable characters, at most {@link #MAX_KEPT_BYTES} bytes of them in UTF-8; runs of whitespace and
     * control become one space.
     */
    static String clean(String text) {
        return clean(text, MAX_KEPT_BYTES);
    }

    private static String clean(String text, int maxBytes) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_KEPT_BYTES));
        int bytes = 0;
        boolean space = false;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            int type = Character.getType(c);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                space = out.length() > 0;
                continue;
            }
            if (type == Character.FORMAT
                    || type == Character.SURROGATE
                    || type == Character.PRIVATE_USE
                    || type == Character.UNASSIGNED
                    || c == 0xFFFD) {
                continue;
            }
            int size = Utf8Text.size(c);
            if (bytes + (space ? 1 : 0) + size > maxBytes) {
                return out.append(Utf8Text.ELISION).toString();
            }
            if (space) {
                out.append(' ');
                bytes++;
                space = false;
            }
            out.appendCodePoint(c);
            bytes += size;
        }
        return out.toString();
    }
}
