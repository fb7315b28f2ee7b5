package dev.modproxy.operator.settings;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;

/** Checks a GOPROXY-syntax list the way the proxy will read it, to report mistakes in words. */
public final class GoProxyList {

    private GoProxyList() {
    }

    /** Returns what is wrong with {@code list}, or empty when every entry is usable. */
    public static Optional<String> problem(String field, String list) {
        if (list == null || list.isBlank()) {
            return Optional.of(field + " is empty; write at least one upstream, e.g. \"https://proxy.golang.org\"");
        }
        String[] entries = list.split("[,|]", -1);
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i];
            String where = field + " entry " + (i + 1) + " \"" + entry + "\"";
            if (entry.isEmpty()) {
                return Optional.of(field + " entry " + (i + 1) + " is empty; remove the doubled or trailing ',' or '|'");
            }
            if (entry.equals("direct") || entry.equals("off")) {
                continue;
            }
            if (!entry.strip().equals(entry) || entry.chars().anyMatch(Character::isWhitespace)) {
                return Optional.of(where + " contains spaces; separate entries with ',' or '|' only");
            }
            Optional<String> urlProblem = urlProblem(entry);
            if (urlProblem.isPresent()) {
                return Optional.of(where + " " + urlProblem.get()
                        + "; use an http(s) URL such as https://goproxy.cn, or \"direct\" / \"off\"");
            }
        }
        return Optional.empty();
    }

    private static Optional<String> urlProblem(String entry) {
        try {
            URI uri = new URI(entry);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
                return Optional.of("is not an http(s) URL");
            }
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                return Optional.of("has no host name");
            }
            if (uri.getQuery() != null || uri.getFragment() != null) {
                return Optional.of("has a query or fragment, which a module proxy URL cannot carry");
            }
            return Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.of("is not a valid URL (" + e.getReason() + ")");
        }
    }
}
