package dev.modproxy.operator.reconciler;

import io.javaoperatorsdk.operator.processing.event.source.timer.TimerEventSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Arrays;
import org.jboss.logging.Logger;

/**
 * What a thread of the operator lets escape goes to the operator's log, in its format and at a level that says what it
 * means, instead of a stack trace printed on stderr past the log (the JVM's default for a thread without a handler,
 * such as the operator SDK's reconciler threads).
 *
 * <p>One such escape is known and harmless: a race in the operator SDK (JOSDK 5.2.1, unchanged on its main branch of
 * August 2026). {@link TimerEventSource#scheduleOnce} files its new task in a map and then hands it to a
 * {@link java.util.Timer}; the deletion of the resource, seen on an informer thread, cancels whatever that map holds.
 * When a cache is deleted just as its reconciliation ends with a rescheduling or a retry, the cancel can fall between
 * the two steps and the Timer refuses the cancelled task. The cache is gone and its state was released before: it is
 * logged at DEBUG. Anything else is an ERROR with its stack trace.
 */
@ApplicationScoped
public class UncaughtFailures {

    private static final Logger LOG = Logger.getLogger(UncaughtFailures.class);

    void onStart(@Observes StartupEvent event) {
        Thread.setDefaultUncaughtExceptionHandler(UncaughtFailures::log);
    }

    /** Logs what escaped {@code thread}. */
    static void log(Thread thread, Throwable thrown) {
        if (isSdkTimerRace(thrown)) {
            LOG.debugf(
                    "thread %s: the operator SDK's timer refused a rescheduling cancelled by the resource's deletion"
                            + " (a known race in the SDK; nothing is lost)",
                    thread.getName());
            return;
        }
        LOG.errorf(thrown, "thread %s ended with an exception nothing caught", thread.getName());
    }

    /** Whether {@code thrown} is the SDK's race: the Timer's refusal, raised inside TimerEventSource.scheduleOnce. */
    public static boolean isSdkTimerRace(Throwable thrown) {
        return thrown instanceof IllegalStateException
                && "Task already scheduled or cancelled".equals(thrown.getMessage())
                && Arrays.stream(thrown.getStackTrace())
                        .anyMatch(frame -> frame.getClassName().equals(TimerEventSource.class.getName())
                                && frame.getMethodName().equals("scheduleOnce"));
    }
}
