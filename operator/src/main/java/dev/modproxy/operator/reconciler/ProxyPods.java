package dev.modproxy.operator.reconciler;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.dependent.CacheNames;
import dev.modproxy.operator.status.PodTrouble;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The caches' proxy pods, watched so that what the kubelet writes into their status (a missing Secret, an image that
 * cannot be pulled, a crashing proxy) reaches the cache's status within one reconciliation rather than when the
 * Deployment passes its progress deadline. Only the pods the operator's Deployments make (their labels), never every
 * pod of the cluster; the pods are owned by ReplicaSets, so a pod is mapped to its cache by its instance label. The
 * operator only reads them: get, list and watch on pods.
 */
final class ProxyPods {

    /** The event source's name, to find it in a reconciliation's context. */
    static final String NAME = "proxy-pods";

    /** The labels every proxy pod carries (CacheNames.labels), whatever spec.podLabels adds. */
    static final String SELECTOR = CacheNames.MANAGED_BY_SELECTOR + "," + CacheNames.COMPONENT_LABEL + "="
            + CacheNames.COMPONENT + "," + CacheNames.NAME_LABEL + "=" + CacheNames.APP;

    private ProxyPods() {}

    static InformerEventSource<Pod, GoProxyCache> eventSource(EventSourceContext<GoProxyCache> context) {
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Pod.class, GoProxyCache.class)
                        .withName(NAME)
                        .withNamespacesInheritedFromController()
                        .withLabelSelector(SELECTOR)
                        // what the kubelet and the scheduler write, and a deletion begun; not a label or annotation
                        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getStatus(), before.getStatus())
                                || !Objects.equals(
                                        now.getMetadata().getDeletionTimestamp(),
                                        before.getMetadata().getDeletionTimestamp()))
                        .withSecondaryToPrimaryMapper(ProxyPods::cacheOf)
                        .build(),
                context);
    }

    /** The cache whose Deployment made the pod: its instance label, in the pod's namespace. */
    static Set<ResourceID> cacheOf(Pod pod) {
        return PodTrouble.cacheOf(pod)
                .map(name -> Set.of(new ResourceID(name, pod.getMetadata().getNamespace())))
                .orElse(Set.of());
    }

    /** The cache's proxy pods, of every ReplicaSet, from this event source's informer. */
    static List<Pod> of(GoProxyCache cache, Context<GoProxyCache> context) {
        InformerEventSource<Pod, GoProxyCache> pods = (InformerEventSource<Pod, GoProxyCache>)
                context.eventSourceRetriever().getEventSourceFor(Pod.class, NAME);
        String name = cache.getMetadata().getName();
        return pods.list(
                        cache.getMetadata().getNamespace(),
                        pod -> PodTrouble.cacheOf(pod).filter(name::equals).isPresent())
                .toList();
    }
}
