package dev.modproxy.proxy.eviction;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ServingLeasesTest {

    final StorageKey list = new StorageKey("example.com/m/@v/list");
    final ServingLeases leases =
            new ServingLeases(Duration.ofMinutes(10), new MutableClock(Instant.parse("2030-01-01T00:00:00Z")));

    @Test
    void aDoomedObjectGoesAtItsLastRelease() {
        leases.acquire(list);
        leases.acquire(list);
        assertTrue(leases.doomIfLeased(list));

        assertFalse(leases.release(list), "another reader still has it");
        assertTrue(leases.release(list), "the last reader is done: remove it");
    }

    @Test
    void aNewObjectCommittedOverADoomedOneIsNotRemovedAtItsLastRelease() {
        leases.acquire(list); // a reader of a list too large to keep
        assertTrue(leases.doomIfLeased(list));
        leases.acquireNew(list); // its replacement, which fits

        assertFalse(leases.release(list), "the reader is done");
        assertFalse(leases.release(list), "the new list's writer is done: it stays");
    }
}
