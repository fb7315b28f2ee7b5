package dev.modproxy.operator.webhook;

import dev.modproxy.contract.ChecksumExemptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Go environment variables a build pod gets for one cache. */
public final class GoEnvironment {

    public static final String GOPROXY = "GOPROXY";
    public static final String GOPRIVATE = "GOPRIVATE";
    public static final String GONOPROXY = "GONOPROXY";
    public static final String GONOSUMDB = "GONOSUMDB";

    private GoEnvironment() {}

    /**
     * Variables in the order they are added. When the cache is not serving, GOPROXY is the
     * fallback chain alone, so builds keep working without it. A refused fallback chain is left out:
     * GOPROXY is then the cache alone, or unset.
     */
    public static Map<String, String> forCache(CacheTarget cache) {
        Map<String, String> env = new LinkedHashMap<>();
        String fallback = cache.fallbackRefused() ? "" : normalizeChain(cache.fallback());
        String proxy = cache.serving() ? behindCache(cache.url().trim(), fallback) : fallback;
        if (!proxy.isEmpty()) {
            env.put(GOPROXY, proxy);
        }
        if (!cache.privatePatterns().isEmpty()) {
            String patterns = String.join(",", cache.privatePatterns());
            env.put(GOPRIVATE, patterns);
            env.put(GONOPROXY, patterns);
        }
        // an explicit GONOSUMDB replaces the default taken from GOPRIVATE, so private patterns go in too
        List<String> noSumDb = ChecksumExemptions.patterns(cache.privatePatterns(), cache.noSumDbPatterns());
        if (!noSumDb.isEmpty()) {
            env.put(GONOSUMDB, String.join(",", noSumDb));
        }
        return env;
    }

    /**
     * "cache|fallback": the go command moves past a cache that fails in any way (connection
     * refused, 5xx, 404) to the fallback, whose own "," and "|" keep the meaning its author gave them.
     */
    static String behindCache(String cacheUrl, String fallback) {
        List<String> kept = new ArrayList<>();
        StringBuilder chain = new StringBuilder(cacheUrl);
        for (String[] element : elements(fallback)) {
            // the cache itself in its own fallback would only cost a second failure
            if (stripSlash(element[1]).equals(stripSlash(cacheUrl))) {
                continue;
            }
            chain.append(kept.isEmpty() ? "|" : element[0]).append(element[1]);
            kept.add(element[1]);
        }
        return chain.toString();
    }

    /** Trims elements and drops empty ones, keeping each separator with the element it follows. */
    static String normalizeChain(String chain) {
        StringBuilder out = new StringBuilder();
        for (String[] element : elements(chain)) {
            if (out.length() > 0) {
                out.append(element[0]);
            }
            out.append(element[1]);
        }
        return out.toString();
    }

    // each entry: {separator before it (",", "|"), element}; the first separator is ","
    private static List<String[]> elements(String chain) {
        List<String[]> result = new ArrayList<>();
        if (chain == null) {
            return result;
        }
        String separator = ",";
        StringBuilder current = new StringBuilder();
        for (int i = 0; i <= chain.length(); i++) {
            char c = i < chain.length() ? chain.charAt(i) : ',';
            if (c == ',' || c == '|') {
                String element = current.toString().trim();
                if (!element.isEmpty()) {
                    result.add(new String[] {separator, element});
                    separator = String.valueOf(c);
                } else if (c == '|') {
                    // an empty element between separators: the stricter "|" of the pair wins
                    separator = "|";
                }
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        return result;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
