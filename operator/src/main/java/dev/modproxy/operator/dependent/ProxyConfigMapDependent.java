package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.settings.ProxySettings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The proxy's settings, read by its pods as environment variables. */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ProxyConfigMapDependent extends CRUDKubernetesDependentResource<ConfigMap, GoProxyCache> {

    public ProxyConfigMapDependent() {
        super(ConfigMap.class);
    }

    @Override
    protected ConfigMap desired(GoProxyCache cache, Context<GoProxyCache> context) {
        return new ConfigMapBuilder()
                .withMetadata(CacheNames.metadata(cache, CacheNames.configMap(cache)))
                .withData(ProxySettings.of(cache.getSpec()).env())
                .build();
    }
}
