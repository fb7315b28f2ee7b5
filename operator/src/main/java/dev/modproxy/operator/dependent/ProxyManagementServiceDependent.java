package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The proxy's management port (admin API, health, metrics) for the operator and Prometheus. A Service
 * of its own, so the one whose URL build pods are given never exposes it.
 */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ProxyManagementServiceDependent extends CacheServiceDependent {

    @Override
    protected Service desired(GoProxyCache cache, Context<GoProxyCache> context) {
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(CacheNames.managementService(cache))
                .withNamespace(cache.getMetadata().getNamespace())
                .withLabels(CacheNames.managementLabels(cache))
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withSelector(CacheNames.selector(cache))
                .addNewPort()
                .withName(CacheNames.MANAGEMENT_PORT_NAME)
                .withProtocol("TCP")
                .withPort(CacheNames.MANAGEMENT_PORT)
                .withTargetPort(new IntOrString(CacheNames.MANAGEMENT_PORT_NAME))
                .endPort()
                .endSpec()
                .build();
    }
}
