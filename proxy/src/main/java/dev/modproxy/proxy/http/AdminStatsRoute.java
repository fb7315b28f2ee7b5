package dev.modproxy.proxy.http;

import dev.modproxy.contract.admin.AdminPaths;
import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageUsage;
import dev.modproxy.proxy.upstream.UpstreamChain;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/** {@code GET /admin/stats}: cache figures as JSON for the operator's status, in the contract's shape. */
final class AdminStatsRoute {

    private final Storage storage;
    private final UpstreamChain chain;
    private final ProxyMetrics metrics;

    AdminStatsRoute(Storage storage, UpstreamChain chain, ProxyMetrics metrics) {
        this.storage = storage;
        this.chain = chain;
        this.metrics = metrics;
    }

    void install(Router router) {
        router.get(AdminPaths.STATS).handler(this::stats);
    }

    CacheStats read() {
        StorageUsage usage = storage.usage();
        return new CacheStats(
                usage.bytes(),
                usage.entries(),
                metrics.hits(),
                metrics.misses(),
                metrics.negativeHits(),
                metrics.hitRatio(),
                metrics.evictions(),
                metrics.lastWarmup()
                        .map(w -> new CacheStats.LastWarmup(w.finishedAt().toString(), w.requested(), w.failed()))
                        .orElse(null),
                upstreams());
    }

    /** Each upstream with its circuit state (CLOSED, OPEN, HALF_OPEN): the operator reports upstream health. */
    private List<CacheStats.UpstreamHealth> upstreams() {
        List<CacheStats.UpstreamHealth> list = new ArrayList<>();
        for (UpstreamChain.Entry entry : chain.entries()) {
            if (entry instanceof UpstreamChain.Proxy proxy) {
                list.add(new CacheStats.UpstreamHealth(
                        proxy.upstream().toString(),
                        proxy.upstream().breaker().state().name()));
            }
        }
        return list;
    }

    static JsonObject json(CacheStats stats) {
        JsonArray upstreams = new JsonArray();
        stats.upstreams()
                .forEach(u -> upstreams.add(new JsonObject()
                        .put(CacheStats.UpstreamHealth.URL, u.url())
                        .put(CacheStats.UpstreamHealth.CIRCUIT, u.circuit())));
        CacheStats.LastWarmup warmup = stats.lastWarmup();
        return new JsonObject()
                .put(CacheStats.SIZE_BYTES, stats.sizeBytes())
                .put(CacheStats.ENTRIES, stats.entries())
                .put(CacheStats.HITS, stats.hits())
                .put(CacheStats.MISSES, stats.misses())
                .put(CacheStats.NEGATIVE_HITS, stats.negativeHits())
                .put(CacheStats.HIT_RATIO, stats.hitRatio())
                .put(CacheStats.EVICTIONS, stats.evictions())
                .put(
                        CacheStats.LAST_WARMUP,
                        warmup == null
                                ? null
                                : new JsonObject()
                                        .put(CacheStats.LastWarmup.FINISHED_AT, warmup.finishedAt())
                                        .put(CacheStats.LastWarmup.REQUESTED, warmup.requested())
                                        .put(CacheStats.LastWarmup.FAILED, warmup.failed()))
                .put(CacheStats.UPSTREAMS, upstreams);
    }

    private void stats(RoutingContext ctx) {
        ctx.response()
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(json(read()).encode());
    }
}
