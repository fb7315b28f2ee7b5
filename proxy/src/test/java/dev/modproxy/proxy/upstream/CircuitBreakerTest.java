package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private final AtomicLong now = new AtomicLong();
    private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(10), now::get);

    @Test
    void opensAfterConsecutiveFailures() {
        breaker.recordFailure();
        breaker.recordFailure();
        assertTrue(breaker.tryAcquire());
        breaker.recordFailure();

        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
        assertFalse(breaker.tryAcquire());
    }

    @Test
    void successResetsTheFailureCount() {
        breaker.recordFailure();
        breaker.recordFailure();
        breaker.recordSuccess();
        breaker.recordFailure();

        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
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
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());

        breaker.recordFailure("example.com/a/@v/list");
        breaker.recordFailure("example.com/b/@v/list");
        assertEquals(
                CircuitBreaker.State.OPEN,
                breaker.state(),
                "three distinct paths failing in a row: the upstream is down");
    }
}
