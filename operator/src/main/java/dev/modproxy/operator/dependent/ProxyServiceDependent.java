package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.ServiceSettings;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.LinkedHashMap;

/** The stable in-cluster address build pods use: http://name.namespace.svc. */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ProxyServiceDependent extends CacheServiceDependent {

    @Override
    protected Service desired(GoProxyCache cache, Context<GoProxyCache> context) {
        ServiceSettings settings = cache.getSpec().getService() == null
                ? new ServiceSettings()
                : cache.getSpec().getService();
        ObjectMeta metadata = CacheNames.metadata(cache, CacheNames.service(cache));
        if (settings.getAnnotations() != null && !settings.getAnnotations().isEmpty()) {
            metadata.setAnnotations(new LinkedHashMap<>(settings.getAnnotations()));
        }
        String type = settings.getType() == null || settings.getType().isBlank()
                ? ServiceSettings.DEFAULT_TYPE
                : settings.getType();
        return new ServiceBuilder()
                .withMetadata(metadata)
                .withNewSpec()
                .withType(type)
                .withSelector(CacheNames.selector(cache))
                .addNewPort()
                .withName(CacheNames.HTTP_PORT_NAME)
                .withProtocol("TCP")
                .withPort(CacheNames.SERVICE_PORT)
                .withTargetPort(new IntOrString(CacheNames.HTTP_PORT_NAME))
                .endPort()
                .endSpec()
                .build();
    }
}
