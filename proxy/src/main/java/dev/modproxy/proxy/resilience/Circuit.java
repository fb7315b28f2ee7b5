package dev.modproxy.proxy.resilience;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The states and moves of a circuit breaker, shared by the upstreams' and the storage's: closed, then open when the
 * caller says enough calls failed (what counts is the caller's: failures on distinct modules for an upstream, calls
 * in a row for a bucket), then after the cool-down one trial call (half-open), whose success closes the circuit and
 * whose failure opens it for another cool-down. Every call let through is reported as {@link #succeeded},
 * {@link #failed} or {@link #abandoned}.
 */
public final class Circuit {

    private final long coolDownNanos;
    private final LongSupplier nanoTime;
    private CircuitState state = CircuitState.CLOSED;
    private long openedAt;

    /** @param nanoTime when the cool-down ends: {@link System#nanoTime}, or a clock's time in nanoseconds */
    public Circuit(Duration coolDown, LongSupplier nanoTime) {
        this.coolDownNanos = coolDown.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Whether a call may go out now: any while closed, the one trial once the cool-down is over, none else. */
    public synchronized boolean tryAcquire() {
        if (state == CircuitState.CLOSED) {
            return true;
        }
        if (state == CircuitState.OPEN && coolDownOver()) {
            state = CircuitState.HALF_OPEN;
            return true;
        }
        return false; // open, or a trial call is already out
    }

    /**
     * Whether a call would be let through now, taking no trial: for work that does not reach what the circuit guards
     * (opening a writer that stages locally) and so cannot be the trial.
     */
    public synchronized boolean admitsWithoutTrial() {
        return state == CircuitState.CLOSED || (state == CircuitState.OPEN && coolDownOver());
    }

    /** A call was answered: the circuit closes. Returns the state it was in. */
    public synchronized CircuitState succeeded() {
        CircuitState before = state;
        state = CircuitState.CLOSED;
        return before;
    }

    /**
     * A call failed. The trial's failure opens the circuit for another cool-down; any other failure opens it, or
     * starts an open circuit's cool-down again, when {@code enoughToOpen} (the caller's count). Returns the state it
     * was in.
     */
    public synchronized CircuitState failed(boolean enoughToOpen) {
        CircuitState before = state;
        if (state == CircuitState.HALF_OPEN || enoughToOpen) {
            state = CircuitState.OPEN;
            openedAt = nanoTime.getAsLong();
        }
        return before;
    }

    /**
     * A call ended for a reason that says nothing about what the circuit guards (a local disk full): a trial
     * proves nothing, and the next call becomes the trial, its cool-down being over already.
     */
    public synchronized void abandoned() {
        if (state == CircuitState.HALF_OPEN) {
            state = CircuitState.OPEN;
        }
    }

    public synchronized CircuitState state() {
        return state;
    }

    /** A clock set back counts as the cool-down being over: it must not keep the circuit open for hours. */
    private boolean coolDownOver() {
        long elapsed = nanoTime.getAsLong() - openedAt;
        return elapsed >= coolDownNanos || elapsed < 0;
    }
}
