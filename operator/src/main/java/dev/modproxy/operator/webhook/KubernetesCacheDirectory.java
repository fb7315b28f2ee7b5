package dev.modproxy.operator.webhook;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesResourceUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
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
     * How long a live answer is given again instead of being read again, while the informers agree with it. A
     * namespace that is simply misconfigured (labelled, no cache ever) sends every pod here: this makes it one read of
     * each kind per namespace every 2 s, whatever the pod rate. An answer the informers do not share is read again at
     * once: it is either news they lag behind on, or stale (a label removed, a cache deleted since).
     */
    static final Duration LIVE_ANSWERS_KEPT = Duration.ofSeconds(2);
    /** Live answers held at once, of each kind. */
    static final int LIVE_ANSWERS_HELD = 4096;
    /*
     * Requests sent to the API server per LIVE_ANSWERS_KEPT, all kinds together. A review posted straight to the
     * webhook's Service (any pod can) names the namespace it likes, each new one a read no kept answer saves: without
     * this, 4 looks in flight were as many reads per second as the API server answered, spent from the operator's own
     * share of it (API Priority and Fairness). 60 namespaces labelled at once with a pod each take 120 reads.
     */
    static final int LIVE_READS_PER_WINDOW = 200;
    /*
     * One read's timeout, and no retry: the route gives up on a look after MutatePodsRoute.LOOK_TIMEOUT, but a read
     * outliving it kept its slot of the looks in flight for the client's own timeout (10 s) and its retries.
     */
    static final Duration LIVE_READ_TIMEOUT = MutatePodsRoute.LOOK_TIMEOUT;

    /** Thrown instead of a read once {@link #LIVE_READS_PER_WINDOW} were sent in the current window. */
    static final class ReadsSpent extends RuntimeException {
        ReadsSpent() {
            super(
                    LIVE_READS_PER_WINDOW + " reads of the API server in " + LIVE_ANSWERS_KEPT.toSeconds() + " s",
                    null,
                    false,
                    false);
        }
    }

    /** One informer for every namespace, or one per watched namespace. */
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
        if (watchedNamespaces.isEmpty()) {
            caches.add(client.resources(GoProxyCache.class).inAnyNamespace().runnableInformer(0));
        } else {
            watchedNamespaces.forEach(ns -> caches.add(
                    client.resources(GoProxyCache.class).inNamespace(ns).runnableInformer(0)));
        }
        namespaces = client.namespaces().runnableInformer(0);
        this.live = new LiveView(client, this, onLiveRead, nanoTime);
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
     * The same questions answered by the API server ({@link LiveView}). Blocking: call it on a worker thread, never on
     * the event loop. A failed read throws.
     */
    public CacheDirectory live() {
        return live;
    }

    /**
     * The questions of {@link CacheDirectory} answered by the API server (a GET or a LIST each), for a review the
     * informers left unchanged for a reason they may lag behind on. Blocking: called on a worker thread, never on the
     * event loop. A failed read throws. An answer is kept {@link #LIVE_ANSWERS_KEPT} while the informers say the same
     * ({@link RecentReads}), so a kept answer is never older news than the informers have; a name no object can have
     * is not read.
     */
    static final class LiveView implements CacheDirectory {

        private final KubernetesClient client;
        private final CacheDirectory informers;
        private final Runnable onRead;
        private final LongSupplier nanoTime;
        private final int readsPerWindow;
        private final RecentReads<CacheRef, Optional<CacheTarget>> found;
        private final RecentReads<String, List<CacheTarget>> listed;
        private final RecentReads<String, NamespaceInfo> namespaceInfo;
        private long windowStart;
        private int readsInWindow;

        /**
         * @param informers what a kept answer must still agree with to be given again
         * @param onRead called before each request sent to the API server
         * @param nanoTime the clock of the answers kept and of the reads per window
         */
        LiveView(KubernetesClient client, CacheDirectory informers, Runnable onRead, LongSupplier nanoTime) {
            this(client, informers, onRead, nanoTime, LIVE_READS_PER_WINDOW, LIVE_READ_TIMEOUT);
        }

        LiveView(
                KubernetesClient client,
                CacheDirectory informers,
                Runnable onRead,
                LongSupplier nanoTime,
                int readsPerWindow,
                Duration readTimeout) {
            // the same HTTP client (and connections), with a request timeout of its own
            this.client = client.newClient(new RequestConfigBuilder()
                            .withRequestTimeout((int) readTimeout.toMillis())
                            .withRequestRetryBackoffLimit(0)
                            .build())
                    .adapt(KubernetesClient.class);
            this.informers = informers;
            this.onRead = onRead;
            this.nanoTime = nanoTime;
            this.readsPerWindow = readsPerWindow;
            this.windowStart = nanoTime.getAsLong();
            found = new RecentReads<>(LIVE_ANSWERS_KEPT, LIVE_ANSWERS_HELD, nanoTime);
            listed = new RecentReads<>(LIVE_ANSWERS_KEPT, LIVE_ANSWERS_HELD, nanoTime);
            namespaceInfo = new RecentReads<>(LIVE_ANSWERS_KEPT, LIVE_ANSWERS_HELD, nanoTime);
        }

        @Override
        public Optional<CacheTarget> find(CacheRef ref) {
            if (!KubernetesResourceUtil.isValidName(ref.namespace())
                    || !KubernetesResourceUtil.isValidSubdomainName(ref.name())) {
                // no such object can exist: nothing to read, nor to keep
                return Optional.empty();
            }
            return found.get(ref, informers.find(ref), () -> {
                spend();
                return Optional.ofNullable(client.resources(GoProxyCache.class)
                                .inNamespace(ref.namespace())
                                .withName(ref.name())
                                .get())
                        .map(KubernetesCacheDirectory::target);
            });
        }

        @Override
        public List<CacheTarget> inNamespace(String namespace) {
            if (!KubernetesResourceUtil.isValidName(namespace)) {
                return List.of();
            }
            return listed.get(namespace, byName(informers.inNamespace(namespace)), () -> {
                spend();
                return byName(client.resources(GoProxyCache.class).inNamespace(namespace).list().getItems().stream()
                        .map(KubernetesCacheDirectory::target)
                        .toList());
            });
        }

        @Override
        public boolean watches(String namespace) {
            return informers.watches(namespace);
        }

        @Override
        public NamespaceInfo namespace(String name) {
            if (!KubernetesResourceUtil.isValidName(name)) {
                return NamespaceInfo.UNKNOWN;
            }
            return namespaceInfo.get(name, informers.namespace(name), () -> {
                spend();
                return KubernetesCacheDirectory.info(
                        client.namespaces().withName(name).get());
            });
        }

        /** The informers list in their index's order, the API server by name: the same caches compare equal. */
        private static List<CacheTarget> byName(List<CacheTarget> caches) {
            return caches.stream()
                    .sorted(Comparator.comparing(cache -> cache.ref().name()))
                    .toList();
        }

        /** Counts a read about to be sent, or throws {@link ReadsSpent}. */
        private void spend() {
            synchronized (this) {
                long now = nanoTime.getAsLong();
                if (now - windowStart >= LIVE_ANSWERS_KEPT.toNanos()) {
                    windowStart = now;
                    readsInWindow = 0;
                }
                if (readsInWindow >= readsPerWindow) {
                    throw new ReadsSpent();
                }
                readsInWindow++;
            }
            onRead.run();
        }
    }

    static NamespaceInfo info(Namespace namespace) {
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
