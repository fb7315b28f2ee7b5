package dev.modproxy.proxy.http;

import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.proxy.protocol.InvalidRequestException;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.sumdb.ChecksumDatabase;
import dev.modproxy.proxy.sumdb.SumDbCache;
import dev.modproxy.proxy.sumdb.SumDbException;
import dev.modproxy.proxy.sumdb.SumDbNotFoundException;
import dev.modproxy.proxy.sumdb.SumDbPath;
import dev.modproxy.proxy.sumdb.SumDbPathRefusedException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * Serves /sumdb/&lt;name&gt;/supported, latest, lookup/... and tile/... for the configured checksum
 * database, so go commands with GOSUMDB on reach it through this proxy. Other names get 404,
 * which sends the go command on to its next proxy or to the database itself.
 */
public final class SumDbRoutes {

    private static final String IMMUTABLE = "public, max-age=31536000, immutable";

    private final ChecksumDatabase database;
    private final Duration ttl;
    private final ModulePathPatterns privatePaths;

    /** @param privatePaths modules whose names never leave the proxy, not even in a lookup (MODPROXY_PRIVATE) */
    public SumDbRoutes(ChecksumDatabase database, Duration mutableTtl, ModulePathPatterns privatePaths) {
        this.database = database;
        this.ttl = mutableTtl;
        this.privatePaths = privatePaths;
    }

    /** Whether some '/'-separated element of the path is empty, "." or "..", read in place (tiles come in bulk). */
    static boolean hasDotOrEmptyElement(String path) {
        int start = 0;
        while (true) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            int length = end - start;
            if (length == 0
                    || (path.charAt(start) == '.' && (length == 1 || (length == 2 && path.charAt(start + 1) == '.')))) {
                return true;
            }
            if (end == path.length()) {
                return false;
            }
            start = end + 1;
        }
    }

    void handle(RoutingContext ctx) {
        HttpMethod method = ctx.request().method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            // no path under /sumdb/ takes another, whichever database is named and whether the relay is on
            ctx.response().putHeader("Allow", "GET, HEAD");
            refuse(ctx.response(), 405, "the checksum database protocol is read-only: use GET");
            return;
        }
        String requested;
        try {
            // as on the GOPROXY paths: a client may send '!' as %21 and '+' as %2B; an escaped '/' is refused
            requested = ProxyRequest.percentDecode(ctx.request().path());
        } catch (InvalidRequestException e) {
            refuse(ctx.response(), e.status(), e.getMessage());
            return;
        }
        // the route "/sumdb/*" also matches "/sumdb" itself, which names no database
        String rest = requested.startsWith("/sumdb/") ? requested.substring("/sumdb/".length()) : "";
        if (!rest.isEmpty() && hasDotOrEmptyElement(rest)) {
            // "/sumdb/./sum.golang.org/...", "/sumdb//...", "/sumdb/x/../sum.golang.org/...": the router resolved them
            // to a path of the database, but no piece of it is named so; nor is another database
            refuse(ctx.response(), 400, "not a checksum database path: " + requested);
            return;
        }
        String name = database.setting().name().orElse(null);
        if (database.cache().isEmpty() || !rest.startsWith(name + "/")) {
            refuse(
                    ctx.response(),
                    404,
                    "modproxy serves only the checksum database "
                            + (name == null ? "(none: MODPROXY_SUMDB=off)" : name));
            return;
        }
        String path = rest.substring(name.length() + 1);
        SumDbCache cache = database.cache().orElseThrow();
        if (path.equals("supported")) {
            supported(ctx, cache);
            return;
        }
        SumDbPath sumDbPath;
        try {
            sumDbPath = SumDbPath.parse(path);
        } catch (SumDbException e) {
            refuse(ctx.response(), 400, e.getMessage());
            return;
        }
        String module = sumDbPath.lookupModule();
        if (module != null && privatePaths.matches(module)) {
            // the go command asks only when GONOSUMDB/GOPRIVATE miss the module; the database would not know it anyway
            refuse(
                    ctx.response(),
                    404,
                    module + " matches MODPROXY_PRIVATE (" + privatePaths
                            + "): not looked up in the checksum database; set GONOSUMDB or GOPRIVATE for it in the build");
            return;
        }
        ctx.vertx().executeBlocking(() -> cache.serve(sumDbPath), false).onComplete(ar -> {
            HttpServerResponse response = ctx.response();
            if (ar.succeeded()) {
                byte[] bytes = ar.result().bytes();
                response.setStatusCode(200)
                        .putHeader("Content-Type", sumDbPath.contentType())
                        // a HEAD gets it too, as the GET does
                        .putHeader("Content-Length", Integer.toString(bytes.length))
                        // a mutable piece (latest, a partial tile): what is left of the TTL for which this proxy keeps
                        // serving it, as for a list; none once stale
                        .putHeader(
                                "Cache-Control",
                                sumDbPath.immutable()
                                        ? IMMUTABLE
                                        : "public, max-age="
                                                + ar.result().freshFor().toSeconds())
                        .end(Buffer.buffer(bytes));
            } else if (ar.cause() instanceof SumDbNotFoundException e) {
                refuse(response, 404, e.getMessage());
            } else if (ar.cause() instanceof SumDbPathRefusedException e) {
                // as on the GOPROXY paths: the go command stops at a 403 or 400, as it would at the source that said it
                refuse(response, e.status(), e.getMessage());
            } else {
                refuse(response, 502, ar.cause().getMessage());
            }
        });
    }

    /**
     * 200 while this proxy can serve the database: it has verified a tree head (now or before a restart), or a
     * source answers one now. A go command takes every lookup and tile from the first proxy that says 200 here and
     * never falls back, so a proxy that has proven nothing and that no source answers sends it, with a 404, to its
     * next proxy or to the database itself. Both checks run off the event loop: the second asks the database.
     */
    private void supported(RoutingContext ctx, SumDbCache cache) {
        ctx.vertx()
                .<Void>executeBlocking(
                        () -> {
                            if (cache.verifier().latestTree().isEmpty()) {
                                cache.answer(SumDbPath.LATEST); // throws while no source answers
                            }
                            return null;
                        },
                        false)
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        // as short-lived as the tree head it rests on
                        ctx.response()
                                .setStatusCode(200)
                                .putHeader("Cache-Control", "public, max-age=" + Math.min(ttl.toSeconds(), 60))
                                .putHeader("Content-Length", "0") // a HEAD gets it too, as the GET does
                                .end();
                    } else {
                        refuse(ctx.response(), 404, ar.cause().getMessage());
                    }
                });
    }

    private static void refuse(HttpServerResponse response, int status, String reason) {
        GoProxyRoutes.refuse(response, status, reason, "no-store");
    }
}
