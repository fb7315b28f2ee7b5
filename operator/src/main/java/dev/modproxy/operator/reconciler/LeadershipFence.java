package dev.modproxy.operator.reconciler;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Raised once this replica stops leading, and never lowered in this process: from then on it writes nothing to a
 * cache or its objects. JOSDK 5.2 keeps dispatching reconciliations after fabric8's elector reports the Lease lost
 * (its own {@code stopLeading} only exits or logs), so a replica that was frozen longer than the lease duration (a
 * stopped process, a VM paused, a long GC) woke up, learnt it had lost the Lease, and still reconciled the events
 * queued while it was frozen, beside the replica that leads now, until its exit (about a second later) stopped it.
 *
 * <p>The elector learns it lost the Lease only after a round trip to the API server, and the informers deliver what
 * was queued during the freeze at the same moment: a reconciliation could start first. So while this replica leads,
 * the fence also watches for a pause itself. A tick every {@link #TICK} records that the process runs; a gap of more
 * than the renew deadline plus one tick means the elector too will give the Lease up (it gives up when it has not
 * renewed within the renew deadline), and the fence rises at once, whichever thread notices the gap first. A shorter
 * gap leaves the Lease at least a second of its duration when it was renewed on time before the pause (every retry
 * period), so no other replica can lead yet.
 *
 * <p>The elector may keep the Lease through such a pause all the same (a renewal in flight when the process froze
 * that succeeds once it wakes, nobody having taken the Lease yet; a watch thread starved while the elector ran): it
 * would then go on renewing the Lease of a replica that writes nothing, and no other could take over. So a fence
 * raised by a pause also tells whoever started leading ({@link #startedLeading}'s argument), which gives the Lease up.
 */
@Singleton
public class LeadershipFence {

    private static final Logger LOG = Logger.getLogger(LeadershipFence.class);
    static final Duration TICK = Duration.ofMillis(500);

    private final LongSupplier nanoClock;
    private final long longestPauseNanos;
    private volatile boolean raised;
    private volatile boolean leading;
    /** When the process last ran while leading: the last tick, or the start of leading. */
    private volatile long lastSeen;

    private ScheduledExecutorService ticker;
    /** Told once if a pause raises the fence while this replica leads. */
    private volatile Runnable afterAPause = () -> {};

    public LeadershipFence() {
        this(System::nanoTime, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE.plus(TICK));
    }

    /** @param longestPause the longest gap between ticks that still leaves this replica leading */
    LeadershipFence(LongSupplier nanoClock, Duration longestPause) {
        this.nanoClock = nanoClock;
        this.longestPauseNanos = longestPause.toNanos();
    }

    /**
     * Called as this replica starts leading: from now on a pause longer than the renew deadline raises the fence.
     *
     * @param afterAPause run once, on the thread that noticed it, when a pause raises the fence: this replica must
     *     give the Lease up, which the elector may not do by itself
     */
    synchronized void startedLeading(Runnable afterAPause) {
        this.afterAPause = afterAPause;
        lastSeen = nanoClock.getAsLong();
        leading = true;
        if (ticker == null && !raised) {
            ticker = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "modproxy-leadership-watch");
                thread.setDaemon(true);
                return thread;
            });
            long period = TICK.toNanos();
            ticker.scheduleAtFixedRate(this::tick, period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** Called as this replica stops leading, before anything else it does then. */
    void raise() {
        raised = true;
        stopTicking();
    }

    /** True once this replica stopped leading: a reconciliation that starts now must not write. */
    public boolean raised() {
        // lastSeen before raised: a tick that finds the gap raises the fence before it moves lastSeen on
        long seen = lastSeen;
        if (raised) {
            return true;
        }
        if (leading) {
            pausedSince(seen, nanoClock.getAsLong());
        }
        return raised;
    }

    /** One tick of the watch: raises the fence if the process did not run for longer than the renew deadline. */
    void tick() {
        long now = nanoClock.getAsLong();
        if (leading && !raised) {
            pausedSince(lastSeen, now);
        }
        lastSeen = now;
    }

    private void pausedSince(long seen, long now) {
        long gap = now - seen;
        if (gap > longestPauseNanos && !raised) {
            raisedByAPause(gap);
        }
    }

    // synchronized: a reconciliation and the watch may notice the same pause at once; it is told and logged once
    private synchronized void raisedByAPause(long gap) {
        if (!raised) {
            raised = true;
            LOG.infof(
                    "This replica did not run for %d ms while it led (a frozen process, a paused VM, a long GC), "
                            + "longer than the %d s renew deadline: another replica may lead now, so this one writes "
                            + "nothing more",
                    TimeUnit.NANOSECONDS.toMillis(gap),
                    LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE.toSeconds());
            stopTicking();
            afterAPause.run();
        }
    }

    private synchronized void stopTicking() {
        if (ticker != null) {
            ticker.shutdownNow();
            ticker = null;
        }
    }
}
