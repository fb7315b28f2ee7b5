package dev.modproxy.proxy.config;

import dev.modproxy.proxy.assembly.BadSettingException;
import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.assembly.ProxySettings;
import dev.modproxy.proxy.sumdb.GoSumDbSetting;
import dev.modproxy.proxy.upstream.EgressProxy;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Clock;

/** The CDI side of {@link ProxyAssembly}: configuration in, the assembled proxy out. */
@Singleton
public class ProxyBeans {

    @Produces
    @Singleton
    ProxyAssembly assembly(ProxyConfig config, MeterRegistry registry) throws IOException {
        try {
            return ProxyAssembly.assemble(settings(config), registry);
        } catch (BadSettingException e) {
            throw badSetting(e.getMessage());
        }
    }

    void close(@Disposes ProxyAssembly assembly) {
        assembly.close();
    }

    /** The MODPROXY_* settings as plain values; parsing and checking them is the assembly's. */
    static ProxySettings settings(ProxyConfig config) {
        ProxyConfig.S3 s3 = config.s3();
        return ProxySettings.defaults(config.storageRoot())
                .upstream(config.upstream())
                .netrc(config.netrc().orElse(null))
                .egress(EgressProxy.fromEnvironment())
                .storageType(config.storageType())
                .watermarks(config.eviction().highWatermark(), config.eviction().lowWatermark())
                .maxSize(config.maxSize().orElse(null))
                .passThroughDir(config.passThroughDir().orElse(null))
                .passThroughMaxSize(config.passThroughMaxSize())
                .s3(new ProxySettings.S3(
                        s3.endpoint().orElse(null),
                        s3.bucket().orElse(null),
                        s3.prefix().orElse(""),
                        s3.region(),
                        s3.pathStyle()))
                .privatePatterns(config.privatePatterns().orElse(""))
                .sumdb(config.sumdb().orElse(GoSumDbSetting.DEFAULT))
                .nosumdb(config.nosumdb().orElse(""))
                .sumdbRequired(config.sumdbRequired())
                .connectTimeout(config.connectTimeout())
                .readTimeout(config.readTimeout())
                .mutableTtl(config.mutableTtl())
                .negativeTtl(config.negativeTtl())
                .downloadDeadlines(config.textDownloadDeadline(), config.zipDownloadDeadline())
                .maxDownloads(config.maxDownloads())
                .breaker(config.breakerFailures(), config.breakerCoolDown())
                .clientStallTimeout(config.clientStallTimeout())
                .memoryCacheSize(config.memoryCacheSize())
                .prefetch(new ProxySettings.Prefetch(
                        config.prefetch(),
                        config.prefetchConcurrency(),
                        config.prefetchMaxBytes(),
                        config.prefetchMaxZipSize(),
                        config.prefetchQueue(),
                        config.prefetchStartWindow(),
                        config.prefetchUseWindow()))
                .clock(Clock.systemUTC())
                .build();
    }

    /**
     * A setting the proxy cannot use: Quarkus prints a ConfigurationException without a cause as its message
     * alone, so the operator reads one line naming the setting instead of a stack trace.
     */
    static ConfigurationException badSetting(String message) {
        return new ConfigurationException("modproxy cannot start: " + message);
    }
}
