package dev.modproxy.proxy.http;

import dev.modproxy.proxy.metrics.ProxyMetrics;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Times every request on a port and records it in {@code http_server_requests_seconds{method,outcome,status,uri}}
 * (the series Quarkus's HTTP server metrics wrote before; see application.properties). A timer is resolved once
 * per route, method and status and kept: Quarkus built and sorted the tags and looked the meter up in the
 * registry on every request, about 7% of the event loop's time on cache hits (docs/benchmarks.md).
 * As before, Quarkus's own endpoints ({@code /q/...}) are not timed.
 *
 * <p>The label is found when the response has ended, from the route that answered: nothing is stored in
 * the request's context on the way (its data map alone cost three objects per cache hit).
 */
final class RequestMetrics {

    private static final String UNKNOWN_METHOD = "UNKNOWN";

    private final ProxyMetrics metrics;
    private final ConcurrentHashMap<Series, Timer> timers = new ConcurrentHashMap<>();
    /** Routes whose label depends on the path; any other is labelled by its fixed path or as {@code /{other}}. */
    private final Map<Route, UnaryOperator<String>> labels = new ConcurrentHashMap<>();
    /** Routers timed already: one timing per request, also when one router serves both ports' routes (as in tests). */
    private final Set<Router> timed = ConcurrentHashMap.newKeySet();

    RequestMetrics(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    /** Times every request of this router from before any other route sees it to the end of its response. */
    void install(Router router) {
        if (timed.add(router)) {
            router.route().order(Integer.MIN_VALUE).handler(this::begin);
        }
    }

    /** Labels the requests this route answers by a template made from their path (never the raw path). */
    Route labelled(Route route, UnaryOperator<String> templateOfPath) {
        labels.put(route, templateOfPath);
        return route;
    }

    private void begin(RoutingContext ctx) {
        if (!ctx.request().path().startsWith(RouteTable.QUARKUS)) {
            ctx.addEndHandler(new Timing(ctx, System.nanoTime()));
        }
        ctx.next();
    }

    Timer timer(String route, HttpMethod method, int status) {
        // a client may send any token as a method: the ones HTTP defines are labelled by name, anything else as one
        Series series = new Series(route, RequestFraming.knownMethod(method) ? method.name() : UNKNOWN_METHOD, status);
        Timer timer = timers.get(series);
        return timer != null
                ? timer
                : timers.computeIfAbsent(series, s -> metrics.requestTimer(s.route, s.method, s.status));
    }

    private record Series(String route, String method, int status) {}

    /** One request's start, and what records it when its response has ended. */
    private final class Timing implements Handler<AsyncResult<Void>> {

        private final RoutingContext ctx;
        private final long start;

        Timing(RoutingContext ctx, long start) {
            this.ctx = ctx;
            this.start = start;
        }

        @Override
        public void handle(AsyncResult<Void> ended) {
            timer(label(ctx), ctx.request().method(), ctx.response().getStatusCode())
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The route that answered (the last one the request reached) names the label: from the path for
     * a route labelled so, its own path for a route of a fixed path (the admin API's), else {@code /{other}}.
     */
    private String label(RoutingContext ctx) {
        Route route = ctx.currentRoute();
        if (route == null) {
            return RouteLabels.OTHER;
        }
        UnaryOperator<String> templateOfPath = labels.get(route);
        if (templateOfPath != null) {
            return templateOfPath.apply(ctx.request().path());
        }
        boolean fixed = !route.isRegexPath() && route.isExactPath() && route.getPath() != null;
        return fixed ? route.getPath() : RouteLabels.OTHER;
    }
}
