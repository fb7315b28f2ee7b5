package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.settings.ProxySettings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;
import java.util.Optional;

/** The proxy's settings, read by its pods as environment variables. */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ProxyConfigMapDependent extends CacheOwnedDependent<ConfigMap> {

    public ProxyConfigMapDependent() {
        super(ConfigMap.class);
    }

    @Override
    protected ConfigMap desired(GoProxyCache cache, Context<GoProxyCache> context) {
        return desiredConfigMap(cache, getSecondaryResource(cache, context));
    }

    /** By name: the default would compute desired(), which itself reads the current ConfigMap. */
    @Override
    protected ResourceID targetSecondaryResourceID(GoProxyCache cache, Context<GoProxyCache> context) {
        return new ResourceID(CacheNames.configMap(cache), cache.getMetadata().getNamespace());
    }

    /** A held roll-out keeps the settings the running pods read, so a restarted pod matches its siblings. */
    static ConfigMap desiredConfigMap(GoProxyCache cache, Optional<ConfigMap> current) {
        Map<String, String> data = CacheNames.rolloutHeld(cache)
                        && current.isPresent()
                        && current.get().getData() != null
                ? current.get().getData()
                : ProxySettings.of(cache.getSpec()).env();
        return new ConfigMapBuilder()
                .withMetadata(CacheNames.metadata(cache, CacheNames.configMap(cache)))
                .withData(data)
                .build();
    }
}
