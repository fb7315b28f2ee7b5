package dev.modproxy.operator.reconciler;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.webhook.InjectionLabels;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The caches annotated modproxy.dev/default=true, by namespace. Where several are, the webhook has no default cache
 * for that namespace, and each of them says so in its status; so a cache that gains or loses the annotation, or
 * comes or goes with it, reconciles every cache of its namespace. The controller's own informer would not: it wakes
 * only the cache that changed, and not for an annotation at all (no new generation).
 */
final class NamespaceDefaults {

    /** The event source's name, to find it in a reconciliation's context. */
    static final String NAME = "namespace-defaults";

    private NamespaceDefaults() {}

    static InformerEventSource<GoProxyCache, GoProxyCache> eventSource(EventSourceContext<GoProxyCache> context) {
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(GoProxyCache.class, GoProxyCache.class)
                        .withName(NAME)
                        .withNamespacesInheritedFromController()
                        // the status writes of every cache come through here too: only the annotation matters
                        .withOnAddFilter(InjectionLabels::markedDefault)
                        .withOnUpdateFilter((now, before) ->
                                InjectionLabels.markedDefault(now) != InjectionLabels.markedDefault(before))
                        .withOnDeleteFilter((gone, stateUnknown) -> InjectionLabels.markedDefault(gone))
                        .withSecondaryToPrimaryMapper(changed -> namespaceOf(changed, context))
                        .build(),
                context);
    }

    /**
     * Every cache of the changed one's namespace, and the changed one itself: the controller's informer may not hold
     * it yet, nor its change, which no event of that informer would bring.
     */
    private static Set<ResourceID> namespaceOf(GoProxyCache changed, EventSourceContext<GoProxyCache> context) {
        Set<ResourceID> caches = new HashSet<>();
        caches.add(ResourceID.fromResource(changed));
        context.getPrimaryCache()
                .list(changed.getMetadata().getNamespace())
                .forEach(cache -> caches.add(ResourceID.fromResource(cache)));
        return caches;
    }

    /**
     * The other caches of the cache's namespace annotated default, by name, when it is annotated itself; else none.
     * Read from this event source's informer, the one whose events bring the reconciliation: the controller's own
     * informer may lag behind it, and a change read there too late would bring no second event.
     */
    static List<String> othersMarkedDefault(GoProxyCache cache, Context<GoProxyCache> context) {
        InformerEventSource<GoProxyCache, GoProxyCache> defaults = (InformerEventSource<GoProxyCache, GoProxyCache>)
                context.eventSourceRetriever().getEventSourceFor(GoProxyCache.class, NAME);
        List<String> marked = defaults.list(cache.getMetadata().getNamespace(), InjectionLabels::markedDefault)
                .map(c -> c.getMetadata().getName())
                .sorted()
                .toList();
        String name = cache.getMetadata().getName();
        return marked.contains(name)
                ? marked.stream().filter(other -> !other.equals(name)).toList()
                : List.of();
    }
}
