package dev.modproxy.operator.reconciler;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The operator's own exit (a rolling update, a lost Lease) interrupts the reconciliations running: that is no failure
 * of the cache. A replica that lost its Lease once logged them as ERRORs and WARNs with 130 lines of stack traces.
 */
class ReconcilingInterruptedByShutdownTest {

    private static final String WORKFLOW_EXECUTOR =
            "io.javaoperatorsdk.operator.processing.dependent.workflow.WorkflowReconcileExecutor";
    private static final String CLEANUP_EXECUTOR =
            "io.javaoperatorsdk.operator.processing.dependent.workflow.WorkflowCleanupExecutor";

    @Test
    void aReconciliationTheShutdownInterruptsIsNeitherReportedNorRetriedNorLoggedAsAFailure() {
        GoProxyCacheReconciler reconciler = new GoProxyCacheReconciler(null, null, Duration.ofMinutes(1));
        GoProxyCache cache = cache("team-a", "builds", spec -> {});
        // the client may be closed already: nothing of the context is to be used
        @SuppressWarnings("unchecked")
        Context<GoProxyCache> untouchable = (Context<GoProxyCache>) Proxy.newProxyInstance(
                Context.class.getClassLoader(), new Class<?>[] {Context.class}, (proxy, method, args) -> {
                    throw new AssertionError("the interrupted reconciliation used the context: " + method.getName());
                });
        Logger workflowExecutor = Logger.getLogger(WORKFLOW_EXECUTOR);
        workflowExecutor.setLevel(null); // as in a running replica (another test's shutdown may have set it)
        try (CapturedLog log = new CapturedLog(GoProxyCacheReconciler.class.getName())) {
            reconciler.onShutdown(null);
            ErrorStatusUpdateControl<GoProxyCache> control = reconciler.updateErrorStatus(
                    cache, untouchable, new OperatorException(new OperatorException(new InterruptedException())));

            assertThat(control.getResource()).as("status written").isEmpty();
            assertThat(control.isNoRetry()).isTrue();
            assertThat(control.getScheduleDelay()).isEmpty();
            assertThat(log.records)
                    .as("lines at INFO or above")
                    .noneMatch(r -> r.getLevel().intValue() >= Level.INFO.intValue());
            assertThat(workflowExecutor.isLoggable(Level.SEVERE))
                    .as("JOSDK's 'Thread interrupted for primary' ERROR with its stack trace")
                    .isFalse();
            assertThat(Logger.getLogger(CLEANUP_EXECUTOR).isLoggable(Level.SEVERE))
                    .as("the same of a cleanup (a cache's deletion) the shutdown interrupts")
                    .isFalse();

            new GoProxyCacheReconciler(null, null, Duration.ofMinutes(1)).onStart(null);
            assertThat(workflowExecutor.isLoggable(Level.SEVERE))
                    .as("an operator started again in this JVM logs its workflows' errors")
                    .isTrue();
            assertThat(Logger.getLogger(CLEANUP_EXECUTOR).isLoggable(Level.SEVERE))
                    .isTrue();
        } finally {
            workflowExecutor.setLevel(null); // other tests' operators are running ones
            Logger.getLogger(CLEANUP_EXECUTOR).setLevel(null);
        }
    }
}
