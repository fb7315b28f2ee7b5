package dev.modproxy.proxy.metrics;

import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.resilience.CircuitState;
import dev.modproxy.proxy.storage.CircuitBreakingStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.http.Outcome;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The proxy's Micrometer meters. Prometheus names: modproxy_cache_hits_total{kind},
 * modproxy_cache_misses_total{kind}, modproxy_cache_negative_hits_total{kind}, modproxy_served_bytes_total{kind},
 * modproxy_coalesced_waits_total{kind}, modproxy_upstream_requests_seconds{upstream,outcome} (requests sent),
 * modproxy_upstream_errors_total{upstream,outcome} (failed, or skipped by an open circuit), modproxy_cache_evictions_total,
 * modproxy_cache_size_bytes, modproxy_cache_entries, modproxy_memory_cache_size_bytes,
 * modproxy_memory_cache_entries, modproxy_memory_mapped_size_bytes, modproxy_memory_mapped_entries,
 * modproxy_upstream_circuit_open{upstream}, modproxy_response_buffered_bytes, modproxy_storage_read_failures_total,
 * modproxy_storage_write_failures_total, modproxy_storage_circuit_open, modproxy_storage_calls_skipped_total. Hits answered from memory
 * count in modproxy_cache_hits_total like any other hit; a remembered 404, 410 or 403 is a negative hit, not a
 * hit, so the hit ratio is the share of artifacts served from the cache. Requests on both ports are timed in
 * http_server_requests_seconds{method,outcome,status,uri} (see {@link #requestTimer}).
 */
public final class ProxyMetrics implements UpstreamListener {

    private final MeterRegistry registry;
    private final Map<RequestKind, Counter> hits = new EnumMap<>(RequestKind.class);
    private final Map<RequestKind, Counter> misses = new EnumMap<>(RequestKind.class);
    private final Map<RequestKind, Counter> negativeHits = new EnumMap<>(RequestKind.class);
    private final Map<RequestKind, Counter> bytes = new EnumMap<>(RequestKind.class);
    private final Map<RequestKind, Counter> coalesced = new EnumMap<>(RequestKind.class);
    private final Counter evictions;
    private final Counter storageReadFailures;
    private final Counter storageWriteFailures;
    private volatile java.time.Instant lastStorageWriteFailure;
    private final Counter storageCallsSkipped;
    private final Map<RequestKind, Counter> prefetchIssued = new EnumMap<>(RequestKind.class);
    private final Map<RequestKind, Counter> prefetchUsed = new EnumMap<>(RequestKind.class);
    private final Map<String, Counter> prefetchWasted = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Counter> prefetchDropped = new java.util.concurrent.ConcurrentHashMap<>();

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (RequestKind kind : RequestKind.values()) {
            String tag = kind.tag();
            hits.put(
                    kind,
                    Counter.builder("modproxy.cache.hits")
                            .tag("kind", tag)
                            .description("Requests answered with an artifact from the cache")
                            .register(registry));
            misses.put(
                    kind,
                    Counter.builder("modproxy.cache.misses")
                            .tag("kind", tag)
                            .description("Requests that needed an upstream")
                            .register(registry));
            // a name of its own, not a tag on the hits: every query of the hits (the dashboard's hit ratio)
            // then counts artifacts served without being changed
            negativeHits.put(
                    kind,
                    Counter.builder("modproxy.cache.negative.hits")
                            .tag("kind", tag)
                            .description("Requests answered with a 404, 410 or 403 the cache remembered")
                            .register(registry));
            bytes.put(
                    kind,
                    Counter.builder("modproxy.served")
                            .baseUnit("bytes")
                            .tag("kind", tag)
                            .description("Body bytes sent to clients")
                            .register(registry));
            coalesced.put(
                    kind,
                    Counter.builder("modproxy.coalesced.waits")
                            .tag("kind", tag)
                            .description("Requests that waited for another request's upstream fetch")
                            .register(registry));
        }
        for (RequestKind kind : RequestKind.values()) {
            if (kind.versioned()) {
                prefetchIssued.put(
                        kind,
                        Counter.builder("modproxy.prefetch.issued")
                                .tag("kind", kind.tag())
                                .description("Prefetches sent upstream: artifacts fetched before a client asked")
                                .register(registry));
                prefetchUsed.put(
                        kind,
                        Counter.builder("modproxy.prefetch.used")
                                .tag("kind", kind.tag())
                                .description(
                                        "Prefetches a client had, from what they stored or by joining their fetch; each once")
                                .register(registry));
            }
        }
        evictions = Counter.builder("modproxy.cache.evictions")
                .description("Objects removed to stay under the size limit")
                .register(registry);
        storageReadFailures = Counter.builder("modproxy.storage.read.failures")
                .description("Storage reads that failed: lookups (answered from the upstream, not cached) and hits "
                        + "whose stream failed or ended early (the client's connection was reset)")
                .register(registry);
        storageWriteFailures = Counter.builder("modproxy.storage.write.failures")
                .description("Artifacts the storage could not take (full or read-only disk, bucket refusing uploads): "
                        + "served uncached through the pass-through directory while it can take them")
                .register(registry);
        storageCallsSkipped = Counter.builder("modproxy.storage.calls.skipped")
                .description("Storage calls not made because its circuit was open: lookups (answered from the "
                        + "upstream), uploads (served without caching), deletions and write probes")
                .register(registry);
    }

    /** A prefetch of this kind went upstream. */
    public void prefetchIssued(RequestKind kind) {
        prefetchIssued.get(kind).increment();
    }

    /** A client got what a prefetch fetched (or is fetching). */
    public void prefetchUsed(RequestKind kind) {
        Counter used = prefetchUsed.get(kind);
        if (used != null) {
            used.increment();
        }
    }

    /**
     * A prefetch that went upstream for nothing: {@code unused} within the window, {@code failed}, {@code cancelled}
     * (over the byte budget), or {@code too_large} (a zip over MODPROXY_PREFETCH_MAX_ZIP_SIZE).
     */
    public void prefetchWasted(RequestKind kind, String reason) {
        prefetchWasted
                .computeIfAbsent(
                        kind.tag() + "/" + reason,
                        k -> Counter.builder("modproxy.prefetch.wasted")
                                .tag("kind", kind.tag())
                                .tag("reason", reason)
                                .description("Prefetches that went upstream for nothing")
                                .register(registry))
                .increment();
    }

    /**
     * A prefetch dropped before it went upstream: {@code queue_full}, {@code expired} (not started in time),
     * {@code circuit_open} (every upstream it would ask is skipped by its open circuit).
     */
    public void prefetchDropped(String reason) {
        prefetchDropped
                .computeIfAbsent(
                        reason,
                        r -> Counter.builder("modproxy.prefetch.dropped")
                                .tag("reason", r)
                                .description("Prefetches dropped before they went upstream")
                                .register(registry))
                .increment();
    }

    /** Publishes what the prefetcher holds: prefetches running, their bytes, and prefetches waiting to start. */
    public <T> void watchPrefetches(
            T prefetcher,
            java.util.function.ToDoubleFunction<T> running,
            java.util.function.ToDoubleFunction<T> bytes,
            java.util.function.ToDoubleFunction<T> queued) {
        Gauge.builder("modproxy.prefetch.in.flight", prefetcher, running)
                .description("Prefetches fetching from an upstream now")
                .register(registry);
        Gauge.builder("modproxy.prefetch.in.flight.bytes", prefetcher, bytes)
                .baseUnit("bytes")
                .description("Bytes the running prefetches hold against MODPROXY_PREFETCH_MAX_BYTES")
                .register(registry);
        Gauge.builder("modproxy.prefetch.queued", prefetcher, queued)
                .description("Prefetches waiting for a free slot")
                .register(registry);
    }

    /** Publishes the bytes that responses streamed by a worker thread have written and not yet put on a socket. */
    public void watchResponseBuffers(AtomicLong outstanding) {
        Gauge.builder("modproxy.response.buffered", outstanding, AtomicLong::get)
                .baseUnit("bytes")
                .description("Bytes written to streamed responses and not yet on their sockets")
                .register(registry);
    }

    /** Publishes the storage totals as gauges. */
    public void watch(Storage storage) {
        Gauge.builder("modproxy.cache.size", storage, s -> s.usage().bytes())
                .baseUnit("bytes")
                .description("Bytes stored in the cache")
                .register(registry);
        Gauge.builder("modproxy.cache.entries", storage, s -> s.usage().entries())
                .description("Objects stored in the cache")
                .register(registry);
    }

    /** Publishes the most the cache can hold (disk storage only: a bucket has no bound of its own). */
    public <T> void watchBound(T storage, ToDoubleFunction<T> bound) {
        Gauge.builder("modproxy.cache.bound", storage, bound)
                .baseUnit("bytes")
                .description("The most the cache can hold: MODPROXY_MAX_SIZE or the volume, whichever is smaller")
                .register(registry);
    }

    /** Publishes what the memory tier holds: copies of small artifacts, and mappings of mid-size zips. */
    public <T> void watchMemory(
            T memory,
            ToDoubleFunction<T> bytes,
            ToDoubleFunction<T> entries,
            ToDoubleFunction<T> mappedBytes,
            ToDoubleFunction<T> mappedEntries) {
        Gauge.builder("modproxy.memory.cache.size", memory, bytes)
                .baseUnit("bytes")
                .description("Bytes of small artifacts kept in memory")
                .register(registry);
        Gauge.builder("modproxy.memory.cache.entries", memory, entries)
                .description("Small artifacts kept in memory")
                .register(registry);
        Gauge.builder("modproxy.memory.mapped.size", memory, mappedBytes)
                .baseUnit("bytes")
                .description("Bytes of mid-size zip files kept mapped (the kernel's file cache)")
                .register(registry);
        Gauge.builder("modproxy.memory.mapped.entries", memory, mappedEntries)
                .description("Mid-size zip files kept mapped")
                .register(registry);
    }

    /** Publishes the storage's circuit state, as an upstream's: 0 closed, 1 open, 0.5 half-open (one trial call out). */
    public void watchCircuit(CircuitBreakingStorage storage) {
        Gauge.builder("modproxy.storage.circuit.open", storage, s -> circuitOpen(s.state()))
                .description("Whether calls to the storage are being skipped")
                .register(registry);
    }

    /** A circuit's state as its gauge reads: 0 closed, 1 open, 0.5 half-open (one trial call out). */
    private static double circuitOpen(CircuitState state) {
        return switch (state) {
            case CLOSED -> 0.0;
            case HALF_OPEN -> 0.5;
            case OPEN -> 1.0;
        };
    }

    /** Publishes each upstream's circuit state: 0 closed, 1 open, 0.5 half-open (one trial request out). */
    public void watch(UpstreamChain chain) {
        for (UpstreamChain.Entry entry : chain.entries()) {
            if (entry instanceof UpstreamChain.Proxy proxy) {
                Upstream upstream = proxy.upstream();
                Gauge.builder(
                                "modproxy.upstream.circuit.open",
                                upstream,
                                u -> circuitOpen(u.breaker().state()))
                        .tag("upstream", upstream.host())
                        .description("Whether requests to this upstream are being skipped")
                        .register(registry);
            }
        }
    }

    /**
     * The timer of one series of {@code http_server_requests_seconds}: same name, tags and description as Quarkus's
     * HTTP server metrics, which the proxy no longer runs (a meter lookup per request). The caller keeps it.
     *
     * @param uri the route, never a raw path
     */
    public Timer requestTimer(String uri, String method, int status) {
        return Timer.builder("http.server.requests")
                .description("HTTP server request processing time")
                .tag("method", method)
                .tag("outcome", Outcome.forStatus(status).name())
                .tag("status", Integer.toString(status))
                .tag("uri", uri)
                .register(registry);
    }

    public void hit(RequestKind kind) {
        hits.get(kind).increment();
    }

    public void miss(RequestKind kind) {
        misses.get(kind).increment();
    }

    /** A request answered with a 404, 410 or 403 remembered from the upstream chain: neither a hit nor a miss. */
    public void negativeHit(RequestKind kind) {
        negativeHits.get(kind).increment();
    }

    public void served(RequestKind kind, long count) {
        bytes.get(kind).increment(count);
    }

    public void coalescedWait(RequestKind kind) {
        coalesced.get(kind).increment();
    }

    public void evicted(long count) {
        evictions.increment(count);
    }

    /**
     * A storage read failed: a lookup (bucket unreachable, disk error), answered as a miss, or a hit streamed from
     * storage cut short (its stream failed or ended before the object's size).
     */
    public void storageReadFailed() {
        storageReadFailures.increment();
    }

    /**
     * A write to the storage failed (not one skipped by its open circuit): the artifact goes out uncached through
     * the pass-through directory, or fails when that cannot take it either.
     */
    public void storageWriteFailed() {
        storageWriteFailures.increment();
        lastStorageWriteFailure = java.time.Instant.now();
    }

    /** Writes to the storage that failed since start, for the readiness check. */
    public long storageWriteFailures() {
        return (long) storageWriteFailures.count();
    }

    /** When a write to the storage last failed; empty when none has. */
    public java.util.Optional<java.time.Instant> lastStorageWriteFailure() {
        return java.util.Optional.ofNullable(lastStorageWriteFailure);
    }

    /** A storage call was not made: its circuit is open. */
    public void storageCallSkipped() {
        storageCallsSkipped.increment();
    }

    public long hits() {
        return (long) hits.values().stream().mapToDouble(Counter::count).sum();
    }

    public long misses() {
        return (long) misses.values().stream().mapToDouble(Counter::count).sum();
    }

    public long negativeHits() {
        return (long) negativeHits.values().stream().mapToDouble(Counter::count).sum();
    }

    public long coalescedWaits() {
        return (long) coalesced.values().stream().mapToDouble(Counter::count).sum();
    }

    /** The last finished warm-up, for /admin/stats. */
    public record WarmupSummary(java.time.Instant finishedAt, int requested, int failed) {}

    private volatile WarmupSummary lastWarmup;

    public void warmupFinished(WarmupSummary summary) {
        if (lastWarmup == null) {
            Gauge.builder(
                            "modproxy.warmup.last.finished",
                            this,
                            m -> m.lastWarmup.finishedAt().getEpochSecond())
                    .baseUnit("seconds")
                    .description("When the last warm-up finished (Unix time)")
                    .register(registry);
        }
        lastWarmup = summary;
    }

    public java.util.Optional<WarmupSummary> lastWarmup() {
        return java.util.Optional.ofNullable(lastWarmup);
    }

    /** Share of hits among hits and misses (negative hits left out); 0 before the first of them. */
    public double hitRatio() {
        long hits = hits();
        long total = hits + misses();
        return total == 0 ? 0 : (double) hits / total;
    }

    public long evictions() {
        return (long) evictions.count();
    }

    /** The outcome of a request the upstream's open circuit kept from being sent. */
    static final String CIRCUIT_OPEN = "circuit_open";

    /**
     * Outcomes that are no failure of the upstream: an upstream that says a module does not exist, or is not allowed,
     * answered; a request the proxy cancelled itself (a prefetch over its byte budget), or failed itself while taking
     * the answer (its storage), says nothing about it.
     */
    private static final Set<String> NO_UPSTREAM_ERROR =
            Set.of("ok", "not_found", "forbidden", "bad_request", "cancelled", "local_failure");

    @Override
    public void requestFinished(Upstream upstream, String outcome, long nanos) {
        // a request the open circuit skipped was never sent: timed (0 s), it would make the requests count differ from
        // what the upstream got and pull the mean latency (sum / count, the dashboard's panel) towards 0 in an outage
        if (!outcome.equals(CIRCUIT_OPEN)) {
            Timer.builder("modproxy.upstream.requests")
                    .tag("upstream", upstream.host())
                    .tag("outcome", outcome)
                    .description("Requests sent to upstream proxies")
                    .register(registry)
                    .record(nanos, TimeUnit.NANOSECONDS);
        }
        if (!NO_UPSTREAM_ERROR.contains(outcome)) {
            Counter.builder("modproxy.upstream.errors")
                    .tag("upstream", upstream.host())
                    .tag("outcome", outcome)
                    .description("Upstream requests that failed or were skipped")
                    .register(registry)
                    .increment();
        }
    }
}
