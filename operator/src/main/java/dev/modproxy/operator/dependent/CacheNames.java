package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.KubernetesSyntax;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;

/** The one place that names the objects made for a cache and labels them. */
public final class CacheNames {

    public static final String NAME_LABEL = "app.kubernetes.io/name";
    public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String PART_OF_LABEL = "app.kubernetes.io/part-of";
    public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
    public static final String VERSION_LABEL = "app.kubernetes.io/version";
    /** The operator's release: the build's, as Quarkus records it (the Maven project's version). */
    static final String VERSION_CONFIG_KEY = "quarkus.application.version";

    public static final String APP = "modproxy";
    public static final String MANAGER = "modproxy-operator";
    public static final String COMPONENT = "proxy";
    /** Every informer of owned objects watches only what this operator made. */
    public static final String MANAGED_BY_SELECTOR = MANAGED_BY_LABEL + "=" + MANAGER;

    public static final String CONFIG_HASH_ANNOTATION = "modproxy.dev/config-hash";

    /**
     * On the proxy pod template, so on every pod made from it: a hash of the whole template the operator renders
     * (image, environment, volumes, resources, probes, labels, annotations), which tells the current template's pods
     * from a rollout's old ones by the pod alone (PodTrouble). The config hash changes only with the proxy's settings.
     */
    public static final String TEMPLATE_HASH_ANNOTATION = "modproxy.dev/template-hash";

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
        return withOperatorVersion(labels);
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

    /** The standard labels of the cache, as its pods carry them too. */
    public static Map<String, String> labels(GoProxyCache cache) {
        Map<String, String> labels = selector(cache);
        labels.put(MANAGED_BY_LABEL, MANAGER);
        labels.put(PART_OF_LABEL, APP);
        return labels;
    }

    /**
     * Metadata of an owned object: name, the cache's namespace, the standard labels and the version of the operator
     * that wrote it.
     */
    public static ObjectMeta metadata(GoProxyCache cache, String name) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(cache.getMetadata().getNamespace())
                .withLabels(withOperatorVersion(labels(cache)))
                .build();
    }

    /**
     * {@code labels} and the operator's version, for an owned object's own metadata only. It changes with every
     * operator upgrade, so it is in no selector (a Deployment's cannot change, and a Service's would lose the pods)
     * and not in the pod template: there it would roll the pods of every cache at each upgrade, those pinned to an
     * image by spec.image included.
     */
    private static Map<String, String> withOperatorVersion(Map<String, String> labels) {
        operatorVersion().ifPresent(version -> labels.put(VERSION_LABEL, version));
        return labels;
    }

    /** The operator's release as a label value; empty where there is none to read (a unit test's classes). */
    static Optional<String> operatorVersion() {
        Optional<String> configured;
        try {
            configured = ConfigProvider.getConfig().getOptionalValue(VERSION_CONFIG_KEY, String.class);
        } catch (IllegalStateException noConfig) {
            configured = Optional.empty();
        }
        return configured
                .or(() -> Optional.ofNullable(CacheNames.class.getPackage().getImplementationVersion()))
                .flatMap(CacheNames::asLabelValue);
    }

    /**
     * A version as a label value: semver's build metadata (1.2.3+build.5) has a '+', which no label value may
     * have, written '_' as Helm charts do; a version that is still no label value (over 63 characters) is left out,
     * and so is an empty one, a label value that names no version.
     */
    static Optional<String> asLabelValue(String version) {
        String value = version.replace('+', '_');
        return !value.isEmpty() && KubernetesSyntax.isLabelValue(value) ? Optional.of(value) : Optional.empty();
    }
}
