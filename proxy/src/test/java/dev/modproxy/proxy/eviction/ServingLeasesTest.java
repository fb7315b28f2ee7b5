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
    final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    final ServingLeases leases = new ServingLeases(Duration.ofMinutes(10), clock);

    @Test
    void aDoomedObjectGoesAtItsLastRelease() {
        long first = leases.acquire(list);
        long second = leases.acquire(list);
        assertTrue(leases.doomIfLeased(list));

        assertFalse(leases.release(list, first), "another reader still has it");
        assertTrue(leases.release(list, second), "the last reader is done: remove it");
    }

    @Test
    void aNewObjectCommittedOverADoomedOneIsNotRemovedAtItsLastRelease() {
        long reader = leases.acquire(list); // a reader of a list too large to keep
        assertTrue(leases.doomIfLeased(list));
        long writer = leases.acquireNew(list); // its replacement, which fits

        assertFalse(leases.release(list, reader), "the reader is done");
        assertFalse(leases.release(list, writer), "the new list's writer is done: it stays");
    }

    /**
     * A lease past its maximum hold is dropped with its count of holders: the slow reader that still held it then ends
     * the lease of the next object under the key, which eviction may remove before its writer has served it.
     */
    @Test
    void aStaleReadersReleaseDoesNotEndTheLeaseOfTheObjectWrittenAfterItsLeaseExpired() {
        long slow = leases.acquire(list); // a slow client, still downloading after the lease's 10 minutes
        clock.advance(Duration.ofMinutes(11));
        assertTrue(leases.deleteIfIdle(list, () -> true), "past its maximum hold: evicted");
        long writer = leases.acquireNew(list); // fetched again and committed: leased until its writer has served it

        assertFalse(leases.release(list, slow)); // the slow client is done at last

        assertFalse(leases.deleteIfIdle(list, () -> true), "the new object's writer has not released it yet");
        assertFalse(leases.release(list, writer));
        assertTrue(leases.deleteIfIdle(list, () -> true), "released by its writer: evictable");
    }

    /** Leased as eviction judges it: held, and within the maximum hold. */
    @Test
    void anObjectIsLeasedWhileHeldWithinItsMaximumHold() {
        assertFalse(leases.isLeased(list), "never acquired");
        long first = leases.acquire(list);
        long second = leases.acquire(list);
        assertTrue(leases.isLeased(list));
        leases.release(list, first);
        assertTrue(leases.isLeased(list), "another reader still has it");
        leases.release(list, second);
        assertFalse(leases.isLeased(list), "released by all");

        leases.acquire(list); // a reader that never reports back
        clock.advance(Duration.ofMinutes(11));
        assertFalse(leases.isLeased(list), "past its maximum hold it protects nothing");
    }
}
