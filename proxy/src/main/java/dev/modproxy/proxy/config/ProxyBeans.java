package dev.modproxy.proxy.config;

import dev.modproxy.contract.GoSumDb;
import dev.modproxy.proxy.assembly.BadSettingException;
import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.assembly.ProxySettings;
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

    /**
     * The MODPROXY_* settings as plain values; parsing and checking them is the assembly's. One not given, or given
     * empty, takes its default from {@link ProxySettings#defaults}.
     */
    static ProxySettings settings(ProxyConfig config) {
        ProxySettings unset = ProxySettings.defaults(config.storageRoot()).build();
        ProxySettings.Prefetch prefetch = unset.prefetch();
        ProxyConfig.S3 s3 = config.s3();
        return ProxySettings.defaults(config.storageRoot())
                .upstream(config.upstream().orElse(unset.upstream()))
                .netrc(config.netrc().orElse(null))
                .upstreamCaFile(config.upstreamCaFile().orElse(null))
                .egress(EgressProxy.fromEnvironment())
                .storageType(config.storageType().orElse(unset.storageType()))
                .watermarks(
                        config.eviction().highWatermark().orElse(unset.highWatermark()),
                        config.eviction().lowWatermark().orElse(unset.lowWatermark()))
                .maxSize(config.maxSize().orElse(null))
                .passThroughDir(config.passThroughDir().orElse(null))
                .passThroughMaxSize(config.passThroughMaxSize().orElse(unset.passThroughMaxSize()))
                .s3(new ProxySettings.S3(
                        s3.endpoint().orElse(null),
                        s3.bucket().orElse(null),
                        s3.prefix().orElse(""),
                        s3.region().orElse(unset.s3().region()),
                        SettingValues.flag(
                                "MODPROXY_S3_PATH_STYLE",
                                s3.pathStyle(),
                                unset.s3().pathStyle())))
                .privatePatterns(config.privatePatterns().orElse(""))
                .sumdb(config.sumdb().orElse(GoSumDb.DEFAULT))
                .nosumdb(config.nosumdb().orElse(""))
                .sumdbRequired(
                        SettingValues.flag("MODPROXY_SUMDB_REQUIRED", config.sumdbRequired(), unset.sumdbRequired()))
                .connectTimeout(SettingValues.duration(
                        "MODPROXY_CONNECT_TIMEOUT", config.connectTimeout(), unset.connectTimeout()))
                .readTimeout(SettingValues.duration("MODPROXY_READ_TIMEOUT", config.readTimeout(), unset.readTimeout()))
                .mutableTtl(SettingValues.duration("MODPROXY_MUTABLE_TTL", config.mutableTtl(), unset.mutableTtl()))
                .negativeTtl(SettingValues.duration("MODPROXY_NEGATIVE_TTL", config.negativeTtl(), unset.negativeTtl()))
                .downloadDeadlines(
                        SettingValues.duration(
                                "MODPROXY_TEXT_DOWNLOAD_DEADLINE",
                                config.textDownloadDeadline(),
                                unset.textDownloadDeadline()),
                        SettingValues.duration(
                                "MODPROXY_ZIP_DOWNLOAD_DEADLINE",
                                config.zipDownloadDeadline(),
                                unset.zipDownloadDeadline()))
                .maxDownloads(
                        SettingValues.count("MODPROXY_MAX_DOWNLOADS", config.maxDownloads(), unset.maxDownloads()))
                .breaker(
                        SettingValues.count(
                                "MODPROXY_BREAKER_FAILURES", config.breakerFailures(), unset.breakerFailures()),
                        SettingValues.duration(
                                "MODPROXY_BREAKER_COOL_DOWN", config.breakerCoolDown(), unset.breakerCoolDown()))
                .clientStallTimeout(SettingValues.duration(
                        "MODPROXY_CLIENT_STALL_TIMEOUT", config.clientStallTimeout(), unset.clientStallTimeout()))
                .memoryCacheSize(config.memoryCacheSize().orElse(unset.memoryCacheSize()))
                .prefetch(new ProxySettings.Prefetch(
                        SettingValues.flag("MODPROXY_PREFETCH", config.prefetch(), prefetch.enabled()),
                        SettingValues.count(
                                "MODPROXY_PREFETCH_CONCURRENCY", config.prefetchConcurrency(), prefetch.concurrency()),
                        config.prefetchMaxBytes().orElse(prefetch.maxBytesInFlight()),
                        config.prefetchMaxZipSize().orElse(prefetch.maxZipSize()),
                        SettingValues.count("MODPROXY_PREFETCH_QUEUE", config.prefetchQueue(), prefetch.queueSize()),
                        SettingValues.duration(
                                "MODPROXY_PREFETCH_START_WINDOW", config.prefetchStartWindow(), prefetch.startWindow()),
                        SettingValues.duration(
                                "MODPROXY_PREFETCH_USE_WINDOW", config.prefetchUseWindow(), prefetch.useWindow())))
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
