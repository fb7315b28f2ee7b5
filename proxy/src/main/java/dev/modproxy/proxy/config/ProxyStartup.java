package dev.modproxy.proxy.config;

import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.http.GoProxyRoutes;
import dev.modproxy.proxy.warmup.Warmer;
import dev.modproxy.proxy.warmup.WarmupRoute;
import io.quarkus.runtime.StartupEvent;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** Installs the routes and logs the effective configuration once. */
@Singleton
public class ProxyStartup {

    private static final Logger LOG = Logger.getLogger(ProxyStartup.class);

    void installRoutes(@Observes Router router, GoProxyRoutes routes, Warmer warmer) {
        new WarmupRoute(warmer).install(router);
        routes.install(router);
    }

    void logStartup(@Observes StartupEvent event, ModuleCache cache, ProxyConfig config) {
        SettingNames.unknownIn(System.getenv()).forEach(LOG::warn);
        var usage = cache.storage().usage();
        LOG.infof("modproxy: upstream chain %s; storage %s (%d objects, %d bytes); private %s",
                cache.chain(), cache.storage().describe(), usage.entries(), usage.bytes(),
                config.privatePatterns().filter(s -> !s.isBlank()).orElse("(none)"));
    }
}
