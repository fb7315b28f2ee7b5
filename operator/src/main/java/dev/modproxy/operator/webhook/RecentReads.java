package dev.modproxy.operator.webhook;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Answers read from the API server, each given again for a while instead of being read again, but only while the
 * informers say the same: a kept answer is then what the informers would answer, never older news than theirs. Where
 * the two differ, either the informers lag (the case the read is for) or the kept answer is stale (a namespace opted
 * out since, a GoProxyCache deleted since): which one cannot be told, so the API server is read again. At most
 * {@code limit} held, so reviews naming ever new namespaces (any pod can post to the webhook's Service) cannot grow it
 * without end.
 */
final class RecentReads<K, V> {

    private record Read<V>(V value, long atNanos) {}

    private final Map<K, Read<V>> reads = new ConcurrentHashMap<>();
    private final long keptNanos;
    private final int limit;
    private final LongSupplier nanoTime;

    RecentReads(Duration kept, int limit, LongSupplier nanoTime) {
        this.keptNanos = kept.toNanos();
        this.limit = limit;
        this.nanoTime = nanoTime;
    }

    /**
     * The answer read for {@code key} less than the kept time ago if it equals {@code informers}, else {@code read}'s
     * (which may throw).
     */
    V get(K key, V informers, Supplier<V> read) {
        // taken before the read: an answer is never given out for longer than the kept time after it was asked
        long now = nanoTime.getAsLong();
        Read<V> known = reads.get(key);
        if (known != null && now - known.atNanos() < keptNanos && known.value().equals(informers)) {
            return known.value();
        }
        V value = read.get();
        if (reads.size() >= limit) {
            reads.values().removeIf(old -> now - old.atNanos() >= keptNanos);
        }
        if (reads.size() < limit || reads.containsKey(key)) {
            reads.put(key, new Read<>(value, now));
        }
        return value;
    }
}
