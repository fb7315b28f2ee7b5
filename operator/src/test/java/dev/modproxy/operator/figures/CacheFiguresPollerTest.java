package dev.modproxy.operator.figures;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.contract.admin.AdminExamples;
import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.contract.admin.WarmupReport;
import dev.modproxy.operator.admin.ProxyAdmin;
import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.api.v1alpha1.Warmup;
import dev.modproxy.operator.api.v1alpha1.WarmupState;
import dev.modproxy.operator.api.v1alpha1.WarmupStatus;
import dev.modproxy.operator.status.CacheFiguresReport;
import dev.modproxy.operator.warmup.WarmupReading;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CacheFiguresPollerTest {

    private final AtomicInteger asked = new AtomicInteger();
    private final AtomicInteger warmupAsked = new AtomicInteger();

    /** A proxy that answers the golden stats, or fails to connect. */
    private ProxyAdmin proxy(boolean reachable) {
        return new ProxyAdmin() {
            @Override
            public CacheStats stats(GoProxyCache cache) throws IOException {
                asked.incrementAndGet();
                if (!reachable) {
                    throw new ConnectException("Connection refused");
                }
                return (CacheStats) AdminExamples.CACHE_STATS.value();
            }

            @Override
            public WarmupReport startWarmup(GoProxyCache cache, String moduleList) {
                throw new AssertionError("the poller only reads");
            }

            @Override
            public WarmupReport warmup(GoProxyCache cache) throws IOException {
                warmupAsked.incrementAndGet();
                if (!reachable) {
                    throw new ConnectException("Connection refused");
                }
                return (WarmupReport) AdminExamples.WARMUP_FINISHED.value();
            }
        };
    }

    private static GoProxyCache withReady(String ready) {
        GoProxyCache cache = cache(spec -> {});
        GoProxyCacheStatus status = new GoProxyCacheStatus();
        CacheCondition condition = new CacheCondition();
        condition.setType(CacheCondition.READY);
        condition.setStatus(ready);
        status.setConditions(List.of(condition));
        cache.setStatus(status);
        return cache;
    }

    @Test
    void aCacheThatIsNotReadyIsNotAskedAndLookedAtAgainSoon() {
        CacheFiguresPoller poller = new CacheFiguresPoller(proxy(true));

        Set<ProxyReading> readings = poller.fetchResources(withReady(CacheCondition.FALSE));

        assertThat(readings).isEmpty();
        assertThat(poller.fetchResources(cache(spec -> {}))).as("no status yet").isEmpty();
        assertThat(asked).hasValue(0);
        assertThat(poller.fetchDelay(readings, withReady(CacheCondition.FALSE))).contains(Duration.ofSeconds(2));
        assertThat(poller.fetchDelay(null, withReady(CacheCondition.TRUE)))
                .as("before the first fetch")
                .contains(Duration.ofSeconds(2));
    }

    @Test
    void aReadyCachesFiguresAreReadAndReadAgainAfterTheInterval() {
        CacheFiguresPoller poller = new CacheFiguresPoller(proxy(true));

        Set<ProxyReading> readings = poller.fetchResources(withReady(CacheCondition.TRUE));

        assertThat(readings)
                .containsExactly(new ProxyReading(
                        new CacheFiguresReport.Read((CacheStats) AdminExamples.CACHE_STATS.value()), null));
        assertThat(poller.fetchDelay(readings, withReady(CacheCondition.TRUE))).contains(CacheFiguresPoller.INTERVAL);
        assertThat(warmupAsked).as("no warm-up running").hasValue(0);
    }

    @Test
    void anUnreachableProxyIsAReadingThatSaysWhy() {
        CacheFiguresPoller poller = new CacheFiguresPoller(proxy(false));

        assertThat(poller.fetchResources(withReady(CacheCondition.TRUE)))
                .containsExactly(new ProxyReading(new CacheFiguresReport.Unreadable("Connection refused"), null));
        assertThat(poller.fetchResources(warming(withReady(CacheCondition.TRUE))))
                .as("no progress read keeps the last one shown")
                .containsExactly(new ProxyReading(new CacheFiguresReport.Unreadable("Connection refused"), null));
    }

    @Test
    void aRunningWarmupsProgressIsReadWithTheGenerationItBelongsTo() {
        CacheFiguresPoller poller = new CacheFiguresPoller(proxy(true));
        GoProxyCache cache = warming(withReady(CacheCondition.TRUE));

        Set<ProxyReading> readings = poller.fetchResources(cache);

        assertThat(readings)
                .singleElement()
                .extracting(ProxyReading::warmup)
                .isEqualTo(new WarmupReading(4L, (WarmupReport) AdminExamples.WARMUP_FINISHED.value()));
        assertThat(poller.fetchDelay(readings, cache))
                .as("a cache with spec.warmup is followed closely")
                .contains(CacheFiguresPoller.WARMUP_INTERVAL);
    }

    /** spec.warmup set, and status.warmup says the list of generation 4 runs. */
    private static GoProxyCache warming(GoProxyCache cache) {
        cache.getSpec().setWarmup(new Warmup());
        cache.getSpec().getWarmup().setModules(List.of("golang.org/x/text@v0.14.0"));
        WarmupStatus warmup = new WarmupStatus();
        warmup.setState(WarmupState.Running);
        warmup.setSubmittedGeneration(4L);
        cache.getStatus().setWarmup(warmup);
        return cache;
    }
}
