package dev.modproxy.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.resilience.CircuitState;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.storage.WarningPace;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Answers GOPROXY requests from storage, fetching from the upstream chain on a miss. Immutable
 * artifacts are kept forever once verified; mutable answers are fresh for a TTL, then served stale
 * while a background refresh runs; 404/410 answers, an upstream's 403, and the refusal of an answer's content are
 * remembered briefly.
 * One upstream fetch per key runs at a time: later requests for the same key wait for it instead of
 * fetching again.
 */
public final class ModuleCache {

    private static final Logger LOG = Logger.getLogger(ModuleCache.class);

    /**
     * What the negative answers kept (absent ones and refusals) may take, keys and reasons counted by their
     * characters: entries are about 0.1 to 2 KB, and a count alone let clients asking for long paths that do not
     * exist fill the heap.
     */
    static final long ABSENT_BYTES = 4L << 20;
    /** Kept past the negative TTL so a probe seen absent stays absent while every upstream fails. */
    private static final Duration ABSENT_KEPT_STALE = Duration.ofDays(1);
    /** Longer than a fetch waits between its lookup and leading its flight (a queue for a download thread). */
    private static final Duration LANDED_KEPT = Duration.ofMinutes(5);
    /**
     * At most one warning per this long for failed fetches (an upstream down, timing out, answering 5xx): an outage
     * fails every request and prefetch that misses, and logged a warning for each of them.
     */
    static final Duration FETCH_FAILURE_WARNING_INTERVAL = Duration.ofMinutes(1);

    /** Who asks {@link #answer}: a client, or a warm-up, which is neither client traffic nor a hint to the prefetcher. */
    private enum Asker {
        CLIENT,
        WARMUP
    }

    /**
     * An answer given in place of an artifact and remembered for the negative TTL: a 404/410 from the whole chain,
     * the 403 it stopped on, or the refusal of an answer's content (a zip that breaks the rules, a hash the checksum
     * database contradicts), which the upstream would send again and the proxy would download again to refuse.
     */
    private record NegativeAnswer(CacheAnswer.Refused answer) {
        /**
         * A 404 or 410 stands in for the upstreams' answer while they fail, past the negative TTL; a 403 or a refusal
         * does not: the upstream's policy of the moment may allow the module by now, and it may have mended the
         * answer it sent.
         */
        boolean standsInWhileUpstreamsFail() {
            return answer.status() == 404 || answer.status() == 410;
        }
    }

    /**
     * One upstream fetch in flight, shared by every request for its key meanwhile. A prefetch's flight
     * that a client joined is the client's from then on: it is never cancelled under it.
     */
    private static final class Flight {
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        final boolean prefetch;
        private boolean joined;
        private boolean cancelled;
        private boolean issued;
        private boolean used;
        private boolean parked;

        Flight(boolean prefetch) {
            this.prefetch = prefetch;
        }

        /** A client waits for this flight; false when it was cancelled already (the client fetches anew). */
        synchronized boolean join() {
            if (cancelled) {
                return false;
            }
            joined = true;
            return true;
        }

        /** Cancels a prefetch nobody waits for; false when a client joined it. */
        synchronized boolean cancel() {
            if (joined) {
                return false;
            }
            cancelled = true;
            return true;
        }

        synchronized boolean joined() {
            return joined;
        }

        /** What a client's having this prefetch's artifact means for the used count. */
        enum Use {
            /** the first use of a prefetch that went upstream: count it */
            COUNT,
            /** counted already, or never to be: the prefetch did not go upstream (a client's fetch beat it) */
            NOTHING,
            /** the prefetch stored it and left it among the unused: the use is theirs to record */
            PARKED
        }

        // A prefetch's use is recorded under this lock, so a client served the instant the artifact is published
        // is seen by exactly one of use() and park().

        /** The prefetch goes upstream: a client having what it stores is a use from then on. */
        synchronized void issue() {
            issued = true;
        }

        /**
         * A client had what this prefetch stored: it joined the prefetch and the prefetch stored its artifact, or it
         * was served what the prefetch stored before the prefetch was parked. A client that joined a prefetch that
         * stored nothing had no artifact of it: that prefetch is wasted (failed), not used.
         */
        synchronized Use use() {
            if (parked) {
                return Use.PARKED;
            }
            boolean first = !used;
            used = true;
            return first && issued ? Use.COUNT : Use.NOTHING;
        }

        /** The prefetch stored its artifact: runs {@code put} (to the unused) unless a client had it already. */
        synchronized void park(Runnable put) {
            if (!used) {
                put.run();
            }
            parked = true;
        }
    }

    /** How one fetch ended, shared with every request that waited for it: what it stored, or its refusal. */
    private record Outcome(StoredObject stored, boolean streamed, CacheAnswer.Refused refused) {
        static Outcome refused(int status, String reason) {
            return new Outcome(null, false, new CacheAnswer.Refused(status, reason));
        }

        CacheAnswer forLeader() {
            if (streamed) {
                return new CacheAnswer.Streamed();
            }
            return forWaiter();
        }

