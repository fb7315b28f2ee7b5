package dev.modproxy.proxy.http;

import dev.modproxy.proxy.metrics.ProxyMetrics;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Times every request on a port and records it in {@code http_server_requests_seconds{method,outcome,status,uri}}
 * (the series Quarkus's HTTP server metrics wrote before; see application.properties). A timer is resolved once
 * per route, method and status and kept: Quarkus built and sorted the tags and looked the meter up in the
 * registry on every request, about 7% of the event loop's time on cache hits (docs/benchmarks.md).
 * As before, Quarkus's own endpoints ({@code /q/...}) are not timed.
 */
final class RequestMetrics {

    /** Where the request's {@link Timing} waits for the handler that answers to name its route. */
    private static final String TIMING = "modproxy.request.timing";

    /** A client may send any token as a method: the ones HTTP defines are labelled by name, anything else as one. */
    private static final Set<HttpMethod> KNOWN_METHODS = Set.copyOf(HttpMethod.values());

    private static final String UNKNOWN_METHOD = "UNKNOWN";

    private final ProxyMetrics metrics;
    private final ConcurrentHashMap<Series, Timer> timers = new ConcurrentHashMap<>();

    RequestMetrics(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    /** Times every request of this router from before any other route sees it to the end of its response. */
    void install(Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::begin);
    }

    /** Names the route of the request being answered (its {@code uri} label). */
    static void label(RoutingContext ctx, String route) {
        Timing timing = ctx.get(TIMING);
        if (timing != null) {
            timing.route = route;
        }
    }

    private void begin(RoutingContext ctx) {
        // one timing per request, also when one router serves both sets of routes (as in tests)
        if (ctx.get(TIMING) == null && !ctx.request().path().startsWith(RouteTable.QUARKUS)) {
            Timing timing = new Timing(ctx, System.nanoTime());
            ctx.put(TIMING, timing);
            ctx.addEndHandler(timing);
        }
        ctx.next();
    }

    Timer timer(String route, HttpMethod method, int status) {
        Series series = new Series(route, KNOWN_METHODS.contains(method) ? method.name() : UNKNOWN_METHOD, status);
        Timer timer = timers.get(series);
        return timer != null
                ? timer
                : timers.computeIfAbsent(series, s -> metrics.requestTimer(s.route, s.method, s.status));
    }

    private record Series(String route, String method, int status) {}

    /** One request's start, the route its handler named, and what records it when its response has ended. */
    private final class Timing implements Handler<AsyncResult<Void>> {

        private final RoutingContext ctx;
        private final long start;
        private String route;

        Timing(RoutingContext ctx, long start) {
            this.ctx = ctx;
            this.start = start;
        }

        @Override
        public void handle(AsyncResult<Void> ended) {
            timer(
                            route != null ? route : routePath(ctx),
                            ctx.request().method(),
                            ctx.response().getStatusCode())
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** A route registered with a fixed path (the admin API's) is its own label; anything else is {@code /{other}}. */
    private static String routePath(RoutingContext ctx) {
        Route route = ctx.currentRoute();
        boolean fixed = route != null && !route.isRegexPath() && route.isExactPath() && route.getPath() != null;
        return fixed ? route.getPath() : RouteLabels.OTHER;
    }
}
