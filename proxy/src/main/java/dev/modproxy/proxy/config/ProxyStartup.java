package dev.modproxy.proxy.config;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.storage.StorageUsage;
import dev.modproxy.proxy.sumdb.ChecksumDatabase;
import dev.modproxy.proxy.sumdb.GoSumDbSetting;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** Hands Quarkus's two routers to the route table ({@code http.RouteTable}) and logs the effective configuration once. */
@Singleton
public class ProxyStartup {

    private static final Logger LOG = Logger.getLogger(ProxyStartup.class);

    void installRoutes(@Observes Router router, ProxyAssembly proxy) {
        proxy.routes().installServing(router);
    }

    /** The admin API is for the operator, on the management port that build pods are not given. */
    void installAdminRoutes(@Observes ManagementInterface management, ProxyAssembly proxy) {
        proxy.routes().installManagement(management.router());
    }

    void logStartup(@Observes StartupEvent event, ProxyAssembly proxy) {
        SettingNames.unknownIn(System.getenv()).forEach(LOG::warn);
        var storage = proxy.storage();
        String figures = storage.usageCounted()
                ? usageFigures(
                        storage.usage(), !proxy.checksumDatabase().setting().isOff())
                : "size accounting in the background";
        String privatePatterns = proxy.settings().privatePatterns();
        var prefetch = proxy.settings().prefetch();
        LOG.infof(
                "modproxy: upstream chain %s; storage %s (%s); private %s; prefetch %s",
                proxy.chain(),
                storage.describe(),
                figures,
                privatePatterns.isBlank() ? "(none)" : privatePatterns,
                proxy.prefetcher().isPresent()
                        ? "on (" + prefetch.concurrency() + " at once, " + prefetch.maxBytesInFlight() + ", zips up to "
                                + prefetch.maxZipSize() + ")"
                        : prefetch.enabled()
                                ? "off (the upstream chain starts with direct or off)"
                                : "off (MODPROXY_PREFETCH=false)");
        logChecksumDatabase(proxy.checksumDatabase());
        sumDbRequiredWithoutADatabase(
                        proxy.checksumDatabase().setting(), proxy.settings().sumdbRequired())
                .ifPresent(LOG::warn);
    }

    /**
     * MODPROXY_SUMDB_REQUIRED=true with MODPROXY_SUMDB=off: no database to require, so every module is cached
     * unverified, which the setting was set to prevent; it was taken without a word.
     */
    static java.util.Optional<String> sumDbRequiredWithoutADatabase(GoSumDbSetting setting, boolean required) {
        if (!required || !setting.isOff()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("modproxy: MODPROXY_SUMDB_REQUIRED=true has no effect with MODPROXY_SUMDB=off:"
                + " there is no checksum database to require, and every module is cached unverified; set MODPROXY_SUMDB"
                + " to a database (sum.golang.org, sum.golang.google.cn) to have modules verified");
    }

    /**
     * The storage's figures at the end of start-up, so with what start-up itself stored: the checksum database marks
     * a cache it starts on (140 bytes in an empty one with sum.golang.org, logged as 1 object just after the storage's
     * own count said 0).
     */
    static String usageFigures(StorageUsage usage, boolean checksumDatabaseOn) {
        return usage.entries() + (usage.entries() == 1 ? " object, " : " objects, ") + usage.bytes() + " bytes"
                + (checksumDatabaseOn ? ", the checksum database's files included" : "");
    }

    private static void logChecksumDatabase(ChecksumDatabase database) {
        GoSumDbSetting setting = database.setting();
        if (setting.isOff()) {
            LOG.warn("modproxy: MODPROXY_SUMDB=off: modules are cached without checksum database verification");
            return;
        }
        LOG.infof(
                "modproxy: checksum database %s at %s (through the upstreams first); serving /sumdb/%s/",
                setting.name().orElseThrow(),
                setting.shownUrl().orElseThrow(),
                setting.name().orElseThrow());
        // a cut link must not delay start-up: the proxy serves meanwhile, and the warning follows
        Thread check = new Thread(() -> database.unreachableWarning().ifPresent(LOG::warn), "modproxy-sumdb-check");
        check.setDaemon(true);
        check.start();
    }
}
