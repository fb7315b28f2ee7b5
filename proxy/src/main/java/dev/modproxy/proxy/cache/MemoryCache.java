package dev.modproxy.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.StorageKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Small immutable artifacts ({@code .info} and {@code .mod} of canonical versions) kept in memory,
 * so a hit on them costs no file-system call and goes out in one write with its headers. Holds
 * only what the storage holds: filled after a verified artifact was stored or found in storage,
 * dropped when the storage deletes or evicts the key. Bounded by bytes (MODPROXY_MEMORY_CACHE_SIZE).
 */
public final class MemoryCache {

    /** Larger artifacts stay in storage: sendfile serves them well, and they would crowd out the small ones. */
    static final int MAX_ENTRY_BYTES = 64 * 1024;

    /** How often a local storage is asked again, which also keeps the file's recency for disk eviction. */
    static final Duration RECHECK = Duration.ofMinutes(1);

    private static final long RECHECK_MILLIS = RECHECK.toMillis();

    /** The bytes of one artifact and when the storage last confirmed it holds them. */
    record Entry(byte[] content, Instant lastModified, long confirmedAtMillis) {}

    private final long maxBytes;
    private final Clock clock;
    private final Cache<StorageKey, Entry> entries;
    private final AtomicLong removals = new AtomicLong();

    /** @param maxBytes 0 disables the memory cache */
    public MemoryCache(long maxBytes, Clock clock) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("MODPROXY_MEMORY_CACHE_SIZE must not be negative");
        }
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.entries = maxBytes == 0
                ? null
                : Caffeine.newBuilder()
                        .maximumWeight(maxBytes)
                        .weigher((StorageKey key, Entry entry) ->
                                entry.content().length + key.value().length())
                        .executor(Runnable::run) // evict on the caller's thread: no pool, and the bound holds when put
                        // returns
                        .build();
    }

    /** Whether the answer to this request, of this many bytes, belongs in memory. */
    boolean wants(ProxyRequest request, long size) {
        return entries != null
                && request.immutable()
                && request.kind().keptInMemory()
                && size <= Math.min(MAX_ENTRY_BYTES, maxBytes);
    }

    Entry get(StorageKey key) {
        return entries == null ? null : entries.getIfPresent(key);
    }

    boolean dueForRecheck(Entry entry) {
        return clock.millis() - entry.confirmedAtMillis() >= RECHECK_MILLIS;
    }

    /** Take this before asking the storage; {@link #remember} refuses bytes when a removal came in between. */
    long removalsSoFar() {
        return removals.get();
    }

    void remember(StorageKey key, byte[] content, Instant lastModified, long removalsBefore) {
        if (entries == null) {
            return;
        }
        entries.put(key, new Entry(content, lastModified, clock.millis()));
        // put first, then check: a removal either sees the entry or is seen here
        if (removals.get() != removalsBefore) {
            entries.invalidate(key);
        }
    }

    /** The storage no longer holds the key (a {@link dev.modproxy.proxy.storage.RemovalListener}). */
    public void forget(StorageKey key) {
        removals.incrementAndGet();
        if (entries != null) {
            entries.invalidate(key);
        }
    }

    /** Bytes held (content plus key lengths), at most the configured size. */
    public long bytes() {
        return entries == null
                ? 0
                : entries.policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    public long count() {
        return entries == null ? 0 : entries.estimatedSize();
    }

    public long maxBytes() {
        return maxBytes;
    }
}
