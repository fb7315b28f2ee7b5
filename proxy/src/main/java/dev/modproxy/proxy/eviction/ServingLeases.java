package dev.modproxy.proxy.eviction;

import dev.modproxy.proxy.storage.StorageKey;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Objects handed out for serving and not yet released. Eviction skips them. A lease nobody
 * releases (a reader that does not report back) stops protecting its object after {@code maxHold}.
 * An object eviction wanted gone while it was leased (one too large to keep) is marked doomed: its
 * last release says so, and it goes then. Each lease has a generation, which its holders' releases name: a
 * release of a lease that ended (dropped past its maximum hold, the object evicted) does not end the next one
 * under the key (a slow reader's release ended the lease of the object written after, which eviction then removed
 * before its writer served it).
 */
final class ServingLeases {

    private record Lease(int holders, long lastAcquiredMillis, boolean doomed, long generation) {}

    private final ConcurrentHashMap<StorageKey, Lease> leases = new ConcurrentHashMap<>();
    private final AtomicLong generations = new AtomicLong();
    private final Duration maxHold;
    private final Clock clock;

    ServingLeases(Duration maxHold, Clock clock) {
        this.maxHold = maxHold;
        this.clock = clock;
    }

    /** A hold on the object under key as it is: one doomed stays doomed. Returns what to release it with. */
    long acquire(StorageKey key) {
        return hold(key, true);
    }

    /**
     * A hold on a new object a commit publishes under key. The doom of the object it replaces is not its own (a
     * mutable list that was once too large fits now): the check the commit asks for judges it afresh.
     */
    long acquireNew(StorageKey key) {
        return hold(key, false);
    }

    private long hold(StorageKey key, boolean keepDoomed) {
        long now = clock.millis();
        return leases.merge(
                        key,
                        new Lease(1, now, false, generations.incrementAndGet()),
                        (old, one) -> new Lease(old.holders() + 1, now, keepDoomed && old.doomed(), old.generation()))
                .generation();
    }

    /**
     * Ends one hold of the lease acquire gave generation for; true when it was the last on a doomed object, which the
     * caller should now remove. A hold of a lease that is gone (past its maximum hold) ends nothing.
     */
    boolean release(StorageKey key, long generation) {
        boolean[] lastOfDoomed = {false};
        leases.computeIfPresent(key, (k, old) -> {
            if (old.generation() != generation) {
                return old; // a stale holder's: this lease is another's
            }
            if (old.holders() <= 1) {
                lastOfDoomed[0] = old.doomed();
                return null;
            }
            return new Lease(old.holders() - 1, old.lastAcquiredMillis(), old.doomed(), old.generation());
        });
        return lastOfDoomed[0];
    }

    /** Marks a leased object for removal at its last release; false when it is not leased (remove it now). */
    boolean doomIfLeased(StorageKey key) {
        return leases.computeIfPresent(
                        key, (k, old) -> new Lease(old.holders(), old.lastAcquiredMillis(), true, old.generation()))
                != null;
    }

    /** Whether the object under key is leased: held within the maximum hold, so eviction would skip it. */
    boolean isLeased(StorageKey key) {
        Lease lease = leases.get(key);
        return lease != null && clock.millis() - lease.lastAcquiredMillis() <= maxHold.toMillis();
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