        CacheAnswer forWaiter() {
            return stored != null ? new CacheAnswer.Hit(stored, false) : refused;
        }
    }

    private final Storage storage;
    private final UpstreamChain chain;
    private final CacheSettings settings;
    private final ProxyMetrics metrics;
    private final ModulePathPatterns privatePaths;
    private final Executor background;
    private final ConcurrentHashMap<StorageKey, Flight> inflight = new ConcurrentHashMap<>();
    private final WarningPace fetchFailureWarnings;
    private volatile ClientDemand demand = ClientDemand.NONE;
    /** Artifacts a prefetch stored that no client asked for yet; those still here after the use window were wasted. */
    private volatile Cache<StorageKey, RequestKind> unusedPrefetches;

    private final Cache<StorageKey, NegativeAnswer> negative;
    /**
     * Keys this proxy's own fetches stored lately. A fetch that found its key missing and then becomes the
     * single flight's leader asks the storage again only if one of them landed it meanwhile: with a bucket,
     * that second lookup was a round trip per cold artifact, nearly always a second 404. (Another replica
     * landing it in that instant costs one redundant upstream fetch of the same verified bytes.)
     */
    private final Cache<StorageKey, Boolean> landedHere = Caffeine.newBuilder()
            .expireAfterWrite(LANDED_KEPT)
            .maximumSize(100_000)
            .build();

    private final Set<StorageKey> refreshing = ConcurrentHashMap.newKeySet();
    private final ArtifactIngest ingest;
    private final MemoryCache memory;
    private final Executor downloads;
    /**
     * Threads that send a cold zip to its first client from the staged file, at the client's pace: at most
     * {@link ClientTee#SENDERS}, one chunk at a time, none held while a client is slow ({@link ClientTee#senderPool}).
     * Shut down by {@link #close}.
     */
    private final ThreadPoolExecutor senderPool = ClientTee.senderPool();
    /** Where the first clients' steps run: {@link #senderPool}, or what a test puts in its place. */
    private volatile Executor senders = senderPool;

    /**
     * Runs the steps that send cold zips to their first clients on {@code executor} instead of this cache's own
     * senders (a test's, one that refuses work).
     */
    void sendFirstClientsOn(Executor executor) {
        senders = executor;
    }

    /**
     * Stops the first clients' senders: a cold zip still being sent to its first client is cut off (its connection
     * reset) once its next chunk is due, and the senders' threads end.
     */
    public void close() {
        for (Runnable queued : senderPool.shutdownNow()) {
            ClientTee.abandon(queued);
        }
    }

    /** A pool of at most max download threads (idle ones end after a minute) and an unbounded line. */
    public static ExecutorService downloadPool(int max) {
        return BoundedThreads.pool("modproxy-download", max);
    }

    /**
     * @param downloads runs the cold fetches, apart from the threads that answer hits: however many slow
     *                  downloads are in flight, a cached answer never waits for a thread
     * @param clock     paces the warnings of failed fetches ({@link #FETCH_FAILURE_WARNING_INTERVAL})
     */
    public ModuleCache(
            Storage storage,
            UpstreamChain chain,
            List<ArtifactVerifier> verifiers,
            CacheSettings settings,
            ProxyMetrics metrics,
            ModulePathPatterns privatePaths,
            Executor background,
            MemoryCache memory,
            Executor downloads,
            Clock clock) {
        this.fetchFailureWarnings = new WarningPace(FETCH_FAILURE_WARNING_INTERVAL, clock);
        this.downloads = downloads;
        this.storage = storage;
        this.memory = memory;
        storage.addRemovalListener(memory::forget);
        this.chain = chain;
        this.settings = settings;
        this.metrics = metrics;
        this.privatePaths = privatePaths;
        this.background = background;
        this.ingest = new ArtifactIngest(storage, verifiers, memory);
        Duration keptStale =
                settings.negativeTtl().compareTo(ABSENT_KEPT_STALE) > 0 ? settings.negativeTtl() : ABSENT_KEPT_STALE;
        this.negative = Caffeine.newBuilder()
                // one that cannot stand in is of no use past the TTL: it leaves the byte bound to those that can
                .expireAfter(Expiry.<StorageKey, NegativeAnswer>writing((key, remembered) ->
                        remembered.standsInWhileUpstreamsFail() ? keptStale : settings.negativeTtl()))
                .maximumWeight(ABSENT_BYTES)
                .<StorageKey, NegativeAnswer>weigher((key, remembered) ->
                        EntryWeight.of(key.value(), remembered.answer().reason()))
                .build();
    }

    /**
     * What {@link #remove} took out of this replica for one answer: whether the storage held it, the memory tier held
     * a copy or a mapping of it, the negative cache remembered a 404, 410, 403 or refusal for it; whether a fetch
     * of it was in flight at that moment (it is left to finish, and stores what it downloads); and why the storage
     * could not delete it, if it could not (null when it could, or held nothing).
     */
    public record Removal(
            StorageKey key,
            boolean stored,
            boolean inMemory,
            boolean negative,
            boolean fetchInFlight,
            IOException storageFailure) {
        /** Whether any tier held it and let it go. */
        public boolean removedAnything() {
            return stored || inMemory || negative;
        }
    }

