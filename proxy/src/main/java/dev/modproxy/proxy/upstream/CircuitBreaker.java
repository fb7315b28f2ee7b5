package dev.modproxy.proxy.upstream;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Skips an upstream after {@code threshold} consecutive failures on as many distinct paths; after
 * {@code coolDown} one trial request is let through (half-open) and its outcome closes or re-opens
 * the breaker. Distinct paths: one client asking again and again for a path the upstream cannot
 * serve says nothing about the upstream, and must not make it skipped for everyone.
 */
public final class CircuitBreaker {

    public enum State {
        CLOSED,
        OPEN,
        HALF_OPEN
    }

    private final int threshold;
    private final long coolDownNanos;
    private final LongSupplier nanoTime;
    private State state = State.CLOSED;
    private final Set<String> failingPaths = new HashSet<>();
    private long openedAt;
    private long anonymousFailures;

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
        failingPaths.clear();
    }

    /** A failure that says the upstream is down (refused or timed-out connection, 503), for a path of unknown name. */
    public synchronized void recordFailure() {
        recordFailure("\0" + anonymousFailures++);
    }

    /** A failure that says the upstream is down, while asking it for path. */
    public synchronized void recordFailure(String path) {
        if (failingPaths.size() < threshold) {
            failingPaths.add(path);
        }
        if (state == State.HALF_OPEN || failingPaths.size() >= threshold) {
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
