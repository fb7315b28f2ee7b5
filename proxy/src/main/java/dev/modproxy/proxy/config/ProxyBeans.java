package dev.modproxy.proxy.config;

import dev.modproxy.proxy.cache.ArtifactVerifier;
import dev.modproxy.proxy.cache.CacheSettings;
import dev.modproxy.proxy.cache.MemoryCache;
import dev.modproxy.proxy.eviction.ByteSize;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.http.GoProxyRoutes;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.protocol.ModulePathPatterns;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.upstream.EgressProxy;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.All;
import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import dev.modproxy.proxy.warmup.Warmer;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Builds the proxy's parts from configuration; the parts themselves know nothing of CDI. */
@Singleton
public class ProxyBeans {

    @Produces
    @Singleton
    @DefaultBean
    Storage storage(ProxyConfig config, ProxyMetrics metrics) throws IOException {
        try {
            return StorageFactory.create(config, metrics);
        } catch (IllegalArgumentException e) {
            throw badSetting(e.getMessage());
        }
    }

    /**
     * A setting the proxy cannot use: Quarkus prints a ConfigurationException without a cause as its message
     * alone, so the operator reads one line naming the setting instead of a stack trace.
     */
    static ConfigurationException badSetting(String message) {
        return new ConfigurationException("modproxy cannot start: " + message);
    }

    void closeStorage(@Disposes Storage storage) throws Exception {
        if (storage instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    @Produces
    @Singleton
    ProxyMetrics metrics(MeterRegistry registry) {
        return new ProxyMetrics(registry);
    }

    @Produces
    @Singleton
    UpstreamChain upstreamChain(ProxyConfig config, ProxyMetrics metrics) {
        try {
            UpstreamCredentials credentials;
            try {
                credentials = config.netrc().isEmpty() ? UpstreamCredentials.none()
                        : UpstreamCredentials.fromNetrc(config.netrc().get());
            } catch (IOException | IllegalArgumentException e) {
                throw badSetting("MODPROXY_NETRC (a netrc file: machine HOST login USER password SECRET): "
                        + e.getMessage());
            }
            return UpstreamChain.parse(config.upstream(), new UpstreamChain.Settings(config.connectTimeout(),
                    config.readTimeout(), config.breakerFailures(), config.breakerCoolDown()), metrics,
                    EgressProxy.fromEnvironment(), credentials);
        } catch (IllegalArgumentException e) {
            throw badSetting("MODPROXY_UPSTREAM (GOPROXY syntax: http(s) URLs, direct or off, joined by ',' or '|'): "
                    + e.getMessage());
        }
    }

    @Produces
    @Singleton
    @Named("refresh")
    ExecutorService refreshExecutor() {
        return Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "modproxy-refresh");
            t.setDaemon(true);
            return t;
        });
    }

    void closeRefreshExecutor(@Disposes @Named("refresh") ExecutorService executor) {
        executor.shutdownNow();
    }

    @Produces
    @Singleton
    ModuleCache moduleCache(ProxyConfig config, Storage storage, UpstreamChain chain, @All List<ArtifactVerifier> verifiers,
            ProxyMetrics metrics, @Named("refresh") ExecutorService refresh, @Named("downloads") ExecutorService downloads) {
        metrics.watch(storage);
        metrics.watch(chain);
        MemoryCache memory;
        try {
            memory = new MemoryCache(ByteSize.parse("MODPROXY_MEMORY_CACHE_SIZE", config.memoryCacheSize()), Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            throw badSetting(e.getMessage());
        }
        metrics.watch(memory);
        return new ModuleCache(storage, chain, verifiers, new CacheSettings(config.mutableTtl(), config.negativeTtl(),
                config.textDownloadDeadline(), config.zipDownloadDeadline()),
                metrics, ModulePathPatterns.parse(config.privatePatterns().orElse("")), refresh, memory, downloads);
    }

    @Produces
    @Singleton
    @Named("downloads")
    ExecutorService downloadExecutor(ProxyConfig config) {
        return ModuleCache.downloadPool(config.maxDownloads());
    }

    void closeDownloadExecutor(@Disposes @Named("downloads") ExecutorService executor) {
        executor.shutdownNow();
    }

    @Produces
    @Singleton
    Warmer warmer(ModuleCache cache, ProxyMetrics metrics, ProxyConfig config) {
        return new Warmer(cache, Clock.systemUTC(), config.readTimeout().multipliedBy(4), job -> metrics.warmupFinished(
                new ProxyMetrics.WarmupSummary(job.finishedAt(), job.requested(), job.failedModules())));
    }

    void closeWarmer(@Disposes Warmer warmer) {
        warmer.close();
    }

    @Produces
    @Singleton
    GoProxyRoutes routes(ProxyConfig config, ModuleCache cache, ProxyMetrics metrics) {
        return new GoProxyRoutes(cache, metrics, config.mutableTtl(), config.negativeTtl(), config.clientStallTimeout());
    }
}
