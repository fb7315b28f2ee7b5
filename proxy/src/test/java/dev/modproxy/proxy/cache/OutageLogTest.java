package dev.modproxy.proxy.cache;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxySettings;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.MutableClock;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream outage fails every fetch (client and prefetch) for as long as it lasts: the warnings are paced, one
 * per minute saying how many failed since, the first at once with its key and reason; DEBUG keeps one line each.
 */
class OutageLogTest {

    @TempDir
    Path root;

    private static List<String> failedFetches(List<String> lines) {
        return lines.stream().filter(line -> line.startsWith("fetch of ")).toList();
    }

    @Test
    void anOutageLogsAFewLinesNotOnePerRequest() throws Exception {
        try (CapturedLog log = CapturedLog.of(ModuleCache.class, Level.WARNING);
                ProxyUnderTest proxy = new ProxyUnderTest(
                        ClosedPort.url(), root, ProxyUnderTest.options().breaker(2, Duration.ofMinutes(5)))) {
            for (int i = 0; i < 100; i++) {
                assertEquals(
                        502,
                        proxy.getText("/example.com/m" + i + "/@v/v1.0.0.info").statusCode());
            }
            assertTrue(log.warnings().size() <= 5, log.warnings().size() + " warnings for one outage");
            // the first failure is told at once, with its key and the upstream's failure
            String first = log.warnings().get(0);
            assertTrue(first.contains("example.com/m0/@v/v1.0.0.info") && first.contains("failed with 502"), first);
            assertTrue(first.contains("1 fetch failure since the last warning"), first);
        }
    }

    @Test
    void prefetchesFailingInAnOutageAddNoWarningsOfTheirOwn() throws Exception {
        var options = ProxyUnderTest.options()
                .breaker(2, Duration.ofMinutes(5))
                .prefetch(new ProxySettings.Prefetch(
                        true, 16, "256Mi", "16Mi", 1000, Duration.ofSeconds(30), Duration.ofMinutes(10)));
        try (CapturedLog log = CapturedLog.of(ModuleCache.class, Level.WARNING);
                ProxyUnderTest proxy = new ProxyUnderTest(ClosedPort.url(), root, options)) {
            for (int i = 0; i < 30; i++) {
                assertEquals(
                        502,
                        proxy.getText("/example.com/m" + i + "/@v/v1.0.0.info").statusCode());
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> proxy.assembly.prefetcher().orElseThrow().idle());
            assertEquals(1, failedFetches(log.warnings()).size(), String.join("\n", log.warnings()));
        }
    }

    @Test
    void theFirstFailureAfterAQuietMinuteIsToldAtOnceWithTheCountHeldBack() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        try (CapturedLog log = CapturedLog.of(ModuleCache.class, Level.FINE);
                ProxyUnderTest proxy = new ProxyUnderTest(
                        ClosedPort.url(),
                        root,
                        ProxyUnderTest.options().clock(clock).breaker(2, Duration.ofMinutes(5)))) {
            for (int i = 0; i < 3; i++) {
                assertEquals(
                        502,
                        proxy.getText("/example.com/m" + i + "/@v/v1.0.0.info").statusCode());
            }
            assertEquals(1, failedFetches(log.warnings()).size(), String.join("\n", log.warnings()));

            clock.advance(Duration.ofMinutes(1)); // ModuleCache.FETCH_FAILURE_WARNING_INTERVAL
            assertEquals(502, proxy.getText("/example.com/late/@v/v1.0.0.info").statusCode());

            List<String> warnings = failedFetches(log.warnings());
            assertEquals(2, warnings.size(), String.join("\n", warnings));
            String late = warnings.get(1);
            assertTrue(late.contains("example.com/late/@v/v1.0.0.info") && late.contains("circuit open"), late);
            assertTrue(late.contains("3 fetch failures since the last warning"), late); // 2 held back, and this one
            // DEBUG still has a line for each failure, the warned ones being theirs
            assertEquals(4, failedFetches(log.lines()).size(), String.join("\n", log.lines()));
        }
    }
}
