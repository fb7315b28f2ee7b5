package dev.modproxy.proxy.config;

import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.http.GoProxyRoutes;
import dev.modproxy.proxy.warmup.Warmer;
import dev.modproxy.proxy.warmup.WarmupRoute;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** Installs the GOPROXY routes on the serving port and the admin routes on the management port, and logs the effective configuration once. */
@Singleton
public class ProxyStartup {

    private static final Logger LOG = Logger.getLogger(ProxyStartup.class);

    void installRoutes(@Observes Router router, GoProxyRoutes routes) {
        routes.install(router);
    }

    /** The admin API is for the operator, on the management port that build pods are not given. */
    void installAdminRoutes(@Observes ManagementInterface management, GoProxyRoutes routes, Warmer warmer) {
        new WarmupRoute(warmer).install(management.router());
        routes.installAdmin(management.router());
    }

    void logStartup(@Observes StartupEvent event, ModuleCache cache, ProxyConfig config) {
        SettingNames.unknownIn(System.getenv()).forEach(LOG::warn);
        var usage = cache.storage().usage();
        String figures = cache.storage().usageCounted() ? usage.entries() + " objects, " + usage.bytes() + " bytes"
                : "size accounting in the background";
        LOG.infof("modproxy: upstream chain %s; storage %s (%s); private %s",
                cache.chain(), cache.storage().describe(), figures,
                config.privatePatterns().filter(s -> !s.isBlank()).orElse("(none)"));
    }
}
