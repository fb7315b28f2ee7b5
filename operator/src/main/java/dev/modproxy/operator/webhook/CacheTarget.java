package dev.modproxy.operator.webhook;

import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.operator.settings.GoProxyList;
import java.util.List;

/**
 * What the webhook needs to know about one GoProxyCache.
 *
 * @param url the cache's in-cluster URL (status.url); blank until the operator has published it
 * @param fallback GOPROXY chain build pods use after the cache, or when it is not Ready (unless refused,
 *        {@link #fallbackRefused()})
 * @param privatePatterns GOPRIVATE patterns (spec.private)
 * @param noSumDbPatterns GONOSUMDB patterns (spec.noSumDB)
 * @param ready the Ready condition is True
 * @param markedDefault annotated as its namespace's default cache
 * @param fallbackRefused the operator's own GOPROXY-list rule refuses {@code fallback}, so the cache is Degraded
 *        InvalidSpec and its proxy runs earlier settings: build pods are not handed a value the operator itself
 *        refused. Worked out once here, since a review asks for it more than once.
 */
public record CacheTarget(
        CacheRef ref,
        String url,
        String fallback,
        List<String> privatePatterns,
        List<String> noSumDbPatterns,
        boolean ready,
        boolean markedDefault,
        boolean fallbackRefused) {

    public CacheTarget(
            CacheRef ref,
            String url,
            String fallback,
            List<String> privatePatterns,
            List<String> noSumDbPatterns,
            boolean ready,
            boolean markedDefault) {
        this(ref, url, fallback, privatePatterns, noSumDbPatterns, ready, markedDefault, refused(fallback));
    }

    public CacheTarget {
        // as the proxy reads them (stripped, blank ones left out), where the go command would take " git.corp/*" as
        // written: private to the cache, it then matched nothing in the build pod, which asked the cache's public
        // fallback for the path
        privatePatterns = ModulePathPatterns.items(privatePatterns);
        noSumDbPatterns = ModulePathPatterns.items(noSumDbPatterns);
    }

    private static boolean refused(String fallback) {
        return fallback != null
                && !fallback.isBlank()
                && GoProxyList.problem("fallback", fallback).isPresent();
    }

    /** Ready and reachable: a cache without a URL yet cannot be put in front of anything. */
    public boolean serving() {
        return ready && url != null && !url.isBlank();
    }
}
