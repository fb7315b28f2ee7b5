package dev.modproxy.proxy.http;

import dev.modproxy.contract.admin.AdminPaths;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.protocol.CaseEncoding;
import dev.modproxy.proxy.protocol.InvalidRequestException;
import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.storage.UnusableEntryException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * {@code DELETE /admin/cache/{module}/@v/{version}}, {@code DELETE /admin/cache/{module}/@v/list} and
 * {@code DELETE /admin/cache/{module}/@latest}: takes a version's {@code .info}, {@code .mod} and {@code .zip} (the
 * {@code .info} alone for a branch or commit), or a module's list or {@code @latest} answer, out of every tier of this
 * replica ({@link ModuleCache#remove}), so that the next request fetches it from the upstream again: a zip damaged on
 * the volume, a version found tampered with, a stale list. The path after {@code /admin/cache} is a GOPROXY path,
 * case-encoded as the go command sends it and parsed by the same {@link ProxyRequest#parse}: what a client could not
 * ask for is a 400 naming what is wrong, and the storage key it names cannot leave the cache root.
 *
 * <p>Answers 200 with what was removed, an empty list when this replica held none of it (a DELETE asked again is
 * no error); 409 when the storage holds something it does not follow in the entry's place (a link out of the root),
 * 503 when it cannot delete now (the bucket unreachable): the JSON then says what left the memory tier and the
 * negative cache all the same, and why the storage did not delete. One log line per removal.
 */
final class AdminCacheRoute {

    private static final Logger LOG = Logger.getLogger(AdminCacheRoute.class);

    /** The admin path, without the GOPROXY path that follows it. */
    static final String PATH = "/admin/cache";

    /** The metrics' route label: never the raw path. */
    static final String LABEL = PATH + "/{module}/{answer}";

    static final String USAGE = "DELETE " + PATH + "/{module}/@v/{version} (its .info, .mod and .zip), " + PATH
            + "/{module}/@v/list or " + PATH + "/{module}/@latest, the module path case-encoded as in GOPROXY URLs"
            + " (!x for X)";

    private static final List<RequestKind> FILES = List.of(RequestKind.INFO, RequestKind.MOD, RequestKind.ZIP);

    private final ModuleCache cache;

    AdminCacheRoute(ModuleCache cache) {
        this.cache = cache;
    }

    /**
     * The DELETE routes, each handed to label (the caller's metrics) with the label of its requests. The router takes
     * {@link #PATH} and what is under it as it normalizes the path; a DELETE whose path as sent is under {@link #PATH}
     * but whose dot segments take it elsewhere once normalized ({@code /admin/cache/../x}) is refused here with a 400
     * by a route of its own, never routed on. A DELETE of any other path reaches neither: its metrics are not those
     * of a removal.
     */
    void install(Router router, BiConsumer<Route, UnaryOperator<String>> label) {
        label.accept(router.delete(PATH).handler(this::remove), path -> LABEL);
        label.accept(router.delete(PATH + "/*").handler(this::remove), path -> LABEL);
        // after those two: reached by a DELETE they did not take, which this one takes only if sent under PATH
        Route outOfPath = router.delete().handler(ctx -> {
            if (sentUnderPath(ctx.request().path())) {
                remove(ctx); // a 400: the path as sent is what is parsed
            } else {
                ctx.next();
            }
        });
        label.accept(outOfPath, path -> sentUnderPath(path) ? LABEL : RouteLabels.OTHER);
    }

    private static boolean sentUnderPath(String sent) {
        return sent != null && (sent.equals(PATH) || sent.startsWith(PATH + "/"));
    }

    /**
     * The answers a removal path names: a version's three files (one, the .info, for a branch or commit), or the list
     * or {@code @latest}. Refused with status 400 and the reason otherwise.
     *
     * @param rawPath the request's path as sent (not normalized: a {@code ..} in it is refused, never resolved)
     */
    static List<ProxyRequest> answersNamed(String rawPath) throws InvalidRequestException {
        if (rawPath == null || !rawPath.startsWith(PATH + "/") || rawPath.length() == PATH.length() + 1) {
            throw new InvalidRequestException(400, "expected " + USAGE);
        }
        String goProxyPath = rawPath.substring(PATH.length()); // from its leading slash
        if (goProxyPath.endsWith(RequestKind.LATEST.ending()) || goProxyPath.endsWith(RequestKind.LIST.ending())) {
            return List.of(parse(goProxyPath));
        }
        int at = goProxyPath.indexOf("/@v/");
        if (at < 0) {
            throw new InvalidRequestException(
                    400, "no /@v/{version}, /@v/list or /@latest after the module path: expected " + USAGE);
        }
        String module = goProxyPath.substring(0, at);
        String version = goProxyPath.substring(at + "/@v/".length());
        if (version.isEmpty()) {
            throw new InvalidRequestException(400, "missing version after /@v/: expected " + USAGE);
        }
        refuseFileNames(version);
        ProxyRequest info = parse(module + "/@v/" + version + RequestKind.INFO.ending());
        if (!info.immutable()) {
            return List.of(info); // a branch or commit: only its .info answer is cached
        }
        List<ProxyRequest> files = new ArrayList<>();
        for (RequestKind kind : FILES) {
            files.add(kind == RequestKind.INFO ? info : parse(module + "/@v/" + version + kind.ending()));
        }
        return files;
    }

    /** {@code v1.2.3.zip}: the file's name where the version is asked for (unless the whole is a version itself). */
    private static void refuseFileNames(String encodedVersion) throws InvalidRequestException {
        for (RequestKind kind : FILES) {
            if (!encodedVersion.endsWith(kind.ending())) {
                continue;
            }
            String without = encodedVersion.substring(
                    0, encodedVersion.length() - kind.ending().length());
            if (canonical(without) && !canonical(encodedVersion)) {
                throw new InvalidRequestException(
                        400,
                        "name the version, not one of its files: " + PATH + "/{module}/@v/" + without
                                + " removes its .info, .mod and .zip");
            }
        }
    }

    private static boolean canonical(String encodedVersion) {
        try {
            return ModuleVersion.isCanonical(CaseEncoding.decode(encodedVersion));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A GOPROXY path as a client's request is parsed; any refusal is the admin's 400. */
    private static ProxyRequest parse(String goProxyPath) throws InvalidRequestException {
        try {
            return ProxyRequest.parse(goProxyPath);
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException(400, e.getMessage());
        }
    }

    private void remove(RoutingContext ctx) {
        List<ProxyRequest> answers;
        try {
            answers = answersNamed(ctx.request().path());
        } catch (InvalidRequestException e) {
            json(ctx, e.status(), new JsonObject().put(AdminPaths.ERROR_FIELD, e.getMessage()));
            return;
        }
        ctx.vertx()
                .executeBlocking(() -> removeAll(answers), false) // a bucket's deletes go over the network
                .onComplete(ar -> {
                    if (ar.failed()) {
                        LOG.warnf(
                                ar.cause(),
                                "removal of %s failed",
                                ctx.request().path());
                        json(ctx, 500, new JsonObject().put(AdminPaths.ERROR_FIELD, String.valueOf(ar.cause())));
                    } else {
                        json(ctx, ar.result().status(), ar.result().body());
                    }
                });
    }

    private record Answer(int status, JsonObject body) {}

    /** Removes each answer, on a worker thread; a storage that fails one is still asked for the others. */
    private Answer removeAll(List<ProxyRequest> answers) {
        ProxyRequest first = answers.get(0);
        JsonArray removed = new JsonArray();
        JsonArray inFlight = new JsonArray();
        List<String> said = new ArrayList<>();
        List<String> notHeld = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        IOException failure = null;
        String failedOn = null;
        for (ProxyRequest answer : answers) {
            String name = answer.kind().suffix();
            ModuleCache.Removal removal = cache.remove(answer);
            if (removal.fetchInFlight()) {
                inFlight.add(answer.relativePath());
            }
            if (removal.storageFailure() != null) {
                if (failure == null) {
                    failure = removal.storageFailure();
                    failedOn = answer.relativePath();
                }
                failed.add(name);
            }
            if (!removal.removedAnything()) {
                if (removal.storageFailure() == null) {
                    notHeld.add(name);
                }
                continue;
            }
            JsonArray from = new JsonArray();
            if (removal.stored()) {
                from.add("storage");
            }
            if (removal.inMemory()) {
                from.add("memory");
            }
            if (removal.negative()) {
                from.add("negative");
            }
            removed.add(new JsonObject().put("path", answer.relativePath()).put("from", from));
            said.add(name + " (" + String.join(", ", from.getList()) + ")");
        }
        String what = first.kind().versioned()
                ? first.module().path() + "@" + version(first)
                : first.module().path() + " " + first.kind().suffix();
        StringBuilder line =
                new StringBuilder(said.isEmpty() ? "removed nothing" : "removed " + String.join(", ", said));
        if (!notHeld.isEmpty()) {
            line.append("; ").append(String.join(", ", notHeld)).append(" not cached");
        }
        if (failure != null) {
            line.append("; ")
                    .append(String.join(", ", failed))
                    .append(" not removed from storage (")
                    .append(failure.getMessage())
                    .append(")");
        }
        if (!inFlight.isEmpty()) {
            line.append("; a fetch in flight stores what it downloads: ").append(inFlight.encode());
        }
        JsonObject body = new JsonObject()
                .put("module", first.module().path())
                .put("version", version(first))
                .put("removed", removed)
                .put("inFlight", inFlight);
        if (failure == null) {
            LOG.infof("admin removal of %s from this replica's cache: %s", what, line);
            return new Answer(200, body);
        }
        LOG.warnf("admin removal of %s from this replica's cache: %s", what, line);
        boolean unusable = failure instanceof UnusableEntryException;
        String reason = unusable
                ? "cannot remove " + failedOn + ": " + failure.getMessage() + "; remove it on the volume by hand"
                : "the storage could not delete " + failedOn + " now (" + failure.getMessage()
                        + "); the memory tier and the negative cache no longer hold it; retry";
        return new Answer(unusable ? 409 : 503, body.put(AdminPaths.ERROR_FIELD, reason));
    }

    /** The version or the branch or commit asked for; null for a list or {@code @latest}. */
    private static String version(ProxyRequest request) {
        if (!request.kind().versioned()) {
            return null;
        }
        return request.immutable() ? request.version().toString() : request.query();
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(body.encode());
    }
}
