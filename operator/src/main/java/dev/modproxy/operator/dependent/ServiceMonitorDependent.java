package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.ServiceMonitorSettings;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitorBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Tells a prometheus-operator Prometheus to scrape the proxy's /q/metrics on the management port. */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ServiceMonitorDependent extends CacheOwnedDependent<ServiceMonitor> {

    public ServiceMonitorDependent() {
        super(ServiceMonitor.class);
    }

    @Override
    protected ServiceMonitor desired(GoProxyCache cache, Context<GoProxyCache> context) {
        ServiceMonitorSettings settings = cache.getSpec().getMetrics().getServiceMonitor();
        ObjectMeta metadata = CacheNames.metadata(cache, CacheNames.serviceMonitor(cache));
        if (settings.getLabels() != null) {
            settings.getLabels().forEach(metadata.getLabels()::putIfAbsent);
        }
        return new ServiceMonitorBuilder()
                .withMetadata(metadata)
                .withNewSpec()
                .withNewSelector()
                .withMatchLabels(managementSelector(cache))
                .endSelector()
                .addNewEndpoint()
                .withPort(CacheNames.MANAGEMENT_PORT_NAME)
                .withPath("/q/metrics")
                .withInterval(settings.getInterval())
                .endEndpoint()
                .endSpec()
                .build();
    }

    /** The management Service alone: metrics are not on the Service build pods use. */
    private static java.util.Map<String, String> managementSelector(GoProxyCache cache) {
        java.util.Map<String, String> selector = CacheNames.selector(cache);
        selector.put(CacheNames.COMPONENT_LABEL, CacheNames.MANAGEMENT_COMPONENT);
        return selector;
    }
}
