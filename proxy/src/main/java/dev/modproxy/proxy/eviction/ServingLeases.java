package dev.modproxy.proxy.eviction;

import dev.modproxy.proxy.storage.StorageKey;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Objects handed out for serving and not yet released. Eviction skips them. A lease nobody
 * releases (a reader that does not report back) stops protecting its object after {@code maxHold}.
 * An object eviction wanted gone while it was leased (one too large to keep) is marked doomed: its
 * last release says so, and it goes then.
 */
final class ServingLeases {

    private record Lease(int holders, long lastAcquiredMillis, boolean doomed) {}

    private final ConcurrentHashMap<StorageKey, Lease> leases = new ConcurrentHashMap<>();
    private final Duration maxHold;
    private final Clock clock;

    ServingLeases(Duration maxHold, Clock clock) {
        this.maxHold = maxHold;
        this.clock = clock;
    }

    /** A hold on the object under key as it is: one doomed stays doomed. */
    void acquire(StorageKey key) {
        hold(key, true);
    }

    /**
     * A hold on a new object a commit publishes under key. The doom of the object it replaces is not its own (a
     * mutable list that was once too large fits now): the check the commit asks for judges it afresh.
     */
    void acquireNew(StorageKey key) {
        hold(key, false);
    }

    private void hold(StorageKey key, boolean keepDoomed) {
        long now = clock.millis();
        leases.merge(
                key,
                new Lease(1, now, false),
                (old, one) -> new Lease(old.holders() + 1, now, keepDoomed && old.doomed()));
    }

    /** Ends one hold; true when it was the last on a doomed object, which the caller should now remove. */
    boolean release(StorageKey key) {
        boolean[] lastOfDoomed = {false};
        leases.computeIfPresent(key, (k, old) -> {
            if (old.holders() <= 1) {
                lastOfDoomed[0] = old.doomed();
                return null;
            }
            return new Lease(old.holders() - 1, old.lastAcquiredMillis(), old.doomed());
        });
        return lastOfDoomed[0];
    }

    /** Marks a leased object for removal at its last release; false when it is not leased (remove it now). */
    boolean doomIfLeased(StorageKey key) {
        return leases.computeIfPresent(key, (k, old) -> new Lease(old.holders(), old.lastAcquiredMillis(), true))
                != null;
    }

    /** Runs the deletion unless the key is leased, holding the key so no lookup can lease it meanwhile. */
    boolean deleteIfIdle(StorageKey key, java.util.function.BooleanSupplier deletion) {
        boolean[] deleted = {false};
        leases.compute(key, (k, lease) -> {
            if (lease != null && clock.millis() - lease.lastAcquiredMillis() <= maxHold.toMillis()) {
                return lease;
            }
            deleted[0] = deletion.getAsBoolean();
            return null;
        });
        return deleted[0];
    }
}
