package dev.modproxy.contract.admin;

import java.util.List;
import java.util.Objects;

/**
 * The JSON object of {@code GET /admin/stats}; field names are the component names, also given as constants for
 * writers that build JSON by hand. {@code lastWarmup} is null until a warm-up has finished. {@code hits} are requests
 * answered with an artifact from the cache, {@code misses} requests that needed an upstream, {@code negativeHits}
 * requests answered with a refusal the cache remembered (a 404, 410 or 403), which count in neither; {@code hitRatio} is
 * hits over hits plus misses. A proxy older than {@code negativeHits} leaves it out (read as 0).
 */
public record CacheStats(
        long sizeBytes,
        long entries,
        long hits,
        long misses,
        long negativeHits,
        double hitRatio,
        long evictions,
        LastWarmup lastWarmup,
        List<UpstreamHealth> upstreams) {

    public static final String SIZE_BYTES = "sizeBytes";
    public static final String ENTRIES = "entries";
    public static final String HITS = "hits";
    public static final String MISSES = "misses";
    public static final String NEGATIVE_HITS = "negativeHits";
    public static final String HIT_RATIO = "hitRatio";
    public static final String EVICTIONS = "evictions";
    public static final String LAST_WARMUP = "lastWarmup";
    public static final String UPSTREAMS = "upstreams";

    public CacheStats {
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
    }

    /** The last finished warm-up; {@code finishedAt} an ISO-8601 instant. */
    public record LastWarmup(String finishedAt, int requested, int failed) {
        public static final String FINISHED_AT = "finishedAt";
        public static final String REQUESTED = "requested";
        public static final String FAILED = "failed";

        public LastWarmup {
            Objects.requireNonNull(finishedAt);
        }
    }

    /** One upstream of the chain and its circuit breaker: CLOSED (in use), OPEN (skipped), HALF_OPEN (on trial). */
    public record UpstreamHealth(String url, String circuit) {
        public static final String URL = "url";
        public static final String CIRCUIT = "circuit";
    }
}
