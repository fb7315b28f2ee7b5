package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.resilience.CircuitState;
import dev.modproxy.proxy.testing.CapturedLog;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private final AtomicLong now = new AtomicLong();
    private final CircuitBreaker breaker =
            new CircuitBreaker(URI.create("https://mirror.example.com/goproxy"), 3, Duration.ofSeconds(10), now::get);

    @Test
    void opensAfterConsecutiveFailures() {
        breaker.recordFailure();
        breaker.recordFailure();
        assertTrue(breaker.tryAcquire());
        breaker.recordFailure();

        assertEquals(CircuitState.OPEN, breaker.state());
        assertFalse(breaker.tryAcquire());
    }

    @Test
    void successResetsTheFailureCount() {
        breaker.recordFailure();
        breaker.recordFailure();
        breaker.recordSuccess();
        breaker.recordFailure();

        assertEquals(CircuitState.CLOSED, breaker.state());
    }

    @Test
    void letsOneTrialThroughAfterTheCoolDown() {
        for (int i = 0; i < 3; i++) {
            breaker.recordFailure();
        }
        now.addAndGet(Duration.ofSeconds(10).toNanos());

        assertTrue(breaker.tryAcquire());
        assertFalse(breaker.tryAcquire(), "only one trial at a time");
        breaker.recordSuccess();
        assertTrue(breaker.tryAcquire());
    }

    @Test
    void failedTrialReopensForAnotherCoolDown() {
        for (int i = 0; i < 3; i++) {
            breaker.recordFailure();
        }
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertTrue(breaker.tryAcquire());

        breaker.recordFailure();

        assertFalse(breaker.tryAcquire());
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertTrue(breaker.tryAcquire());
    }

    @Test
    void failuresOfOnePathAloneNeverOpenIt() {
        for (int i = 0; i < 20; i++) {
            breaker.recordFailure("example.com/slow/@v/v1.0.0.zip");
        }
        assertEquals(CircuitState.CLOSED, breaker.state());

        breaker.recordFailure("example.com/a/@v/list");
        breaker.recordFailure("example.com/b/@v/list");
        assertEquals(
                CircuitState.OPEN, breaker.state(), "three distinct modules failing in a row: the upstream is down");
    }

    @Test
    void failuresOnEveryPathOfOneModuleNeverOpenIt() {
        for (String path : new String[] {
            "example.com/slow/@v/list",
            "example.com/slow/@latest",
            "example.com/slow/@v/v1.0.0.info",
            "example.com/slow/@v/v1.0.0.mod",
            "example.com/slow/@v/v1.0.0.zip",
            "example.com/slow/@v/v1.0.1.zip",
            "sumdb/lookup/example.com/slow@v1.0.0",
            "sumdb/lookup/example.com/slow@v1.0.1"
        }) {
            breaker.recordFailure(path);
        }
        assertEquals(
                CircuitState.CLOSED,
                breaker.state(),
                "a build and the prefetcher asking one slow module everything say nothing about the upstream");

        breaker.recordFailure("example.com/a/@v/v1.0.0.mod");
        breaker.recordFailure("sumdb/tile/8/0/001");
        assertEquals(CircuitState.OPEN, breaker.state(), "three modules (or tiles) failing in a row");
    }

    @Test
    void aPathCountsAsTheModuleItAsksAbout() {
        assertEquals("example.com/a", CircuitBreaker.moduleOf("example.com/a/@v/v1.0.0.zip"));
        assertEquals("example.com/a", CircuitBreaker.moduleOf("example.com/a/@latest"));
        assertEquals("example.com/a/v2", CircuitBreaker.moduleOf("example.com/a/v2/@v/list"));
        assertEquals("sumdb/lookup/example.com/a", CircuitBreaker.moduleOf("sumdb/lookup/example.com/a@v1.0.0"));
        assertEquals("sumdb/tile/8/1/000.p/4", CircuitBreaker.moduleOf("sumdb/tile/8/1/000.p/4"));
        assertEquals("sumdb/latest", CircuitBreaker.moduleOf("sumdb/latest"));
    }

    /** The per-request warnings of an outage say what failed; only these say the upstream is skipped, and used again. */
    @Test
    void openingAndClosingAreLoggedOnceEachWithoutTheLogin() {
        CircuitBreaker withLogin = new CircuitBreaker(
                URI.create("https://ci:s3cret@mirror.example.com/goproxy"), 2, Duration.ofSeconds(10), now::get);
        try (CapturedLog log = CapturedLog.of(CircuitBreaker.class)) {
            withLogin.recordFailure("example.com/a/@v/v1.0.0.zip");
            assertEquals(List.of(), log.lines(), "one module failing opens nothing");
            withLogin.recordFailure("example.com/b/@v/list");
            withLogin.recordFailure("example.com/c/@v/list"); // out when it opened: starts the cool-down again
            assertEquals(1, log.warnings().size(), log.lines().toString());
            String opened = log.warnings().get(0);
            assertTrue(
                    opened.startsWith(
                            "upstream https://ci:xxxxx@mirror.example.com/goproxy failed on 2 modules in a row"
                                    + " (the last: example.com/b): circuit open, not asking it for 10 s"),
                    opened);

            now.addAndGet(Duration.ofSeconds(10).toNanos());
            assertTrue(withLogin.tryAcquire(), "the trial");
            withLogin.recordFailure("example.com/d/@v/list");
            assertEquals(1, log.warnings().size(), "a failed trial re-opens without a word: " + log.lines());

            now.addAndGet(Duration.ofSeconds(10).toNanos());
            assertTrue(withLogin.tryAcquire(), "the next trial");
            withLogin.recordSuccess();
            withLogin.recordSuccess();
            assertEquals(2, log.lines().size(), log.lines().toString());
            assertEquals(
                    "upstream https://ci:xxxxx@mirror.example.com/goproxy answers again: circuit closed, asking it again",
                    log.lines().get(1));
            assertTrue(
                    log.lines().stream().noneMatch(line -> line.contains("s3cret")),
                    log.lines().toString());
        }
    }

    /**
     * The checksum database's breaker (ChecksumDatabase builds one for its URL) logs through the same line: it must
     * not call the database an upstream whose skipping sends modules to 'the next upstream of the list' (there is
     * none for a checksum database; lookups and verification fail instead).
     */
    @Test
    void theChecksumDatabasesCircuitOpeningIsNotDescribedAsAnUpstreamOfTheList() {
        CircuitBreaker sumdb = CircuitBreaker.forChecksumDatabase(
                URI.create("https://sum.golang.org"), 2, Duration.ofSeconds(10), now::get);
        try (CapturedLog log = CapturedLog.of(CircuitBreaker.class)) {
            sumdb.recordFailure("sumdb/lookup/example.com/a@v1.0.0");
            sumdb.recordFailure("sumdb/lookup/example.com/b@v1.0.0");
            assertEquals(1, log.warnings().size(), log.lines().toString());
            String opened = log.warnings().get(0);
            assertFalse(opened.contains("next upstream of the list"), opened);
            assertFalse(opened.startsWith("upstream "), opened);
            assertTrue(
                    opened.startsWith("checksum database https://sum.golang.org failed on 2 modules in a row (the last:"
                            + " sumdb/lookup/example.com/b)"),
                    opened);
        }
    }
}
