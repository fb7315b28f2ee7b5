package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.RequestKind;
import java.time.Duration;

/**
 * @param mutableTtl how long list, @latest and non-canonical .info answers count as fresh
 * @param negativeTtl how long a 404/410 from the whole upstream chain, the 403 it stopped on, or the refusal of an
 *     answer's content, is remembered
 * @param textDeadline the longest one upstream may take to send a whole .info, .mod, list or @latest
 * @param zipDeadline the longest one upstream may take to send a whole .zip
 */
public record CacheSettings(Duration mutableTtl, Duration negativeTtl, Duration textDeadline, Duration zipDeadline) {

    /** The total time one upstream gets for a download of this kind: a slow drip cannot hold it forever. */
    public Duration deadline(RequestKind kind) {
        return kind.large() ? zipDeadline : textDeadline;
    }
}
