package dev.modproxy.proxy.http;

import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageUsage;
import dev.modproxy.proxy.upstream.UpstreamChain;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /admin/stats}: cache figures as JSON for the operator's status. */
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
        router.get("/admin/stats").handler(this::stats);
    }

    /** Each upstream with its circuit state (CLOSED, OPEN, HALF_OPEN): the operator reports upstream health. */
    private JsonArray upstreams() {
        JsonArray list = new JsonArray();
        for (UpstreamChain.Entry entry : chain.entries()) {
            if (entry instanceof UpstreamChain.Proxy proxy) {
                list.add(new JsonObject().put("url", proxy.upstream().toString())
                        .put("circuit", proxy.upstream().breaker().state().name()));
            }
        }
        return list;
    }

    private void stats(RoutingContext ctx) {
        StorageUsage usage = storage.usage();
        JsonObject body = new JsonObject()
                .put("sizeBytes", usage.bytes())
                .put("entries", usage.entries())
                .put("hits", metrics.hits())
                .put("misses", metrics.misses())
                .put("hitRatio", metrics.hitRatio())
                .put("evictions", metrics.evictions())
                .put("lastWarmup", metrics.lastWarmup().map(w -> new JsonObject().put("finishedAt", w.finishedAt().toString())
                        .put("requested", w.requested()).put("failed", w.failed())).orElse(null))
                .put("upstreams", upstreams());
        ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(body.encode());
    }
}
