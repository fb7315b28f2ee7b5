package dev.modproxy.proxy.storage;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One warning per interval for a condition that recurs at every request or check (a storage that cannot be read, a
 * volume full of what is not the cache's), counting the occurrences held back in between so the next warning says
 * how many there were. Safe to call from any thread.
 */
public final class WarningPace {

    private final Duration interval;
    private final Clock clock;
    private final AtomicLong lastWarningMillis = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong occurrencesSinceWarning = new AtomicLong();

    public WarningPace(Duration interval, Clock clock) {
        this.interval = interval;
        this.clock = clock;
    }

    /** Counts an occurrence; returns how many to report now (this one included), or 0 while the last warning is recent. */
    public long due() {
        long occurrences = occurrencesSinceWarning.incrementAndGet();
        long now = clock.millis();
        long last = lastWarningMillis.get();
        if ((last == Long.MIN_VALUE || now - last >= interval.toMillis())
                && lastWarningMillis.compareAndSet(last, now)) {
            occurrencesSinceWarning.addAndGet(-occurrences);
            return occurrences;
        }
        return 0;
    }

    /**
     * The warning's closing words, e.g. "3 such failures since the last warning; next warning in 60 s at the
     * earliest", for {@code occurrences} returned by {@link #due()} and {@code what} naming one in the singular.
     */
    public String since(long occurrences, String what) {
        return occurrences + " " + what + (occurrences == 1 ? "" : "s") + " since the last warning; next warning in "
                + interval.toSeconds() + " s at the earliest";
    }
}
