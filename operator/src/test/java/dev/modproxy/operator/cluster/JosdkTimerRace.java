package dev.modproxy.operator.cluster;

import io.javaoperatorsdk.operator.processing.event.source.timer.TimerEventSource;
import java.util.Arrays;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A race in the operator SDK (JOSDK 5.2.1, unchanged up to its main branch of August 2026), passed over by the
 * operator tests' waits. {@link TimerEventSource#scheduleOnce} files its new task in a map and then hands it to a
 * {@link java.util.Timer}; the deletion of the resource, seen on an informer thread, cancels whatever task that map
 * holds. When a cache is deleted just as a reconciliation ends with a retry or a rescheduling, the cancel can fall
 * between the two steps, and the Timer refuses the cancelled task: an IllegalStateException escapes the reconciler
 * thread. Nothing is lost (the cache is gone; its state was released before), but Awaitility, which fails a wait
 * on any uncaught exception of any thread, turns it into the error of whichever test is waiting. Caches are deleted
 * all the time in these tests: on a real API server the namespace controller deletes the ones of earlier tests
 * while later tests wait. {@code JosdkTimerRaceTest} reproduces the race and fails once an upgrade fixes it.
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

    /** Whether the throwable is that race: the Timer's refusal, raised inside TimerEventSource.scheduleOnce. */
    public static boolean is(Throwable thrown) {
        return thrown instanceof IllegalStateException
                && "Task already scheduled or cancelled".equals(thrown.getMessage())
                && Arrays.stream(thrown.getStackTrace())
                        .anyMatch(frame -> frame.getClassName().equals(TimerEventSource.class.getName())
                                && frame.getMethodName().equals("scheduleOnce"));
    }

    /**
     * Makes every Awaitility wait of this class loader pass over the race, and only it, when a thread throws it:
     * any other uncaught exception still fails the wait.
     */
    public static void passOverInWaits() {
        Awaitility.ignoreExceptionsByDefaultMatching(JosdkTimerRace::is);
    }
}