    /**
     * Takes one answer out of every tier of this replica, as an admin asks for a damaged or unwanted entry: the
     * storage (local disk or the bucket), the memory tier, the negative cache, and the note that one of this proxy's
     * fetches landed it. The next request for it misses and fetches it from the upstream. The memory tier and the
     * negative cache let it go even when the storage cannot delete it ({@link Removal#storageFailure}): a request
     * then finds it in the storage again, as before.
     *
     * <p>A fetch of the same key in flight is not stopped: it began after the storage was found without the key (or,
     * for a list or {@code @latest}, to refresh it), so what it stores is a fresh download, checked as every one; it
     * stores it when it ends, before or after this removal, and its waiters are answered with it. The memory tier
     * keeps nothing the removal took from the storage meanwhile ({@link MemoryCache#removalsSoFar}).
     */
    public Removal remove(ProxyRequest request) {
        StorageKey key = new StorageKey(request.relativePath());
        boolean fetchInFlight = inflight.containsKey(key);
        boolean wasNegative = negative.asMap().remove(key) != null;
        landedHere.invalidate(key);
        // memory first, to tell whether it held a copy: the storage's delete drops it again (its removal listener),
        // should a hit have put the stored bytes back in between
        boolean inMemory = memory.remove(key);
        try {
            return new Removal(key, storage.delete(key), inMemory, wasNegative, fetchInFlight, null);
        } catch (IOException e) {
            return new Removal(key, false, inMemory, wasNegative, fetchInFlight, e);
        }
    }

    /** The weight of the negative answers kept, as {@link #ABSENT_BYTES} bounds it. */
    long absentWeight() {
        negative.cleanUp();
        return negative.policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }

    /**
     * Tells {@code prefetcher} what clients ask for, and counts a prefetched artifact as used when a client
     * asks for it within {@code useWindow}, as wasted when none does. Set once, by the assembly.
     */
    public void observe(ClientDemand prefetcher, Duration useWindow) {
        unusedPrefetches = Caffeine.newBuilder()
                .expireAfterWrite(useWindow)
                .maximumSize(100_000)
                .scheduler(Scheduler.systemScheduler())
                .<StorageKey, RequestKind>removalListener((key, kind, cause) -> {
                    if (cause == RemovalCause.EXPIRED || cause == RemovalCause.SIZE) {
                        metrics.prefetchWasted(kind, "unused");
                    }
                })
                .build();
        demand = prefetcher;
    }

    /**
     * The stored bytes of a small immutable artifact (a go.mod to read requirements from), from memory or
     * storage; empty when it is not stored or larger than {@code maxBytes}.
     */
    public Optional<byte[]> storedContent(ProxyRequest request, long maxBytes) throws IOException {
        StorageKey key = new StorageKey(request.relativePath());
        MemoryCache.Entry remembered = memory.get(key);
        byte[] copy = remembered == null ? null : remembered.copy();
        if (copy != null) {
            return Optional.of(copy);
        }
        Optional<StoredObject> stored = storage.lookup(key);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        StoredObject object = stored.get();
        try {
            if (object.size() > maxBytes) {
                return Optional.empty();
            }
            try (InputStream in = object.open()) {
                return Optional.of(in.readNBytes((int) maxBytes));
            }
        } finally {
            object.release();
        }
    }

    /** A client got this immutable artifact from the cache: a prefetch that stored it was of use. */
    private void servedFromCache(ProxyRequest request, StorageKey key) {
        // the prefetch that stored it may still be finishing: its flight, not the unused, records this use then
        Flight landing = inflight.get(key);
        prefetchUsed(request.kind(), key, landing != null && landing.prefetch ? landing : null);
        demand.asked(request, true);
    }

    /** Counts a client's use of a prefetched artifact once, whether it joined the prefetch or came after it. */
    private void prefetchUsed(RequestKind kind, StorageKey key, Flight prefetch) {
        Flight.Use use = prefetch == null ? Flight.Use.PARKED : prefetch.use();
        if (use == Flight.Use.COUNT) {
            metrics.prefetchUsed(kind);
            return;
        }
        Cache<StorageKey, RequestKind> unused = unusedPrefetches;
        // a read first: once any prefetch went unused, a remove on every hit would take the cache's write path
        if (use == Flight.Use.PARKED
                && unused != null
                && unused.estimatedSize() > 0
                && unused.getIfPresent(key) != null
                && unused.asMap().remove(key) != null) {
            metrics.prefetchUsed(kind);
        }
    }

    /**
     * The cached answer to an immutable request when it is in memory or the storage can say so
     * without blocking (local disk): the hot path, answered on the event loop without a hop to a
     * worker thread. Empty means "ask {@link #answer}".
     */
    public Optional<StoredObject> cheapHit(ProxyRequest request) throws IOException {
        return request.immutable() ? cheapHit(request, new StorageKey(request.relativePath())) : Optional.empty();
    }

