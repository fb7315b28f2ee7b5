package dev.modproxy.operator.figures;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** The part of the proxy's GET /admin/stats answer the operator shows in status. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CacheStats(long sizeBytes, long entries, double hitRatio, long evictions, LastWarmup lastWarmup) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record LastWarmup(String finishedAt, int requested, int failed) {
    }
}
