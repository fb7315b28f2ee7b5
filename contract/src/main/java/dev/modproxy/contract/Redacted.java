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

    private Redacted() {}

    /** One URL (or GOPROXY entry): {@code https://ci:xxxxx@host/path?xxxxx}, {@code https://xxxxx@host}. */
    public static String url(String url) {
        // user:password@ keeps the user, as the go command shows it; a lone token@ is the secret itself
        return url.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)?([^/@]*):[^/@]*@", "$1$2:xxxxx@")
                .replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)?[^/@:]+@", "$1xxxxx@")
                .replaceFirst("([?#]).*$", "$1xxxxx");
    }

    /** A setting of white-space separated words, some of them URLs (GOSUMDB's "name+key url"), each as {@link #url}. */
    public static String words(String setting) {
        return WORD.matcher(setting).replaceAll(word -> Matcher.quoteReplacement(url(word.group())));
    }
}
