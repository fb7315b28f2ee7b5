package dev.modproxy.proxy.http;

import dev.modproxy.contract.admin.AdminPaths;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.protocol.InvalidRequestException;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.warmup.Warmer;
import dev.modproxy.proxy.warmup.WarmupRoute;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Which path goes where: the one place that registers routes.
 *
 * <pre>
 * serving port (QUARKUS_HTTP_PORT, build pods)
 *   every request, first        RequestMetrics     times it (http_server_requests_seconds), /q/* excepted
 *                               RequestFraming     505/501/400 for framing the proxy would have to guess at,
 *                                                  501 for a method HTTP does not define, 400 for a target that is no URI
 *   /sumdb/*                    SumDbRoutes        the checksum database MODPROXY_SUMDB names
 *   /admin/*                    404                naming the management port
 *   /q/*                        404                naming the management port, where health and metrics are
 *   anything else, last         GoProxyRoutes      $module/@v/list, $module/@v/$version.info|.mod|.zip, $module/@latest
 *
 * management port (QUARKUS_MANAGEMENT_PORT, the operator, Prometheus, the kubelet)
 *   every request, first        RequestMetrics     times it, /q/* excepted; uri label: the route's path
 *   GET  /admin/stats           AdminStatsRoute    cache figures as JSON
 *   POST /admin/warmup          WarmupRoute        starts a warm-up
 *   GET  /admin/warmup          WarmupRoute        its progress
 *   DELETE /admin/cache/{module}/@v/{version}, .../@v/list, .../@latest
 *                               AdminCacheRoute    removes those answers from every tier of this replica
 *   /q/health/*, /q/metrics     (Quarkus)
 * </pre>
 */
public final class RouteTable {

    /** After every route Quarkus and this table register by path: the GOPROXY paths are what is left. */
    private static final int LAST = Integer.MAX_VALUE - 100;
    /** Quarkus's own paths: health and metrics are on the management port; not timed. */
    static final String QUARKUS = "/q/";

    private final GoProxyRoutes goProxy;
    private final SumDbRoutes sumDb;
    private final AdminStatsRoute stats;
    private final WarmupRoute warmup;
    private final AdminCacheRoute removal;
    private final RequestMetrics requestMetrics;

    /**
     * @param cache what {@code DELETE /admin/cache/...} removes answers from
     * @param storage and chain: what {@code /admin/stats} reports on
     */
    public RouteTable(
            GoProxyRoutes goProxy,
            SumDbRoutes sumDb,
            ModuleCache cache,
            Storage storage,
            UpstreamChain chain,
            ProxyMetrics metrics,
            Warmer warmer) {
        this.goProxy = goProxy;
        this.sumDb = sumDb;
        this.stats = new AdminStatsRoute(storage, chain, metrics);
        this.warmup = new WarmupRoute(warmer);
        this.removal = new AdminCacheRoute(cache);
        this.requestMetrics = new RequestMetrics(metrics);
    }

    /** Stops what the routes run on their own threads (the storage senders of bucket hits). */
    public void close() {
        goProxy.close();
    }

    /** The port build pods use. */
    public void installServing(Router router) {
        ClientDisconnects.quietSendfileFailures(); // a client leaving mid-sendfile is no ERROR line
        requestMetrics.install(router);
        RequestFraming.install(router);
        requestMetrics.labelled(
                router.route("/sumdb/*").handler(whenSentUnder("/sumdb", sumDb::handle)), RouteLabels::sumDb);
        // prefix routes and a prefix test rather than regular expressions: each would take a matcher per request
        router.route("/admin/*").handler(whenSentUnder("/admin", RouteTable::adminIsElsewhere));
        requestMetrics.labelled(
                router.route().order(LAST).handler(ctx -> {
                    if (ctx.request().path().startsWith(QUARKUS)) {
                        // Quarkus's page for them would be HTML; every other refusal here is one line of text
                        quarkusIsElsewhere(ctx);
                    } else {
                        goProxy.handle(ctx);
                    }
                }),
                RouteLabels::goProxy);
    }

    /** The port the operator, Prometheus and the kubelet use; build pods are not given it. */
    public void installManagement(Router router) {
        requestMetrics.install(router);
        stats.install(router); // GET /admin/stats
        router.post(AdminPaths.WARMUP)
                .handler(WarmupRoute::refuseForms); // a form body: 415 before it is read, on a route of its own
        router.post(AdminPaths.WARMUP).handler(WarmupRoute.bodyHandler()).handler(warmup::start);
        router.get(AdminPaths.WARMUP).handler(warmup::progress);
        removal.install(router, requestMetrics::labelled); // DELETE /admin/cache/...
        // what is left on these paths: one line of text naming what is served, as the serving port's refusals are
        router.route(AdminPaths.STATS).handler(ctx -> methodNotAllowed(ctx, "GET"));
        router.route(AdminPaths.WARMUP).handler(ctx -> methodNotAllowed(ctx, "GET, POST"));
        requestMetrics.labelled(
                router.route(AdminCacheRoute.PATH + "/*").handler(ctx -> methodNotAllowed(ctx, "DELETE")),
                path -> AdminCacheRoute.LABEL);
        router.route("/admin/*")
                .handler(ctx -> GoProxyRoutes.refuse(
                        ctx.response(),
                        404,
                        "the admin API serves GET " + AdminPaths.STATS + ", GET or POST " + AdminPaths.WARMUP + " and "
                                + AdminCacheRoute.USAGE,
                        "no-store"));
    }

    private static void methodNotAllowed(RoutingContext ctx, String allowed) {
        ctx.response().putHeader("Allow", allowed);
        GoProxyRoutes.refuse(ctx.response(), 405, ctx.request().path() + " takes " + allowed, "no-store");
    }

    /** The handler for a request sent under prefix ({@link #sentUnder}); any other goes on to the next route. */
    private static Handler<RoutingContext> whenSentUnder(String prefix, Handler<RoutingContext> handler) {
        return ctx -> {
            if (sentUnder(ctx, prefix)) {
                handler.handle(ctx);
            } else {
                ctx.next();
            }
        };
    }

    /**
     * Whether the path the client sent (its escapes decoded, as every handler reads it) is prefix or lies under it. The
     * router matches routes on the path with its dot segments and empty elements resolved, so "//sumdb/...",
     * "/x/../sumdb/..." and "/example.com/../admin/stats" reach the routes of /sumdb and /admin, whose handlers read
     * the path as sent and then answered about a path the client never asked for ("modproxy serves only the checksum
     * database sum.golang.org" to a request naming sum.golang.org). Such a path goes on to the GOPROXY paths.
     */
    static boolean sentUnder(RoutingContext ctx, String prefix) {
        String sent = ctx.request().path();
        String path;
        try {
            path = ProxyRequest.percentDecode(sent);
        } catch (InvalidRequestException e) {
            // not decodable ("/%2F/../admin/stats" too): under the prefix only as written; where it goes, it is refused
            // with the reason
            path = sent;
        }
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    private static void quarkusIsElsewhere(RoutingContext ctx) {
        GoProxyRoutes.refuse(
                ctx.response(),
                404,
                "health and metrics are served on the management port (QUARKUS_MANAGEMENT_PORT, default 9000)",
                "no-store");
    }

    /** Never a module path (its first element has no dot); say where it went instead of a parse error. */
    private static void adminIsElsewhere(RoutingContext ctx) {
        GoProxyRoutes.refuse(
                ctx.response(),
                404,
                "the admin API is served on the management port (QUARKUS_MANAGEMENT_PORT, default 9000)",
                "no-store");
    }
}
