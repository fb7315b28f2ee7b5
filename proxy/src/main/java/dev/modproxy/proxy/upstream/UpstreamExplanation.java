package dev.modproxy.proxy.upstream;

import java.io.IOException;
import java.io.InputStream;
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

    /** Characters kept of the cleaned text. */
    static final int MAX_CHARS = 300;

    private UpstreamExplanation() {}

    /** An Authorization value echoed back ("Basic dXNlcjpwdw==", "Bearer t0ken"), whoever's it is. */
    private static final Pattern CREDENTIALS =
            Pattern.compile("(?i)\\b(basic|bearer|token)(\\s+|=|:\\s*)[A-Za-z0-9+/=._~-]{4,}");

    /**
     * The cleaned reason in a body of {@code contentType}, or "" when it is not plain text or says nothing. An
     * upstream may echo the request it refused, its Authorization header or URL included: {@code secrets} (what this
     * upstream's login is sent as) and anything shaped like a credential are masked before the text goes anywhere.
     */
    static String read(String contentType, InputStream body, List<String> secrets) throws IOException {
        if (!contentType.toLowerCase(Locale.ROOT).startsWith("text/plain")) {
            return ""; // an HTML error page is markup, not a reason
        }
        byte[] bytes = body.readNBytes(MAX_BYTES);
        String text = new String(bytes, StandardCharsets.UTF_8); // malformed input becomes U+FFFD, dropped by clean
        for (String secret : secrets) {
            text = text.replace(secret, "xxxxx");
        }
        return clean(CREDENTIALS.matcher(text).replaceAll("$1$2xxxxx"));
    }

    /** One line of at most {@link #MAX_CHARS} printable characters; runs of whitespace and control become one space. */
    static String clean(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS));
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
            if (space) {
                out.append(' ');
                space = false;
            }
            if (out.length() + Character.charCount(c) > MAX_CHARS) {
                return out.append("...").toString();
            }
            out.appendCodePoint(c);
        }
        return out.toString();
    }
}
