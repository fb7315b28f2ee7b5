package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.Metrics;
import dev.modproxy.operator.api.v1alpha1.NetworkPolicySettings;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import org.eclipse.microprofile.config.ConfigProvider;

/** When the optional dependents exist. */
public final class Conditions {

    private Conditions() {}

    /** A PodDisruptionBudget that keeps the only pod would block every node drain. */
    public static class SeveralReplicas implements Condition<HasMetadata, GoProxyCache> {
        @Override
        public boolean isMet(
                DependentResource<HasMetadata, GoProxyCache> dependent,
                GoProxyCache cache,
                Context<GoProxyCache> context) {
            return cache.getSpec().getReplicas() > 1;
        }
    }

    /** On when the spec says so, else when the operator's default (chart value) says so. */
    public static class NetworkPolicyWanted implements Condition<HasMetadata, GoProxyCache> {
        @Override
        public boolean isMet(
                DependentResource<HasMetadata, GoProxyCache> dependent,
                GoProxyCache cache,
                Context<GoProxyCache> context) {
            return isWanted(
                    cache,
                    ConfigProvider.getConfig()
                            .getOptionalValue("modproxy.operator.network-policy.enabled", Boolean.class)
                            .orElse(false));
        }

        public static boolean isWanted(GoProxyCache cache, boolean operatorDefault) {
            NetworkPolicySettings settings = cache.getSpec().getNetworkPolicy();
            return settings == null || settings.getEnabled() == null ? operatorDefault : settings.getEnabled();
        }
    }

    public static class ServiceMonitorWanted implements Condition<HasMetadata, GoProxyCache> {
        @Override
        public boolean isMet(
                DependentResource<HasMetadata, GoProxyCache> dependent,
                GoProxyCache cache,
                Context<GoProxyCache> context) {
            return serviceMonitorWanted(cache);
        }
    }

    public static boolean serviceMonitorWanted(GoProxyCache cache) {
        Metrics metrics = cache.getSpec().getMetrics();
        return metrics != null
                && metrics.getServiceMonitor() != null
                && metrics.getServiceMonitor().isEnabled();
    }
}
