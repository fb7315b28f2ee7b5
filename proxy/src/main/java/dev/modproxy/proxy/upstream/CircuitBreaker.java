package dev.modproxy.proxy.upstream;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Skips an upstream after {@code threshold} consecutive failures; after {@code coolDown} one trial
 * request is let through (half-open) and its outcome closes or re-opens the breaker.
 */
public final class CircuitBreaker {

    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final long coolDownNanos;
    private final LongSupplier nanoTime;
    private State state = State.CLOSED;
    private int consecutiveFailures;
    private long openedAt;

    public CircuitBreaker(int threshold, Duration coolDown) {
        this(threshold, coolDown, System::nanoTime);
    }

    CircuitBreaker(int threshold, Duration coolDown, LongSupplier nanoTime) {
        if (threshold < 1) {
            throw new IllegalArgumentException("circuit breaker threshold must be at least 1");
        }
        this.threshold = threshold;
        this.coolDownNanos = coolDown.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Whether a request may go out now; every permitted request must report success or failure. */
    public synchronized boolean tryAcquire() {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (nanoTime.getAsLong() - openedAt >= coolDownNanos) {
                    state = State.HALF_OPEN;
                    return true;
                }
                return false;
            default:
                return false; // a trial request is already out
        }
    }

    public synchronized void recordSuccess() {
        state = State.CLOSED;
        consecutiveFailures = 0;
    }

    public synchronized void recordFailure() {
        consecutiveFailures++;
        if (state == State.HALF_OPEN || consecutiveFailures >= threshold) {
            state = State.OPEN;
            openedAt = nanoTime.getAsLong();
        }
    }

    /** The request ended for a reason that says nothing about the upstream (e.g. local disk full). */
    public synchronized void recordNeither() {
        if (state == State.HALF_OPEN) {
            state = State.OPEN; // cool-down already elapsed: the next request becomes the trial
        }
    }

    public synchronized State state() {
        return state;
    }
}