    /** {@link #cheapHit(ProxyRequest)} with the request's storage key already built (the caller keeps it for popular paths). */
    public Optional<StoredObject> cheapHit(ProxyRequest request, StorageKey key) throws IOException {
        if (!request.immutable() || privatePaths.matches(request.module().path())) {
            return Optional.empty();
        }
        boolean local = storage.lookupIsLocal();
        MemoryCache.Entry remembered = memory.get(key);
        if (remembered != null && !(local && memory.dueForRecheck(remembered))) {
            StoredObject held = remembered.hold(key);
            if (held != null) {
                metrics.hit(request.kind());
                servedFromCache(request, key);
                return Optional.of(held);
            }
            remembered = null; // left the cache since the lookup: ask the storage
        }
        if (!local) {
            return Optional.empty();
        }
        long removals = memory.removalsSoFar();
        Optional<StoredObject> stored = storage.lookup(key);
        if (stored.isEmpty()) {
            if (remembered != null) {
                memory.forget(key); // removed behind our back (by hand): memory must not outlive the file
            }
            return stored;
        }
        metrics.hit(request.kind());
        servedFromCache(request, key);
        return Optional.of(keepInMemory(request, stored.get(), removals, remembered));
    }

    /**
     * Puts a small immutable artifact found in storage into memory, or maps a mid-size zip's local
     * file, and answers from there; anything else is returned as found. A small local file is read
     * here, on the event loop, like the stat before it (mapping one reads nothing yet).
     */
    private StoredObject keepInMemory(
            ProxyRequest request, StoredObject object, long removalsBefore, MemoryCache.Entry remembered) {
        boolean copied = memory.wants(request, object.size());
        boolean mapped = !copied && object.localFile().isPresent() && memory.wantsMapped(request, object.size());
        if (!copied && !mapped) {
            return object;
        }
        if (remembered != null && remembered.size() == object.size()) {
            // immutable, so the bytes cannot have changed: only the confirmation is renewed
            StoredObject held = remembered.hold(object.key());
            if (held != null) {
                memory.confirm(object.key(), remembered, removalsBefore);
                object.release();
                return held;
            }
        }
        if (mapped) {
            try {
                memory.keepMapped(
                        object.key(), object.localFile().get(), object.size(), object.lastModified(), removalsBefore);
            } catch (IOException e) {
                LOG.debugf(e, "cannot map %s; serving it from storage", object.key());
                return object;
            }
            return heldFromMemory(object);
        }
        ByteBuf bytes;
        try {
            if (object.localFile().isPresent()) {
                bytes = memory.read(object.localFile().get(), object.size());
            } else if (object.content().isPresent()) {
                bytes = memory.copy(object.content().get());
            } else {
                try (InputStream in = object.open()) {
                    byte[] content = in.readNBytes((int) object.size() + 1);
                    bytes = content.length == object.size() ? memory.copy(Unpooled.wrappedBuffer(content)) : null;
                }
            }
        } catch (IOException e) {
            LOG.debugf(e, "cannot read %s into memory; serving it from storage", object.key());
            return object;
        }
        if (bytes == null) {
            return object;
        }
        memory.keep(object.key(), bytes, object.lastModified(), removalsBefore);
        return heldFromMemory(object);
    }

    /** The memory cache's entry for a stored object just kept there, in its place; the object itself when none was kept. */
    private StoredObject heldFromMemory(StoredObject object) {
        MemoryCache.Entry kept = memory.get(object.key());
        StoredObject held = kept == null ? null : kept.hold(object.key());
        if (held == null) {
            return object; // not admitted (the cache keeps what is asked for more often), or gone already
        }
        object.release();
        return held;
    }

    /**
     * Answers one request. Blocking (a storage lookup): call it off the event loop. The future is
     * already complete for a hit; a miss is fetched on the download pool, so the calling thread is
     * free again at once.
     *
     * @param client receives a cold .zip while it downloads; may be null
     */
    public CompletableFuture<CacheAnswer> answer(ProxyRequest request, ClientStream client) throws IOException {
        return answer(request, client, Asker.CLIENT);
    }

    /**
     * Answers a warm-up's request as {@link #answer} does a client's (same lookup, single flight, chain, verifiers
     * and storage), but it is no client: it counts in none of the cache's hit, miss, negative hit or coalesced wait
     * metrics, a prefetched artifact it finds is not a prefetch used, and it tells the prefetcher nothing, so it
     * fetches only what the warm-up asks for (a go.sum's {@code /go.mod} line gets no zip). A client that joins
     * its fetch is told to the prefetcher as if it had led that fetch itself.
     */
    public CompletableFuture<CacheAnswer> warm(ProxyRequest request) throws IOException {
        return answer(request, null, Asker.WARMUP);
    }

