package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.contract.admin.AdminExamples;
import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /admin/stats writes exactly the contract's golden answers, which the operator's tests read. */
class AdminStatsContractTest {

    @TempDir
    Path root;

    @Test
    void figuresAreWrittenAsTheGoldenAnswer() {
        assertEquals(
                golden(AdminExamples.CACHE_STATS),
                AdminStatsRoute.json((CacheStats) AdminExamples.CACHE_STATS.value())
                        .encode());
    }

    @Test
    void aNewCacheAnswersTheGoldenAnswerOfANewCache() throws Exception {
        UpstreamChain chain = UpstreamChain.parse(
                "proxy.golang.org",
                new UpstreamChain.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), 3, Duration.ofSeconds(5)),
                UpstreamListener.NONE);
        AdminStatsRoute route =
                new AdminStatsRoute(new LocalDiskStorage(root), chain, new ProxyMetrics(new SimpleMeterRegistry()));

        assertEquals(AdminExamples.CACHE_STATS_NEW.value(), route.read());
        assertEquals(
                golden(AdminExamples.CACHE_STATS_NEW),
                AdminStatsRoute.json(route.read()).encode());
    }

    /** The file without its indentation; key order and number forms are kept. */
    private static String golden(AdminExamples example) {
        return new JsonObject(example.json()).encode();
    }
}
