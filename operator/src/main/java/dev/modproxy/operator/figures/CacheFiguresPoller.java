package dev.modproxy.operator.figures;

import dev.modproxy.operator.admin.ProxyAdmin;
import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.status.CacheFiguresReport;
import dev.modproxy.operator.warmup.WarmupProgress;
import dev.modproxy.operator.warmup.WarmupReading;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.ResourceIDMapper;
import io.javaoperatorsdk.operator.processing.event.source.polling.PerResourcePollingConfigurationBuilder;
import io.javaoperatorsdk.operator.processing.event.source.polling.PerResourcePollingEventSource;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Reads each Ready cache's figures, and the progress of its running warm-up, from its proxy on a timer of its own, so
 * a slow or dead proxy never holds a reconcile thread; a reading that differs from the last one triggers a
 * reconcile, which puts it into status.
 */
public final class CacheFiguresPoller
        implements PerResourcePollingEventSource.ResourceFetcher<ProxyReading, GoProxyCache> {

    /** The event source's name, to ask the context for its reading. */
    public static final String NAME = "cache-figures";
    /** How often a Ready cache's figures are read. */
    public static final Duration INTERVAL = Duration.ofSeconds(60);
    /** How often a cache with spec.warmup is read, so a warm-up's progress shows while it runs. */
    public static final Duration WARMUP_INTERVAL = Duration.ofSeconds(10);
    /** How soon a cache not yet Ready is looked at again (no request is sent), so its first figures come quickly. */
    static final Duration NOT_READY_INTERVAL = Duration.ofSeconds(2);

    private static final Logger LOG = Logger.getLogger(CacheFiguresPoller.class);

    private final ProxyAdmin admin;

    public CacheFiguresPoller(ProxyAdmin admin) {
        this.admin = admin;
    }

    public static PerResourcePollingEventSource<ProxyReading, GoProxyCache, String> eventSource(
            EventSourceContext<GoProxyCache> context, ProxyAdmin admin) {
        return new PerResourcePollingEventSource<>(
                ProxyReading.class,
                context,
                new PerResourcePollingConfigurationBuilder<ProxyReading, GoProxyCache, String>(
                                new CacheFiguresPoller(admin), INTERVAL)
                        .withName(NAME)
                        .withResourceIDMapper(ResourceIDMapper.singleResourceResourceIDMapper())
                        .build());
    }

    /** Nothing for a cache that is not Ready (its proxy is not asked); else what its proxy says. */
    @Override
    public Set<ProxyReading> fetchResources(GoProxyCache cache) {
        if (!ready(cache)) {
            return Set.of();
        }
        return Set.of(new ProxyReading(figures(cache), runningWarmup(cache)));
    }

    private CacheFiguresReport.Reading figures(GoProxyCache cache) {
        try {
            return new CacheFiguresReport.Read(admin.stats(cache));
        } catch (IOException | RuntimeException e) {
            LOG.debugf(
                    "Cache figures of %s/%s not read: %s",
                    cache.getMetadata().getNamespace(), cache.getMetadata().getName(), e.getMessage());
            return new CacheFiguresReport.Unreadable(String.valueOf(e.getMessage()));
        }
    }

    /** Asked only while status.warmup says Running; no answer keeps the last progress shown. */
    private WarmupReading runningWarmup(GoProxyCache cache) {
        if (!WarmupProgress.running(cache)) {
            return null;
        }
        try {
            return new WarmupReading(cache.getStatus().getWarmup().getSubmittedGeneration(), admin.warmup(cache));
        } catch (IOException | RuntimeException e) {
            LOG.debugf(
                    "Warm-up progress of %s/%s not read: %s",
                    cache.getMetadata().getNamespace(), cache.getMetadata().getName(), e.getMessage());
            return null;
        }
    }

    @Override
    public Optional<Duration> fetchDelay(Set<ProxyReading> lastFetched, GoProxyCache cache) {
        // null: nothing fetched yet for this cache
        if (lastFetched == null || lastFetched.isEmpty()) {
            return Optional.of(NOT_READY_INTERVAL);
        }
        return Optional.of(WarmupProgress.wanted(cache) ? WARMUP_INTERVAL : INTERVAL);
    }

    static boolean ready(GoProxyCache cache) {
        return cache.getStatus() != null
                && cache.getStatus()
                        .condition(CacheCondition.READY)
                        .map(c -> CacheCondition.TRUE.equals(c.getStatus()))
                        .orElse(false);
    }
}
