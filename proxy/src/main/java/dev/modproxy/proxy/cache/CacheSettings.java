package dev.modproxy.proxy.cache;

import java.time.Duration;

/**
 * @param mutableTtl how long list, @latest and non-canonical .info answers count as fresh
 * @param negativeTtl how long a 404/410 from the whole upstream chain is remembered
 */
public record CacheSettings(Duration mutableTtl, Duration negativeTtl) {
}
