package dev.modproxy.operator.webhook;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** The labels and annotations through which users steer injection, and the one the webhook writes. */
public final class InjectionLabels {

    /** Pod label: "true" (the namespace's default cache), a cache name, or "false" (opt out). */
    public static final String INJECT = "modproxy.dev/inject";
    /** Namespace label value of {@link #INJECT} that opts every pod of the namespace in. */
    public static final String NAMESPACE_ENABLED = "enabled";
    /** Pod or Namespace annotation naming the cache ("name" or "namespace/name"); label values cannot hold "/". */
    public static final String CACHE = "modproxy.dev/cache";
    /** GoProxyCache annotation "true": the default cache of its namespace when it holds several. */
    public static final String DEFAULT_CACHE = "modproxy.dev/default";
    /**
     * Pod annotation the webhook writes: which cache and what it did. The webhook's own record, so a value the pod
     * carries already is replaced.
     */
    public static final String INJECTED = "modproxy.dev/injected";

    private InjectionLabels() {}

    /** Whether a GoProxyCache is annotated {@link #DEFAULT_CACHE} "true": the value exactly, as users are told. */
    public static boolean markedDefault(HasMetadata cache) {
        return cache.getMetadata().getAnnotations() != null
                && "true".equals(cache.getMetadata().getAnnotations().get(DEFAULT_CACHE));
    }
}