    private CompletableFuture<CacheAnswer> answer(ProxyRequest request, ClientStream client, Asker asker)
            throws IOException {
        boolean byClient = asker == Asker.CLIENT;
        if (privatePaths.matches(request.module().path())) {
            return CompletableFuture.completedFuture(new CacheAnswer.Refused(
                    404,
                    request.module() + " matches MODPROXY_PRIVATE (" + privatePaths + "): not fetched by this proxy"));
        }
        boolean query = byClient && (request.kind() == RequestKind.LIST || request.kind() == RequestKind.LATEST);
        if (query) {
            demand.queried(request);
        }
        StorageKey key = new StorageKey(request.relativePath());
        long removals = memory.removalsSoFar();
        Optional<StoredObject> stored = storage.lookup(key);
        if (stored.isPresent()) {
            if (!byClient) {
                // found: nothing to fetch. Not kept in memory either, which holds what clients ask for often
                return CompletableFuture.completedFuture(new CacheAnswer.Hit(stored.get(), false));
            }
            metrics.hit(request.kind());
            if (request.immutable()) {
                servedFromCache(request, key);
                return CompletableFuture.completedFuture(
                        new CacheAnswer.Hit(keepInMemory(request, stored.get(), removals, null), false));
            }
            boolean stale = !isFresh(stored.get());
            if (stale) {
                refreshInBackground(request, key);
            }
            return CompletableFuture.completedFuture(new CacheAnswer.Hit(stored.get(), stale));
        }
        NegativeAnswer remembered = negative.getIfPresent(key);
        if (remembered != null && isFresh(remembered)) {
            // not a hit: a hit is an artifact served from the cache. A refusal is answered as it was first given,
            // status and reason, without the download it would take to refuse it again
            if (byClient) {
                metrics.negativeHit(request.kind());
            }
            return CompletableFuture.completedFuture(remembered.answer());
        }
        if (byClient) {
            metrics.miss(request.kind());
            if (request.immutable()) {
                demand.asked(request, false);
            }
        }
        CompletableFuture<CacheAnswer> fetched = fetchOnce(request, key, client, false, asker);
        if (query) {
            // the client reads what it asks next once the list is here, however long the upstream took
            fetched.whenComplete((answer, failure) -> demand.queried(request));
        }
        return fetched;
    }

    private boolean isFresh(NegativeAnswer remembered) {
        return Duration.between(remembered.answer().since(), Instant.now()).compareTo(settings.negativeTtl()) < 0;
    }

    private boolean isFresh(StoredObject object) {
        return Duration.between(object.lastModified(), Instant.now()).compareTo(settings.mutableTtl()) < 0;
    }

    private void refreshInBackground(ProxyRequest request, StorageKey key) {
        if (inflight.containsKey(key) || !refreshing.add(key)) {
            return;
        }
        try {
            background.execute(() -> {
                try {
                    fetchOnce(request, key, null, true, Asker.CLIENT);
                } catch (IOException | RuntimeException e) {
                    LOG.debugf(e, "background refresh of %s failed; the stale answer stays", key);
                } finally {
                    refreshing.remove(key);
                }
            });
        } catch (RejectedExecutionException e) {
            refreshing.remove(key); // shutting down: the stale answer stays
        }
    }

