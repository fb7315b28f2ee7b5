package dev.modproxy.contract;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * URLs as error messages, logs and a GoProxyCache's status may show them. A login (user:password@, or a token
 * written as the whole login) and a query or fragment (?token=, #access_token=) are credentials often enough that
 * neither is ever repeated; the scheme, host, port and path stay, so the message still says which URL it means.
 */
public final class Redacted {

    private static final Pattern WORD = Pattern.compile("\\S+");
    private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");

    private Redacted() {}

    /**
     * One URL (or GOPROXY entry): {@code https://ci:xxxxx@host/path?xxxxx}, {@code https://xxxxx@host}. A password
     * with '@' or '/' in it, which a URL would need percent-encoded but a user may well paste as it is, is masked
     * whole too: the login ends at the last '@' of the host part, or, when what follows a ':' there is no port, at
     * the first '@' after it.
     */
    public static String url(String url) {
        Matcher scheme = SCHEME.matcher(url);
        int start = scheme.lookingAt() ? scheme.end() : 0;
        int end = firstOf(url, "?#", start);
        int hostEnd = Math.min(firstOf(url, "/", start), end);
        int at = url.lastIndexOf('@', hostEnd - 1);
        if (at < start) {
            int colon = url.indexOf(':', start);
            boolean notAPort = colon >= start
                    && colon < hostEnd
                    && !url.substring(colon + 1, hostEnd).matches("\\d*");
            at = notAPort ? url.indexOf('@', hostEnd) : -1;
            if (at >= end) {
                at = -1;
            }
        }
        String shown = url;
        if (at >= start) {
            String login = url.substring(start, at);
            int colon = login.indexOf(':');
            // user:password@ keeps the user, as the go command shows it; a lone token@ is the secret itself
            String kept =
                    colon > 0 && login.substring(0, colon).indexOf('/') < 0 ? login.substring(0, colon) + ":" : "";
            shown = url.substring(0, start) + kept + "xxxxx" + url.substring(at);
        }
        return shown.replaceFirst("([?#]).*$", "$1xxxxx");
    }

    private static int firstOf(String text, String characters, int from) {
        for (int i = from; i < text.length(); i++) {
            if (characters.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return text.length();
    }

    /** A setting of white-space separated words, some of them URLs (GOSUMDB's "name+hash+key url"), each as {@link #url}. */
    public static String words(String setting) {
        return WORD.matcher(setting).replaceAll(word -> Matcher.quoteReplacement(url(word.group())));
    }
}
