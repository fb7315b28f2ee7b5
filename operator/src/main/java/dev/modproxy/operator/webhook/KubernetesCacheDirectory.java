package dev.modproxy.operator.webhook;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Caches and namespaces as informers see them, so a review is answered from memory: the API server is not called
 * while a pod waits, but for a pod the informers leave unchanged for a reason they may not have caught up with, which
 * {@link #live()} asks the API server itself.
 */
public final class KubernetesCacheDirectory implements CacheDirectory, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KubernetesCacheDirectory.class);

    /*
     * How long a live answer is given again instead of being read again. A namespace that is simply misconfigured
     * (labelled, no cache ever) sends every pod to live(): this makes it one read of each kind per namespace every
     * 2 s, whatever the pod rate. What it costs: a cache created within 2 s of a read that found none, with a pod right
     * behind it and before the informer has it, is missed as it was without live(); a change made 2 s after the last
     * read is seen. (Looking again only while the informer's copy is young would not do: a label added to a namespace
     * of last year is what the informer lags behind.)
     */
    static final Duration LIVE_ANSWERS_KEPT = Duration.ofSeconds(2);
    /** Live answers held at once, of each kind. */
    static final int LIVE_ANSWERS_HELD = 4096;

    /** The userinfo of an entry: after its start (and scheme), before any '/' and the entry's end. */
    private final List<SharedIndexInformer<GoProxyCache>> caches = new ArrayList<>();

    private final SharedIndexInformer<Namespace> namespaces;
    /** Empty: every namespace. */
    private final Set<String> watchedNamespaces;

    private final CacheDirectory live;

    /** @param watchedNamespaces the operator's namespaces; empty means all */
    public KubernetesCacheDirectory(KubernetesClient client, List<String> watchedNamespaces) {
        this(client, watchedNamespaces, () -> {}, System::nanoTime);
    }

    /**
     * @param onLiveRead called before each request {@link #live()} sends to the API server
     * @param nanoTime the clock of the live answers kept
     */
    KubernetesCacheDirectory(
            KubernetesClient client, List<String> watchedNamespaces, Runnable onLiveRead, LongSupplier nanoTime) {
        this.watchedNamespaces = Set.copyOf(watchedNamespaces);
        this.live = new LiveView(client, onLiveRead, nanoTime);
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
        return info(namespaces.getStore().getByKey(name));
    }

    /**
     * The same questions answered by the API server (a GET or LIST each, answers kept {@link #LIVE_ANSWERS_KEPT}).
     * Blocking: call it on a worker thread, never on the event loop. A failed read throws.
     */
    public CacheDirectory live() {
        return live;
    }

    private final class LiveView implements CacheDirectory {

        private final KubernetesClient client;
        private final Runnable onRead;
        private final RecentReads<CacheRef, Optional<CacheTarget>> found;
        private final RecentReads<String, List<CacheTarget>> listed;
        private final RecentReads<String, NamespaceInfo> namespaceInfo;

        LiveView(KubernetesClient client, Runnable onRead, LongSupplier nanoTime) {
            this.client = client;
            this.onRead = onRead;
            found = new RecentReads<>(LIVE_ANSWERS_KEPT, LIVE_ANSWERS_HELD, nanoTime);
            listed = new RecentReads<>(LIVE_ANSWERS_KEPT, LIVE_ANSWERS_HELD, nanoTime);
            namespaceInfo = new RecentReads<>(LIVE_ANSWERS_KEPT, LIVE_ANSWERS_HELD, nanoTime);
        }

        @Override
        public Optional<CacheTarget> find(CacheRef ref) {
            return found.get(ref, () -> {
                onRead.run();
                return Optional.ofNullable(client.resources(GoProxyCache.class)
                                .inNamespace(ref.namespace())
                                .withName(ref.name())
                                .get())
                        .map(KubernetesCacheDirectory::target);
            });
        }

        @Override
        public List<CacheTarget> inNamespace(String namespace) {
            return listed.get(namespace, () -> {
                onRead.run();
                return client.resources(GoProxyCache.class).inNamespace(namespace).list().getItems().stream()
                        .map(KubernetesCacheDirectory::target)
                        .toList();
            });
        }

        @Override
        public boolean watches(String namespace) {
            return KubernetesCacheDirectory.this.watches(namespace);
        }

        @Override
        public NamespaceInfo namespace(String name) {
            return namespaceInfo.get(name, () -> {
                onRead.run();
                return info(client.namespaces().withName(name).get());
            });
        }
    }

    private static NamespaceInfo info(Namespace namespace) {
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
