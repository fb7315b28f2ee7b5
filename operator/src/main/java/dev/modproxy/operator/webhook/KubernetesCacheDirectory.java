package dev.modproxy.operator.webhook;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Caches and namespaces as informers see them, so a review is answered from memory: the API
 * server is never called while a pod waits.
 */
public final class KubernetesCacheDirectory implements CacheDirectory, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KubernetesCacheDirectory.class);

    /** The userinfo of an entry: after its start (and scheme), before any '/' and the entry's end. */
    private final List<SharedIndexInformer<GoProxyCache>> caches = new ArrayList<>();

    private final SharedIndexInformer<Namespace> namespaces;
    /** Empty: every namespace. */
    private final Set<String> watchedNamespaces;

    /** @param watchedNamespaces the operator's namespaces; empty means all */
    public KubernetesCacheDirectory(KubernetesClient client, List<String> watchedNamespaces) {
        this.watchedNamespaces = Set.copyOf(watchedNamespaces);
        if (watchedNamespaces.isEmpty()) {
            caches.add(client.resources(GoProxyCache.class).inAnyNamespace().runnableInformer(0));
        } else {
            watchedNamespaces.forEach(ns -> caches.add(
                    client.resources(GoProxyCache.class).inNamespace(ns).runnableInformer(0)));
        }
        namespaces = client.namespaces().runnableInformer(0);
    }

    public void start() {
        caches.forEach(informer -> informer.start().whenComplete((done, failure) -> report("GoProxyCache", failure)));
        namespaces.start().whenComplete((done, failure) -> report("Namespace", failure));
    }

    /** True once every informer has listed its objects. */
    public boolean synced() {
        return namespaces.hasSynced() && caches.stream().allMatch(SharedIndexInformer::hasSynced);
    }

    @Override
    public Optional<CacheTarget> find(CacheRef ref) {
        String key = Cache.namespaceKeyFunc(ref.namespace(), ref.name());
        return caches.stream()
                .map(informer -> informer.getStore().getByKey(key))
                .filter(found -> found != null)
                .findFirst()
                .map(KubernetesCacheDirectory::target);
    }

    @Override
    public List<CacheTarget> inNamespace(String namespace) {
        List<CacheTarget> found = new ArrayList<>();
        caches.forEach(informer -> informer.getIndexer()
                .byIndex(Cache.NAMESPACE_INDEX, namespace)
                .forEach(cache -> found.add(target(cache))));
        return found;
    }

    @Override
    public boolean watches(String namespace) {
        return watchedNamespaces.isEmpty() || watchedNamespaces.contains(namespace);
    }

    @Override
    public NamespaceInfo namespace(String name) {
        Namespace namespace = namespaces.getStore().getByKey(name);
        if (namespace == null || namespace.getMetadata() == null) {
            return NamespaceInfo.UNKNOWN;
        }
        return new NamespaceInfo(
                namespace.getMetadata().getLabels(), namespace.getMetadata().getAnnotations());
    }

    static CacheTarget target(GoProxyCache cache) {
        GoProxyCacheSpec spec = cache.getSpec() == null ? new GoProxyCacheSpec() : cache.getSpec();
        boolean ready = cache.getStatus() != null
                && cache.getStatus()
                        .condition(CacheCondition.READY)
                        .map(CacheCondition::isTrue)
                        .orElse(false);
        String url = cache.getStatus() == null ? null : cache.getStatus().getUrl();
        return new CacheTarget(
                new CacheRef(
                        cache.getMetadata().getNamespace(), cache.getMetadata().getName()),
                url,
                spec.fallbackForBuildPods(),
                spec.getPrivate(),
                spec.getNoSumDB(),
                ready,
                InjectionLabels.markedDefault(cache));
    }

    private static void report(String kind, Throwable failure) {
        if (failure != null) {
            LOG.errorf(
                    "cannot watch %s objects; the webhook leaves pods unchanged until it can: %s",
                    kind, failure.getMessage());
        }
    }

    @Override
    public void close() {
        caches.forEach(SharedIndexInformer::close);
        namespaces.close();
    }
}
