package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.Metrics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** When the optional dependents exist. */
public final class Conditions {

    private Conditions() {
    }

    /** A PodDisruptionBudget that keeps the only pod would block every node drain. */
    public static class SeveralReplicas implements Condition<HasMetadata, GoProxyCache> {
        @Override
        public boolean isMet(DependentResource<HasMetadata, GoProxyCache> dependent, GoProxyCache cache,
                Context<GoProxyCache> context) {
            return cache.getSpec().getReplicas() > 1;
        }
    }

    public static class ServiceMonitorWanted implements Condition<HasMetadata, GoProxyCache> {
        @Override
        public boolean isMet(DependentResource<HasMetadata, GoProxyCache> dependent, GoProxyCache cache,
                Context<GoProxyCache> context) {
            Metrics metrics = cache.getSpec().getMetrics();
            return metrics != null && metrics.getServiceMonitor() != null && metrics.getServiceMonitor().isEnabled();
        }
    }
}
