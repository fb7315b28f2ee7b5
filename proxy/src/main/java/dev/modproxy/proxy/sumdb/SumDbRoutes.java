package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.config.ProxyConfig;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Serves /sumdb/&lt;name&gt;/supported, latest, lookup/... and tile/... for the configured checksum
 * database, so go commands with GOSUMDB on reach it through this proxy. Other names get 404,
 * which sends the go command on to its next proxy or to the database itself.
 */
@Singleton
public class SumDbRoutes {

    private static final Logger LOG = Logger.getLogger(SumDbRoutes.class);
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";

    void logStartup(@Observes StartupEvent event, ChecksumDatabase database) {
        GoSumDbSetting setting = database.setting();
        if (setting.isOff()) {
            LOG.warn("modproxy: MODPROXY_SUMDB=off: modules are cached without checksum database verification");
        } else {
            LOG.infof("modproxy: checksum database %s at %s (through the upstreams first); serving /sumdb/%s/",
                    setting.name().orElseThrow(), setting.url().orElseThrow(), setting.name().orElseThrow());
            // a cut link must not delay start-up: the proxy serves meanwhile, and the warning follows
            Thread check = new Thread(() -> database.unreachableWarning().ifPresent(LOG::warn), "modproxy-sumdb-check");
            check.setDaemon(true);
            check.start();
        }
    }

    void install(@Observes Router router, ChecksumDatabase database, ProxyConfig config) {
        Duration ttl = config.mutableTtl();
        router.route("/sumdb/*").handler(ctx -> handle(ctx, database, ttl));
    }

    private static void handle(RoutingContext ctx, ChecksumDatabase database, Duration ttl) {
        String rest = ctx.request().path().substring("/sumdb/".length());
        String name = database.setting().name().orElse(null);
        if (database.cache().isEmpty() || !rest.startsWith(name + "/")) {
            refuse(ctx.response(), 404, "modproxy serves only the checksum database "
                    + (name == null ? "(none: MODPROXY_SUMDB=off)" : name));
            return;
        }
        if (!"GET".equals(ctx.request().method().name()) && !"HEAD".equals(ctx.request().method().name())) {
            ctx.response().putHeader("Allow", "GET, HEAD");
            refuse(ctx.response(), 405, "the checksum database protocol is read-only: use GET");
            return;
        }
        String path = rest.substring(name.length() + 1);
        if (path.equals("supported")) {
            ctx.response().setStatusCode(200).putHeader("Cache-Control", "public, max-age=" + ttl.toSeconds()).end();
            return;
        }
        SumDbPath sumDbPath;
        try {
            sumDbPath = SumDbPath.parse(path);
        } catch (SumDbException e) {
            refuse(ctx.response(), 400, e.getMessage());
            return;
        }
        SumDbCache cache = database.cache().orElseThrow();
        ctx.vertx().executeBlocking(() -> cache.answer(sumDbPath), false).onComplete(ar -> {
            HttpServerResponse response = ctx.response();
            if (ar.succeeded()) {
                response.setStatusCode(200)
                        .putHeader("Content-Type", sumDbPath.contentType())
                        .putHeader("Cache-Control", sumDbPath.immutable() ? IMMUTABLE : "public, max-age=" + Math.min(ttl.toSeconds(), 60))
                        .end(Buffer.buffer(ar.result()));
            } else if (ar.cause() instanceof SumDbNotFoundException e) {
                refuse(response, 404, e.getMessage());
            } else {
                refuse(response, 502, ar.cause().getMessage());
            }
        });
    }

    private static void refuse(HttpServerResponse response, int status, String reason) {
        if (response.ended()) {
            return;
        }
        String oneLine = reason == null ? "" : reason.replace('\n', ' ').replace('\r', ' ');
        response.setStatusCode(status)
                .putHeader("Content-Type", "text/plain; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .end(oneLine + "\n");
    }
}
