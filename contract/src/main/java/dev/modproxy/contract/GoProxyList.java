package dev.modproxy.contract;

import java.net.IDN;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A GOPROXY list read by the go command's rule (cmd/go/internal/modfetch/proxy.go), so the operator accepts
 * exactly what the proxy runs with: entries split at ',' (the next entry is tried after a 404/410) and '|' (after
 * any error), trimmed, empty ones skipped; {@code direct} and {@code off} end the list; an entry without a scheme
 * that contains '.', ':' or '/' gets {@code https://}. Beyond the go command, only http(s) URLs with a host are
 * usable: this proxy reads no file:// trees.
 */
public record GoProxyList(List<Entry> entries) {

    public static final String DIRECT = "direct";
    public static final String OFF = "off";

    private static final String SPACE = "[ \\t]*";
    private static final String REST = "[^\\s,|]";
    /** One entry: a keyword, a URL, or a host name with a '.', a port or a path (https:// implied). */
    private static final String ENTRY =
            "(direct|off|https?://" + REST + "+|[A-Za-z0-9-]+((\\.[A-Za-z0-9-]+)+(:[0-9]+)?(/" + REST + "*)?|:[0-9]+(/"
                    + REST + "*)?|/" + REST + "*))";

    private static final String ITEM = SPACE + ENTRY + "?" + SPACE;
    /**
     * A regular expression (RE2 and java.util.regex alike) for the CRD: at least one entry, each of a usable form.
     * A first check the API server makes; {@link #parse(String)} is the rule and names what is wrong.
     */
    public static final String PATTERN = "^(" + ITEM + "[,|])*" + SPACE + ENTRY + SPACE + "([,|]" + ITEM + ")*$";

    /** One entry of the list; {@code fallThroughOnError} is true when '|' follows it. */
    public sealed interface Entry permits Proxy, Direct, Off {
        boolean fallThroughOnError();
    }

    /** A module proxy; {@code url} as written, with https:// added where the go command adds it. */
    public record Proxy(URI url, boolean fallThroughOnError) implements Entry {
        public Proxy {
            Objects.requireNonNull(url);
        }
    }

    /** The go command fetches from version control itself. */
    public record Direct(boolean fallThroughOnError) implements Entry {}

    /** Fetching is disallowed. */
    public record Off(boolean fallThroughOnError) implements Entry {}

    /** A list the go command or this proxy cannot use; the message names the entry and a fix. */
    public static final class InvalidException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidException(String message) {
            super(message);
        }
    }

    public GoProxyList {
        entries = List.copyOf(entries);
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("a GOPROXY list has at least one entry");
        }
    }

    /** @throws InvalidException with a message such as {@code entry 2 "ftp://x" is not an http(s) URL; use ...} */
    public static GoProxyList parse(String list) {
        if (list == null || list.isBlank()) {
            throw new InvalidException("is empty; write at least one upstream, e.g. \"https://proxy.golang.org\"");
        }
        List<Entry> entries = new ArrayList<>();
        String rest = list;
        int position = 0;
        while (!rest.isEmpty()) {
            int separator = indexOfSeparator(rest);
            String item = separator < 0 ? rest : rest.substring(0, separator);
            boolean pipe = separator >= 0 && rest.charAt(separator) == '|';
            rest = separator < 0 ? "" : rest.substring(separator + 1);
            position++;
            item = item.strip();
            if (item.isEmpty()) {
                continue;
            }
            if (item.equals(OFF)) {
                entries.add(new Off(pipe));
                break;
            }
            if (item.equals(DIRECT)) {
                // the go command ignores what follows, keeping room for a future meaning
                entries.add(new Direct(pipe));
                break;
            }
            entries.add(new Proxy(url(position, item), pipe));
        }
        if (entries.isEmpty()) {
            throw new InvalidException("contains no entries, only separators and spaces; write at least one upstream, "
                    + "e.g. \"https://proxy.golang.org\"");
        }
        return new GoProxyList(entries);
    }

    /** The list in GOPROXY syntax, with https:// where it was implied; each separator follows its entry. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            if (i > 0) {
                text.append(entries.get(i - 1).fallThroughOnError() ? '|' : ',');
            }
            text.append(entry instanceof Proxy proxy ? proxy.url().toString() : entry instanceof Direct ? DIRECT : OFF);
        }
        return text.toString();
    }

    private static int indexOfSeparator(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ',' || text.charAt(i) == '|') {
                return i;
            }
        }
        return -1;
    }

    private static URI url(int position, String item) {
        String where = "entry " + position + " \"" + Redacted.url(item) + "\"";
        String url = item;
        // single words are the go command's keywords; ":/" or an absolute path means the writer gave a full URL
        if (containsAny(url, ".:/") && !url.contains(":/") && !url.startsWith("/")) {
            url = "https://" + url;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new InvalidException(where + " is not a valid URL (" + e.getReason() + ")" + HINT);
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new InvalidException(where + " is neither a URL nor \"direct\" or \"off\"" + HINT);
        }
        if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
            throw new InvalidException(where + " is not an http(s) URL (modproxy fetches over HTTP only)" + HINT);
        }
        String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
        Matcher port = PORT.matcher(authority);
        if (uri.getPort() > MAX_PORT || (uri.getHost() == null && port.find() && aboveRange(port.group(1)))) {
            // java.net.URI takes any digits as a port, and reads one too long for an int as no host at all
            throw new InvalidException(where + " has port " + (uri.getPort() > MAX_PORT ? uri.getPort() : port.group(1))
                    + ", above " + MAX_PORT + HINT);
        }
        if (uri.getHost() == null && authority.chars().anyMatch(c -> c > 0x7f)) {
            throw new InvalidException(where + " has a host name outside ASCII; write it in punycode, as DNS holds it"
                    + punycode(authority) + HINT);
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new InvalidException(where + " has no host name" + HINT);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new InvalidException(
                    where + " has a query or fragment, which a module proxy URL cannot carry" + HINT);
        }
        return uri;
    }

    /** The highest TCP port. */
    public static final int MAX_PORT = 65535;

    /** Digits of any length, leading zeros aside: too long for an int is above the range too. */
    private static boolean aboveRange(String digits) {
        String significant = digits.replaceFirst("^0+(?=.)", "");
        return significant.length() > 5 || Integer.parseInt(significant) > MAX_PORT;
    }

    private static final Pattern PORT = Pattern.compile(":([0-9]+)$");

    /**
     * An entry whose authority ends in a port above {@link #MAX_PORT} (leading zeros aside), as a regular expression
     * RE2 and java.util.regex read alike, for the CRD: the authority is what follows the scheme up to the first '/'
     * (an IPv6 address's colons are inside its brackets). The proxy's HTTP client would refuse every fetch from it.
     */
    public static final String PORT_ABOVE_RANGE =
            "(^|[,|])[ \\t]*([A-Za-z][A-Za-z0-9+.-]*://)?[^/,| \\t]*:0*([1-9][0-9]{5,}"
                    + "|6553[6-9]|655[4-9][0-9]|65[6-9][0-9]{2}|6[6-9][0-9]{3}|[7-9][0-9]{4})([/,| \\t]|$)";

    /**
     * The go command sends a host name written in Unicode as its IDNA (punycode) form; this proxy's HTTP client takes
     * the punycode form only. Said rather than converted, so that the host is spelt one way wherever it is named: the
     * list, a netrc's machine lines, NO_PROXY.
     */
    private static String punycode(String authority) {
        String host = authority.substring(authority.lastIndexOf('@') + 1).replaceFirst(":[0-9]*$", "");
        try {
            return " (" + IDN.toASCII(host) + ")";
        } catch (IllegalArgumentException e) {
            return " (xn--...)";
        }
    }

    private static final String HINT = "; use an http(s) URL such as https://goproxy.cn, or \"direct\" / \"off\"";

    private static boolean containsAny(String text, String characters) {
        return characters.chars().anyMatch(c -> text.indexOf(c) >= 0);
    }

    /** The module proxies of the list, in order. */
    public List<Proxy> proxies() {
        return entries.stream()
                .filter(Proxy.class::isInstance)
                .map(Proxy.class::cast)
                .collect(Collectors.toUnmodifiableList());
    }
}
