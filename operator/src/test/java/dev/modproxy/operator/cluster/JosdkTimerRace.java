package dev.modproxy.operator.cluster;

import static org.awaitility.Awaitility.await;

import dev.modproxy.operator.reconciler.UncaughtFailures;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.timer.TimerEventSource;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The operator SDK's timer race ({@link UncaughtFailures} says what it is), passed over by the operator tests' waits.
 * Nothing is lost, and production logs it at DEBUG, but Awaitility, which fails a wait on any uncaught exception of
 * any thread, would make it the error of whichever test is waiting. Caches are deleted all the time in these tests:
 * on a real API server the namespace controller deletes the ones of earlier tests while later tests wait.
 * {@code JosdkTimerRaceTest} reproduces the race and fails once an upgrade fixes it.
 *
 * <p>A JUnit extension, registered for every test class of the module (META-INF/services; Quarkus' test
 * configuration turns extension autodetection on).
 */
public final class JosdkTimerRace implements BeforeAllCallback {

    /** For JUnit's service loader. */
    public JosdkTimerRace() {}

    @Override
    public void beforeAll(ExtensionContext context) throws ReflectiveOperationException {
        // Awaitility keeps its defaults per class loader, and Quarkus loads a @QuarkusTest class, with the
        // Awaitility it calls, in a loader of its own: set them in the test class's loader
        Class.forName(
                        JosdkTimerRace.class.getName(),
                        true,
                        context.getRequiredTestClass().getClassLoader())
                .getMethod("passOverInWaits")
                .invoke(null);
    }

    /** Whether the throwable is that race ({@link UncaughtFailures#isSdkTimerRace}, which production logs at DEBUG). */
    public static boolean is(Throwable thrown) {
        return UncaughtFailures.isSdkTimerRace(thrown);
    }

    /**
     * Makes every Awaitility wait of this class loader pass over the race, and only it, when a thread throws it:
     * any other uncaught exception still fails the wait.
     */
    public static void passOverInWaits() {
        Awaitility.ignoreExceptionsByDefaultMatching(JosdkTimerRace::is);
    }

    /**
     * The race, made to happen on the SDK itself: a reconciliation ending with a rescheduling on this thread, the
     * resource's deletion on another, until scheduleOnce throws (within milliseconds; at most 30 s).
     */
    public static IllegalStateException reproduce() throws InterruptedException {
        TimerEventSource<ConfigMap> timers = new TimerEventSource<>();
        timers.start();
        ConfigMap resource = new ConfigMapBuilder()
                .withNewMetadata()
                .withNamespace("builds")
                .withName("cache")
                .endMetadata()
                .build();
        ResourceID id = ResourceID.fromResource(resource);
        AtomicBoolean deleting = new AtomicBoolean(true);
        Thread informer = new Thread(() -> {
            while (deleting.get()) {
                timers.onResourceDeleted(resource);
            }
        });
        informer.start();
        AtomicReference<IllegalStateException> thrown = new AtomicReference<>();
        try {
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(1))
                    .until(() -> {
                        try {
                            for (int i = 0; i < 10_000; i++) {
                                timers.scheduleOnce(id, Duration.ofHours(1).toMillis());
                            }
                            return false;
                        } catch (IllegalStateException e) {
                            thrown.set(e);
                            return true;
                        }
                    });
        } finally {
            deleting.set(false);
            informer.join();
            timers.stop();
        }
        return thrown.get();
    }
}
