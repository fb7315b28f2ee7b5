package dev.modproxy.e2e;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** GoProxyCache resources as a platform team writes them: plain YAML-shaped maps, no operator classes. */
public final class Caches {

    public static final ResourceDefinitionContext GOPROXYCACHE = new ResourceDefinitionContext.Builder()
            .withGroup("modproxy.dev")
            .withVersion("v1alpha1")
            .withKind("GoProxyCache")
            .withPlural("goproxycaches")
            .withNamespaced(true)
            .build();

    private Caches() {}

    public static GenericKubernetesResource cache(String namespace, String name, Map<String, Object> spec) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion("modproxy.dev/v1alpha1")
                .withKind("GoProxyCache")
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .endMetadata()
                .addToAdditionalProperties("spec", spec)
                .build();
    }

    /** The smallest cache: defaults everywhere but a small volume. */
    public static Map<String, Object> smallSpec() {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("upstream", "https://proxy.golang.org");
        spec.put("storage", new LinkedHashMap<>(Map.of("size", "1Gi")));
        return spec;
    }

    public static GenericKubernetesResource get(KubernetesClient client, String namespace, String name) {
        return client.genericKubernetesResources(GOPROXYCACHE)
                .inNamespace(namespace)
                .withName(name)
                .get();
    }

    /** The condition of {@code type} in the cache's status, if the operator wrote one. */
    @SuppressWarnings("unchecked")
    public static Optional<Map<String, Object>> condition(GenericKubernetesResource cache, String type) {
        if (cache == null || !(cache.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
            return Optional.empty();
        }
        Object conditions = status.get("conditions");
        if (!(conditions instanceof List<?> list)) {
            return Optional.empty();
        }
        return list.stream()
                .map(c -> (Map<String, Object>) c)
                .filter(c -> type.equals(c.get("type")))
                .findFirst();
    }

    public static boolean conditionIs(GenericKubernetesResource cache, String type, String value) {
        return condition(cache, type).map(c -> value.equals(c.get("status"))).orElse(false);
    }

    @SuppressWarnings("unchecked")
    public static Object status(GenericKubernetesResource cache, String field) {
        if (cache == null || !(cache.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
            return null;
        }
        return ((Map<String, Object>) status).get(field);
    }
}
