package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/** The one place that names the objects made for a cache and labels them. */
public final class CacheNames {

    public static final String NAME_LABEL = "app.kubernetes.io/name";
    public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String PART_OF_LABEL = "app.kubernetes.io/part-of";
    public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
    public static final String APP = "modproxy";
    public static final String MANAGER = "modproxy-operator";
    public static final String COMPONENT = "proxy";
    /** Every informer of owned objects watches only what this operator made. */
    public static final String MANAGED_BY_SELECTOR = MANAGED_BY_LABEL + "=" + MANAGER;

    public static final String CONFIG_HASH_ANNOTATION = "modproxy.dev/config-hash";

    public static final String HTTP_PORT_NAME = "http";
    public static final int SERVICE_PORT = 80;
    /** Admin API, health and metrics: reached by the operator and Prometheus, never given to builds. */
    public static final String MANAGEMENT_PORT_NAME = "management";

    public static final int MANAGEMENT_PORT = 9000;
    /** The component label of the management Service, which the ServiceMonitor selects. */
    public static final String MANAGEMENT_COMPONENT = "proxy-management";

    private CacheNames() {}

    public static String deployment(GoProxyCache cache) {
        return cache.getMetadata().getName();
    }

    public static String service(GoProxyCache cache) {
        return cache.getMetadata().getName();
    }

    public static String managementService(GoProxyCache cache) {
        return cache.getMetadata().getName() + "-management";
    }

    public static String networkPolicy(GoProxyCache cache) {
        return cache.getMetadata().getName();
    }

    public static String configMap(GoProxyCache cache) {
        return cache.getMetadata().getName() + "-config";
    }

    public static String volumeClaim(GoProxyCache cache) {
        return cache.getMetadata().getName() + "-cache";
    }

    public static String disruptionBudget(GoProxyCache cache) {
        return cache.getMetadata().getName();
    }

    public static String serviceMonitor(GoProxyCache cache) {
        return cache.getMetadata().getName();
    }

    /** The in-cluster URL build pods use; port 80 so the URL needs no port. */
    public static String url(GoProxyCache cache) {
        return "http://" + service(cache) + "." + cache.getMetadata().getNamespace() + ".svc";
    }

    /** Where the operator reaches the cache's /admin endpoints: the management Service. */
    public static String adminUrl(GoProxyCache cache) {
        return "http://" + managementService(cache) + "." + cache.getMetadata().getNamespace() + ".svc:"
                + MANAGEMENT_PORT;
    }

    /** Labels of the management Service: those of the cache, with its own component so a ServiceMonitor picks it alone. */
    public static Map<String, String> managementLabels(GoProxyCache cache) {
        Map<String, String> labels = labels(cache);
        labels.put(COMPONENT_LABEL, MANAGEMENT_COMPONENT);
        return labels;
    }

    /**
     * Whether the cache's owner asked to keep its running pods through an operator upgrade (spec.holdRollout,
     * a spec field rather than an annotation so that releasing it is a new generation the operator reacts to).
     */
    public static boolean rolloutHeld(GoProxyCache cache) {
        return cache.getSpec() != null && cache.getSpec().isHoldRollout();
    }

    /** Labels that pick this cache's pods; never changed, since a Deployment selector is immutable. */
    public static Map<String, String> selector(GoProxyCache cache) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME_LABEL, APP);
        labels.put(INSTANCE_LABEL, cache.getMetadata().getName());
        labels.put(COMPONENT_LABEL, COMPONENT);
        return labels;
    }

    public static Map<String, String> labels(GoProxyCache cache) {
        Map<String, String> labels = selector(cache);
        labels.put(MANAGED_BY_LABEL, MANAGER);
        labels.put(PART_OF_LABEL, APP);
        return labels;
    }

    /** Metadata of an owned object: name, the cache's namespace and the standard labels. */
    public static ObjectMeta metadata(GoProxyCache cache, String name) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(cache.getMetadata().getNamespace())
                .withLabels(labels(cache))
                .build();
    }
}
