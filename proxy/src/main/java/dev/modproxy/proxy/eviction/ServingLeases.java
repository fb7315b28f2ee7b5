package dev.modproxy.proxy.eviction;

import dev.modproxy.proxy.storage.StorageKey;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Objects handed out for serving and not yet released. Eviction skips them. A lease nobody
 * releases (a reader that does not report back) stops protecting its object after {@code maxHold}.
 */
final class ServingLeases {

    private record Lease(int holders, long lastAcquiredMillis) {}

    private final ConcurrentHashMap<StorageKey, Lease> leases = new ConcurrentHashMap<>();
    private final Duration maxHold;
    private final Clock clock;

    ServingLeases(Duration maxHold, Clock clock) {
        this.maxHold = maxHold;
        this.clock = clock;
    }

    void acquire(StorageKey key) {
        long now = clock.millis();
        leases.merge(key, new Lease(1, now), (old, one) -> new Lease(old.holders() + 1, now));
    }

    void release(StorageKey key) {
        leases.computeIfPresent(
                key, (k, old) -> old.holders() <= 1 ? null : new Lease(old.holders() - 1, old.lastAcquiredMillis()));
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
