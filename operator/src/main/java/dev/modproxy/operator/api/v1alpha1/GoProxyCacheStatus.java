package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What the operator last observed about a cache. Recomputed on every reconciliation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("What the operator last observed about the cache, recomputed on every reconciliation: "
        + "conditions, the URL build pods use, replicas, volume and the proxy's own cache figures.")
public class GoProxyCacheStatus {

    @JsonPropertyDescription("The metadata.generation of the spec this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Ready (the cache serves), Progressing (a rollout is under way) and Degraded "
            + "(something needs attention; the message says how to fix it).")
    private List<CacheCondition> conditions = new ArrayList<>();

    @JsonPropertyDescription("In-cluster URL of the cache; build pods use it as the first GOPROXY entry.")
    private String url;

    @JsonPropertyDescription("Proxy pods the Deployment has, ready or not (its status.replicas); the scale "
            + "subresource's status.replicas.")
    @StatusReplicas
    private Integer replicas;

    @JsonPropertyDescription("Proxy pods that pass their readiness probe.")
    private Integer readyReplicas;

    @JsonPropertyDescription("Label selector of the proxy pods, as the Deployment selects them, in the "
            + "query-param syntax (name=value,...); the scale subresource's status.selector, which a "
            + "HorizontalPodAutoscaler reads to find the pods it measures.")
    @LabelSelector
    private String selector;

    @JsonPropertyDescription("Capacity of the cache volume as reported by the cluster, e.g. 10Gi.")
    private String storageCapacity;

    @JsonPropertyDescription("Size used, entries, hit ratio, evictions and last warm-up, read from the proxy's "
            + "/admin/stats while the cache is Ready. Kept as last read when the proxy cannot be reached.")
    private CacheFigures cache;

    @JsonPropertyDescription("Progress and failures of the warm-up asked for in spec.warmup.")
    private WarmupStatus warmup;

    public CacheFigures getCache() {
        return cache;
    }

    public void setCache(CacheFigures cache) {
        this.cache = cache;
    }

    public WarmupStatus getWarmup() {
        return warmup;
    }

    public void setWarmup(WarmupStatus warmup) {
        this.warmup = warmup;
    }

    public Optional<CacheCondition> condition(String type) {
        return conditions == null
                ? Optional.empty()
                : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<CacheCondition> getConditions() {
        return conditions;
    }

    public void setConditions(List<CacheCondition> conditions) {
        this.conditions = conditions;
    }

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public String getSelector() {
        return selector;
    }

    public void setSelector(String selector) {
        this.selector = selector;
    }

    public Integer getReadyReplicas() {
        return readyReplicas;
    }

    public void setReadyReplicas(Integer readyReplicas) {
        this.readyReplicas = readyReplicas;
    }

    public String getStorageCapacity() {
        return storageCapacity;
    }

    public void setStorageCapacity(String storageCapacity) {
        this.storageCapacity = storageCapacity;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GoProxyCacheStatus s
                && Objects.equals(observedGeneration, s.observedGeneration)
                && Objects.equals(conditions, s.conditions)
                && Objects.equals(url, s.url)
                && Objects.equals(replicas, s.replicas)
                && Objects.equals(readyReplicas, s.readyReplicas)
                && Objects.equals(selector, s.selector)
                && Objects.equals(storageCapacity, s.storageCapacity)
                && Objects.equals(cache, s.cache)
                && Objects.equals(warmup, s.warmup);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                observedGeneration, conditions, url, replicas, readyReplicas, selector, storageCapacity, cache, warmup);
    }
}
