package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A leader frozen past the lease duration wakes up with events queued; the elector learns it lost the Lease one round
 * trip later, and a reconciliation dispatched before that must already find the fence raised.
 */
class LeadershipFenceTest {

    static final Duration LONGEST_PAUSE = Duration.ofMillis(10_500);

    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final LeadershipFence fence = new LeadershipFence(now::get, LONGEST_PAUSE);

    @org.junit.jupiter.api.AfterEach
    void stopTheWatch() {
        fence.raise();
    }

    @Test
    void aReconciliationThatWakesUpBeforeTheWatchFindsTheFenceRaised() {
        fence.startedLeading(() -> {});
        pass(Duration.ofSeconds(16)); // frozen: no tick ran

        assertThat(fence.raised())
                .as("checked by the first thread that wakes up")
                .isTrue();
        fence.tick();
        assertThat(fence.raised()).as("and stays raised").isTrue();
    }

    @Test
    void theWatchThatWakesUpFirstRaisesTheFenceBeforeItRecordsTheTime() {
        fence.startedLeading(() -> {});
        pass(Duration.ofSeconds(16));

        fence.tick();

        assertThat(fence.raised()).isTrue();
    }

    @Test
    void aLeaderThatRunsOnIsNotFencedHoweverLongItLeads() {
        fence.startedLeading(() -> {});
        for (int i = 0; i < 1_000; i++) {
            pass(LeadershipFence.TICK);
            fence.tick();
            assertThat(fence.raised()).isFalse();
        }
    }

    @Test
    void aPauseShorterThanTheRenewDeadlineLeavesItLeading() {
        fence.startedLeading(() -> {});
        pass(Duration.ofSeconds(10));

        assertThat(fence.raised())
                .as("the Lease has seconds left: nobody else can lead yet")
                .isFalse();
        fence.tick();
        pass(Duration.ofSeconds(10));
        assertThat(fence.raised()).as("measured from the last tick").isFalse();
    }

    @Test
    void aFollowerPausedForLongIsNotFencedAndLeadsCleanlyOnceItHoldsTheLease() {
        pass(Duration.ofMinutes(5));
        fence.tick();
        assertThat(fence.raised()).isFalse();

        pass(Duration.ofMinutes(1));
        fence.startedLeading(() -> {});

        assertThat(fence.raised())
                .as("the pause counts from when it started leading")
                .isFalse();
    }

    @Test
    void raisedWhenTheElectorReportsTheLeaseLostWithoutAnyPause() {
        fence.startedLeading(() -> {});

        fence.raise();

        assertThat(fence.raised()).isTrue();
    }

    @Test
    void theWatchRunsWhileItLeadsOnTheRealClockAndStopsOnceRaised() {
        LeadershipFence real = new LeadershipFence();
        real.startedLeading(() -> {});

        await("a leading replica's watch, ticking")
                .during(Duration.ofMillis(1_500))
                .atMost(Duration.ofSeconds(5))
                .until(() -> !real.raised() && watchThreads() == 1);

        real.raise();
        await("the watch stops").atMost(Duration.ofSeconds(5)).until(() -> watchThreads() == 0);
    }

    private void pass(Duration duration) {
        now.addAndGet(duration.toNanos());
    }

    private static long watchThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("modproxy-leadership-watch") && t.isAlive())
                .count();
    }
}
