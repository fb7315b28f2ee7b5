package dev.modproxy.operator;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.function.Consumer;

/** GoProxyCache objects as the API server would hand them to the operator. */
public final class CacheFixtures {

    private CacheFixtures() {}

    public static GoProxyCache cache(String namespace, String name, Consumer<GoProxyCacheSpec> customize) {
        GoProxyCache cache = new GoProxyCache();
        cache.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(namespace)
                .withUid("uid-" + name)
                .withGeneration(1L)
                .build());
        customize.accept(cache.getSpec());
        return cache;
    }

    public static GoProxyCache cache(Consumer<GoProxyCacheSpec> customize) {
        return cache("builds", "gpc", customize);
    }
}
