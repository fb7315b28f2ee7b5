package dev.modproxy.operator.reconciler;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.lang.reflect.Proxy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * JOSDK goes on dispatching reconciliations after the elector reports the Lease lost: a leader frozen past the lease
 * duration (SIGSTOP, a paused VM, a long GC) reconciled the events queued meanwhile, beside the replica that leads now,
 * in the second before its exit stopped it (and for good with {@code modproxy.operator.exit-on-lost-lease=false}).
 * Such a reconciliation must neither read nor write anything.
 */
class ReconcilingAfterTheLeaseWasLostTest {

    @SuppressWarnings("unchecked")
    private static final Context<GoProxyCache> UNTOUCHABLE = (Context<GoProxyCache>) Proxy.newProxyInstance(
            Context.class.getClassLoader(), new Class<?>[] {Context.class}, (proxy, method, args) -> {
                throw new AssertionError("a replica that lost the Lease used the context: " + method.getName());
            });

    @Test
    void aReconciliationDispatchedAfterTheLeaseWasLostTouchesNothing() {
        LeadershipFence fence = new LeadershipFence();
        GoProxyCacheReconciler reconciler = new GoProxyCacheReconciler(null, null, Duration.ofMinutes(1), fence);
        GoProxyCache cache = cache("team-a", "builds", spec -> {});
        fence.raise();

        UpdateControl<GoProxyCache> control = reconciler.reconcile(cache, UNTOUCHABLE);

        assertThat(control.isNoUpdate()).isTrue();
        assertThat(control.getScheduleDelay()).as("rescheduled").isEmpty();
    }

    /**
     * Woken from a freeze longer than the renew deadline, before the elector has asked the API server who holds the
     * Lease: the events queued meanwhile are dispatched at once, and must find the fence raised already.
     */
    @Test
    void aReconciliationDispatchedAsALeaderWakesFromALongFreezeTouchesNothing() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        LeadershipFence fence = new LeadershipFence(now::get, Duration.ofMillis(10_500));
        GoProxyCacheReconciler reconciler = new GoProxyCacheReconciler(null, null, Duration.ofMinutes(1), fence);
        GoProxyCache cache = cache("team-a", "builds", spec -> {});
        fence.startedLeading(() -> {});
        now.addAndGet(Duration.ofSeconds(20).toNanos());

        UpdateControl<GoProxyCache> control = reconciler.reconcile(cache, UNTOUCHABLE);

        assertThat(control.isNoUpdate()).isTrue();
        assertThat(fence.raised()).as("for good").isTrue();
    }

    @Test
    void aFailureAfterTheLeaseWasLostIsNeitherReportedNorRetried() {
        LeadershipFence fence = new LeadershipFence();
        GoProxyCacheReconciler reconciler = new GoProxyCacheReconciler(null, null, Duration.ofMinutes(1), fence);
        GoProxyCache cache = cache("team-a", "builds", spec -> {});
        fence.raise();

        ErrorStatusUpdateControl<GoProxyCache> control =
                reconciler.updateErrorStatus(cache, UNTOUCHABLE, new KubernetesClientException("conflict", 409, null));

        assertThat(control.getResource()).as("status written").isEmpty();
        assertThat(control.isNoRetry()).isTrue();
        assertThat(control.getScheduleDelay()).isEmpty();
    }

    @Test
    void whileItLeadsTheReconcilerUsesItsContext() {
        GoProxyCacheReconciler reconciler =
                new GoProxyCacheReconciler(null, null, Duration.ofMinutes(1), new LeadershipFence());
        GoProxyCache cache = cache("team-a", "builds", spec -> {});

        // the context is where a leading replica's reconciliation starts: reaching it is what the fence prevents
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> reconciler.reconcile(cache, UNTOUCHABLE))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("used the context");
    }
}