    private CompletableFuture<CacheAnswer> fetchOnce(
            ProxyRequest request, StorageKey key, ClientStream client, boolean refresh, Asker asker)
            throws IOException {
        boolean byClient = asker == Asker.CLIENT;
        Flight mine = new Flight(false);
        Flight running = inflight.putIfAbsent(key, mine);
        if (running != null) {
            if (refresh) {
                return CompletableFuture.completedFuture(null);
            }
            if (running.prefetch) {
                if (!running.join()) {
                    // cancelled an instant ago: fetch it for this client once that flight is gone
                    return running.outcome.thenCompose(done -> fetchAgain(request, key, client, asker));
                }
                if (!byClient) {
                    // the prefetch's artifact stays among the unused until a client has it
                    return running.outcome.thenApply(Outcome::forWaiter);
                }
                metrics.coalescedWait(request.kind());
                return running.outcome.thenApply(outcome -> {
                    if (outcome.stored() != null) {
                        // a use once the client has the artifact: a prefetch that failed under it is wasted alone
                        prefetchUsed(request.kind(), key, running);
                        demand.landed(request, false); // the prefetch landed for this client, as its own fetch would
                    }
                    return outcome.forWaiter();
                });
            }
            running.join(); // the leader leaves what it stores to be released by its waiters' answers
            if (byClient) {
                metrics.coalescedWait(request.kind());
            }
            return running.outcome.thenApply(Outcome::forWaiter);
        }
        if (refresh) {
            return CompletableFuture.completedFuture(
                    lead(request, key, null, true, mine, asker)); // already on a background thread
        }
        CompletableFuture<CacheAnswer> answer = new CompletableFuture<>();
        try {
            downloads.execute(() -> {
                try {
                    answer.complete(lead(request, key, client, false, mine, asker));
                } catch (IOException | RuntimeException e) {
                    answer.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            Outcome refused = Outcome.refused(503, "shutting down");
            mine.outcome.complete(refused);
            inflight.remove(key, mine);
            return CompletableFuture.completedFuture(refused.forLeader());
        }
        return answer;
    }

    private CompletableFuture<CacheAnswer> fetchAgain(
            ProxyRequest request, StorageKey key, ClientStream client, Asker asker) {
        try {
            return fetchOnce(request, key, client, false, asker);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * What the storage holds for a key found missing a moment ago, now that this fetch leads its flight: a
     * flight that ended in between may have stored it. A local disk is asked again (a file lookup); a bucket
     * only when one of this proxy's own fetches stored the key lately ({@link #landedHere}).
     */
    private Optional<StoredObject> landedSinceLookup(StorageKey key) throws IOException {
        if (storage.lookupIsLocal() || landedHere.getIfPresent(key) != null) {
            return storage.lookup(key);
        }
        return Optional.empty();
    }

    /** Records a fetch that stored its key, before its flight ends (see {@link #landedSinceLookup}). */
    private void landed(StorageKey key, Outcome outcome) {
        if (outcome.stored() != null && !storage.lookupIsLocal()) {
            landedHere.put(key, Boolean.TRUE);
        }
    }

    /**
     * Releases what a fetch stored, if anything, when no answer will serve it (a failure after it replaced its outcome
     * with a refusal, nobody joined a refresh or a prefetch): the storage would keep it leased against eviction.
     */
    private static void releaseStored(Outcome outcome) {
        if (outcome != null && outcome.stored() != null) {
            outcome.stored().release();
        }
    }

    /** Fetches key for everyone waiting on mine. */
    private CacheAnswer lead(
            ProxyRequest request, StorageKey key, ClientStream client, boolean refresh, Flight mine, Asker asker)
            throws IOException {
        Outcome outcome = null;
        try {
            Optional<StoredObject> landed = refresh ? Optional.empty() : landedSinceLookup(key);
            if (landed.isPresent() && (request.immutable() || isFresh(landed.get()))) {
                outcome = new Outcome(landed.get(), false, null); // a fetch finished between lookup and now
            } else {
                landed.ifPresent(StoredObject::release);
                outcome = fetch(request, key, client, ArtifactIngest.DownloadGuard.NONE);
                landed(key, outcome);
                // a warm-up's fetch hints nothing, unless a client waits for it: it landed for that client then
                if (outcome.stored() != null && request.immutable() && (asker == Asker.CLIENT || mine.joined())) {
                    demand.landed(request, false);
                }
            }
            return outcome.forLeader();
        } catch (RuntimeException | IOException e) {
            releaseStored(outcome);
            outcome = Outcome.refused(502, "internal error while fetching " + key + ": " + e.getMessage());
            throw e;
        } finally {
            mine.outcome.complete(outcome);
            inflight.remove(key, mine);
            if ((refresh || (outcome != null && outcome.streamed())) && !mine.joined()) {
                releaseStored(outcome); // a refresh, or a zip its client had from staging: no answer serves it
            }
        }
    }

    /**
     * Fetches an immutable artifact no client asked for yet, on the calling thread, through the same
     * single flight, chain and verifiers as a client's fetch. Nothing is fetched when it is stored, private,
     * remembered absent or refused, or being fetched already. A client that asks meanwhile joins this fetch; the fetch
     * is cancelled when it would take more than {@code allowance} has, or when the answer is larger than
     * {@code largest} bytes (before its body is read when the upstream announces its length), unless a client
     * joined it.
     */
    public PrefetchResult prefetch(ProxyRequest request, ByteAllowance allowance, long largest) throws IOException {
        if (!request.immutable() || privatePaths.matches(request.module().path())) {
            return PrefetchResult.SKIPPED;
        }
        StorageKey key = new StorageKey(request.relativePath());
        if (inflight.containsKey(key)) {
            return PrefetchResult.IN_FLIGHT;
        }
        if (memory.get(key) != null) {
            return PrefetchResult.CACHED;
        }
        Optional<StoredObject> stored = storage.lookup(key);
        if (stored.isPresent()) {
            stored.get().release();
            return PrefetchResult.CACHED;
        }
        NegativeAnswer remembered = negative.getIfPresent(key);
        if (remembered != null && (isFresh(remembered) || remembered.standsInWhileUpstreamsFail())) {
            return PrefetchResult.SKIPPED; // absent or refused, or failing with an absent answer kept stale
        }
        if (circuitsOpen()) {
            // the chain would send nothing: not issued, and no flight a client could join for the chain's 502
            return PrefetchResult.CIRCUIT_OPEN;
        }
        Flight mine = new Flight(true);
        if (inflight.putIfAbsent(key, mine) != null) {
            return PrefetchResult.IN_FLIGHT;
        }
        Budgeted guard = new Budgeted(mine, allowance, largest);
        Outcome outcome = null;
        try {
            Optional<StoredObject> landed = landedSinceLookup(key);
            if (landed.isPresent()) {
                outcome = new Outcome(landed.get(), false, null); // a client's fetch finished a moment ago
                return PrefetchResult.CACHED;
            }
            // counted only now that it goes upstream: one the client's fetch beat is neither used nor wasted
            metrics.prefetchIssued(request.kind());
            mine.issue(); // a client that joined before is counted when it has the artifact, as one that joins later
            try {
                outcome = fetch(request, key, null, guard);
                landed(key, outcome);
            } catch (CancellationException e) {
                outcome = Outcome.refused(503, "prefetch of " + key + " cancelled: " + e.getMessage());
                if (guard.tooLarge()) {
                    metrics.prefetchWasted(request.kind(), "too_large");
                    return PrefetchResult.TOO_LARGE;
                }
                metrics.prefetchWasted(request.kind(), "cancelled");
                return PrefetchResult.CANCELLED;
            }
            if (outcome.stored() == null) {
                metrics.prefetchWasted(request.kind(), "failed");
                return PrefetchResult.FAILED;
            }
            Cache<StorageKey, RequestKind> unused = unusedPrefetches;
            if (unused != null) {
                mine.park(() -> unused.put(key, request.kind()));
            }
            demand.landed(request, true);
            return PrefetchResult.STORED;
        } catch (RuntimeException | IOException e) {
            releaseStored(outcome);
            outcome = Outcome.refused(502, "internal error while fetching " + key + ": " + e.getMessage());
            metrics.prefetchWasted(request.kind(), "failed");
            throw e;
        } finally {
            guard.releaseAll();
            mine.outcome.complete(outcome);
            inflight.remove(key, mine);
            if (!mine.joined()) {
                releaseStored(outcome); // nobody to serve it to
            }
        }
    }

    /**
     * The shortest path a module can have on each host where that has a fixed shape, an element either itself or any
     * name ({@code *}): the hosts of the go command's own table (vcsPaths in cmd/go/internal/vcs), whose repositories
     * it finds from the path alone, and gitlab.com, whose repositories are at least group/project. Not here:
     * git.apache.org (host/name.git: only the bare host is shorter) and launchpad.net, whose pages the go command asks
     * first and whose paths have more than one shape.
     */
    private static final List<List<String>> SHORTEST_MODULE_PATHS = Stream.of(
                    "github.com/*/*",
                    "bitbucket.org/*/*",
                    "gitlab.com/*/*",
                    "hub.jazz.net/git/*/*",
                    "git.openstack.org/*/*",
                    "chiselapp.com/user/*/repository/*")
            .map(shape -> List.of(shape.split("/")))
            .toList();

    /**
     * Whether no module can have this path, though the go command asks for it: a bare host name ({@code github.com}),
     * or a path shorter than the shortest a module has on its host ({@code github.com/org},
     * {@code hub.jazz.net/git/user}). A 403 for one is the upstream's answer to the go command's probe of a package
     * path's prefixes, not a module refused by policy or a login the upstream dropped.
     */
    static boolean noModuleThere(String modulePath) {
        List<String> elements = List.of(modulePath.split("/"));
        return elements.size() == 1
                || SHORTEST_MODULE_PATHS.stream()
                        .anyMatch(shortest -> elements.size() < shortest.size()
                                && IntStream.range(0, elements.size())
                                        .allMatch(i -> shortest.get(i).equals("*")
                                                || shortest.get(i).equals(elements.get(i))));
    }

    /**
     * Logs a failed fetch (not a 404/410, 403 or refused content): the first after a quiet minute at once, key and
     * reason, then at most one warning per {@link #FETCH_FAILURE_WARNING_INTERVAL} saying how many failed since; an
     * outage fails every request and prefetch that misses. Each one is logged at DEBUG.
     */
    private void failed(StorageKey key, UpstreamResult<StoredObject> result) {
        long failures = fetchFailureWarnings.due();
        if (failures > 0) {
            LOG.warnf(
                    "fetch of %s failed with %d: %s (%s)",
                    key, result.status(), result.reason(), fetchFailureWarnings.since(failures, "fetch failure"));
        } else {
            LOG.debugf("fetch of %s failed with %d: %s", key, result.status(), result.reason());
        }
    }

    /**
     * Whether the chain would ask no upstream now: each one it reaches is skipped by its circuit (open, or a trial
     * out), and the chain ends there ({@code ,}, {@code direct}, {@code off} or its end). An open circuit whose cool-down
     * is over counts as open: its trial is left to a client's request. A circuit that opens between this look and the
     * fetch still has that prefetch counted as issued (and wasted, failed).
     */
    private boolean circuitsOpen() {
        boolean skipped = false;
        for (UpstreamChain.Entry entry : chain.entries()) {
            if (!(entry instanceof UpstreamChain.Proxy proxy)) {
                return skipped; // direct or off answers without an upstream: as before, unless one was skipped
            }
            if (proxy.upstream().breaker().state() == CircuitState.CLOSED) {
                return false;
            }
            skipped = true;
            if (!entry.fallThroughOnError()) {
                return true;
            }
        }
        return skipped;
    }

    /**
     * Holds a prefetch's bytes against the allowance as they arrive (all of them at once when announced), and stops
     * one whose answer is larger than {@code largest}: at the headers when they announce it, else once that many
     * bytes arrived.
     */
    private static final class Budgeted implements ArtifactIngest.DownloadGuard {
        private final Flight flight;
        private final ByteAllowance allowance;
        private final long largest;
        private long reserved;
        private boolean tooLarge;

        Budgeted(Flight flight, ByteAllowance allowance, long largest) {
            this.flight = flight;
            this.allowance = allowance;
            this.largest = largest;
        }

        @Override
        public void admit(long contentLength, long received) {
            if (flight.joined()) {
                releaseAll(); // a client waits for it: it is a client's download now, outside the prefetch budget
                return;
            }
            long wanted = Math.max(contentLength, received);
            if (wanted > largest) {
                if (flight.cancel()) {
                    tooLarge = true;
                    throw new CancellationException("over the " + largest + " bytes a prefetch may fetch");
                }
                releaseAll(); // joined in between
                return;
            }
            if (wanted <= reserved) {
                return;
            }
            if (allowance.reserve(wanted - reserved)) {
                reserved = wanted;
            } else if (flight.cancel()) {
                throw new CancellationException("over the prefetch byte budget");
            } else {
                releaseAll(); // joined in between
            }
        }

        /** Whether it stopped the download for being larger than {@code largest}, not for the allowance. */
        boolean tooLarge() {
            return tooLarge;
        }

        void releaseAll() {
            if (reserved > 0) {
                allowance.release(reserved);
                reserved = 0;
            }
        }
    }

    private Outcome fetch(ProxyRequest request, StorageKey key, ClientStream client, ArtifactIngest.DownloadGuard guard)
            throws IOException {
        ClientTee tee = new ClientTee(request.kind().large() ? client : null, senders);
        ingest.fetchStarts(request);
        UpstreamResult<StoredObject> result;
        try {
            result = chain.fetch(
                    request.relativePath(),
                    response -> ingest.store(request, key, response, tee, guard),
                    tee::withdraw, // a refused zip none of which reached the client leaves the chain free to go on
                    settings.deadline(request.kind()));
        } catch (RuntimeException e) {
            // the storage failed (a full disk with no pass-through room): the first client's stream ends with the
            // fetch, and its sender lets go of the staged file, which the writer deletes (else its space stays taken)
            tee.withdraw();
            throw e;
        }
        if (result.found()) {
            negative.invalidate(key); // a refusal remembered before must not outlive the answer that mends it
            boolean streamed = tee.finish(result.value().size());
            return new Outcome(result.value(), streamed, null);
        }
        boolean streamed = !tee.withdraw();
        if (result.contentRefused()) {
            // the upstream would send the same bytes again, and each refusal cost a whole download and its checks:
            // later requests get this answer, as its waiters do, until the negative TTL is over
            CacheAnswer.Refused refused = new CacheAnswer.Refused(result.status(), result.reason());
            negative.put(key, new NegativeAnswer(refused));
            // said once per remembered refusal: the requests it answers meanwhile are negative hits, not logged
            LOG.warnf(
                    "fetch of %s refused with %d, answered so without a download for MODPROXY_NEGATIVE_TTL: %s",
                    key, result.status(), result.reason());
            return new Outcome(null, streamed, refused);
        }
        if (result.notFound() || result.pathRefused()) {
            // asked again at once, the chain would say the same; a 403 or 400 too, a module the upstream blocks by
            // policy
            CacheAnswer.Refused refused = new CacheAnswer.Refused(result.status(), result.reason());
            negative.put(key, new NegativeAnswer(refused));
            if (result.pathRefused() && noModuleThere(request.module().path())) {
                // the go command asks for every prefix of a package's path (github.com, github.com/org) with each
                // go get; an upstream that refuses those with 403 says nothing an operator must act on
                LOG.debugf("fetch of %s refused (a path no module has): %s", key, result.reason());
            } else if (result.pathRefused()) {
                LOG.warnf("fetch of %s refused: %s", key, result.reason());
            } else if (!request.immutable()) {
                // not on a 403, which may be about the cache's access (a login the upstream dropped), not the module
                try {
                    storage.delete(key); // the module is gone upstream: stop serving the old answer
                } catch (IOException e) {
                    // an unreachable bucket: the client still gets the upstream's 404, not a 502
                    LOG.debugf("cannot drop %s from storage: %s", key, e.getMessage());
                }
            }
            return new Outcome(null, streamed, refused);
        }
        failed(key, result);
        NegativeAnswer stale = negative.getIfPresent(key);
        if (stale != null && stale.standsInWhileUpstreamsFail() && !streamed) {
            // the go command probes every path prefix; a 502 for one it saw absent before would stop its build.
            // Served as old as it is: past its TTL, a cache after this one must not keep it for another.
            return new Outcome(null, false, stale.answer());
        }
        return new Outcome(null, streamed, new CacheAnswer.Refused(result.status(), result.reason()));
    }
}
