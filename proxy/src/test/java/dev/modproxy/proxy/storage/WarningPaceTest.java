package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.proxy.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WarningPaceTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final WarningPace pace = new WarningPace(Duration.ofMinutes(1), clock);

    @Test
    void theFirstOccurrenceIsWarnedAtOnceAndTheNextOnesWithinTheIntervalAreHeldBack() {
        assertEquals(1, pace.due());
        clock.advance(Duration.ofSeconds(59));
        assertEquals(0, pace.due());
        assertEquals(0, pace.due());
    }

    @Test
    void theNextWarningCountsWhatWasHeldBackSinceTheLast() {
        pace.due();
        pace.due();
        pace.due();
        clock.advance(Duration.ofMinutes(1));
        long occurrences = pace.due();
        assertEquals(3, occurrences);
        assertEquals(
                "3 such failures since the last warning; next warning in 60 s at the earliest",
                pace.since(occurrences, "such failure"));
    }

    @Test
    void aSingleOccurrenceIsNamedInTheSingular() {
        assertEquals(
                "1 such finding since the last warning; next warning in 60 s at the earliest",
                pace.since(pace.due(), "such finding"));
    }
}
