package dev.modproxy.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.timer.TimerEventSource;
import java.time.Duration;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The operator SDK's timer race, reproduced on the SDK itself, and what the operator tests' waits make of it (the
 * extension is registered for every test class here, as for this one).
 */
class JosdkTimerRaceTest {

    /**
     * A reconciliation ending with a rescheduling on one thread, the resource's deletion on another: within
     * milliseconds scheduleOnce throws. Once an SDK upgrade fixes this, the wait times out here, and
     * JosdkTimerRace can go.
     */
    @Test
    void theSdkRefusesItsOwnTaskWhenADeletionCancelsItMidScheduling() throws Exception {
        IllegalStateException thrown = JosdkTimerRace.reproduce();

        assertThat(thrown).hasMessage("Task already scheduled or cancelled");
        assertThat(JosdkTimerRace.is(thrown)).isTrue();
    }

    @Test
    void theSameRefusalOutsideTheSdkAndOtherFailuresAreNotTheRace() {
        Timer timer = new Timer(true);
        try {
            TimerTask cancelled = new TimerTask() {
                @Override
                public void run() {}
            };
            cancelled.cancel();
            assertThatThrownBy(() -> timer.schedule(cancelled, 1000))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("Task already scheduled or cancelled")
                    .satisfies(other -> assertThat(JosdkTimerRace.is(other)).isFalse());
        } finally {
            timer.cancel();
        }
        TimerEventSource<ConfigMap> stopped = new TimerEventSource<>();
        assertThatThrownBy(() -> stopped.scheduleOnce(ResourceID.fromResource(configMap()), 1000))
                .isInstanceOf(IllegalStateException.class)
                .satisfies(other -> assertThat(JosdkTimerRace.is(other)).isFalse());
    }

    @Test
    void aWaitPassesOverTheRaceOnAnotherThreadButNotOtherUncaughtExceptions() throws Exception {
        IllegalStateException race = JosdkTimerRace.reproduce();
        AtomicInteger looks = new AtomicInteger();
        // the first look throws the race on a thread of its own, as a reconciler thread would; the second is done
        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> looks.incrementAndGet() > 1 || throwOnAnotherThread(race));
        assertThat(looks).hasValueGreaterThan(1);

        IllegalStateException other = new IllegalStateException("a reconciler thread failed");
        assertThatThrownBy(() -> await().atMost(Duration.ofSeconds(5)).until(() -> throwOnAnotherThread(other)))
                .isNotInstanceOf(ConditionTimeoutException.class)
                .isSameAs(other);
    }

    /** Throws on a new thread, uncaught, and waits for it to end; false, for a wait's condition. */
    private static boolean throwOnAnotherThread(RuntimeException thrown) throws InterruptedException {
        Thread thread = new Thread(() -> {
            throw thrown;
        });
        thread.start();
        thread.join();
        return false;
    }

    private static ConfigMap configMap() {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withNamespace("builds")
                .withName("cache")
                .endMetadata()
                .build();
    }
}
