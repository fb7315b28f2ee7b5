package dev.modproxy.proxy.prefetch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.modproxy.proxy.cache.BoundedThreads;
import dev.modproxy.proxy.cache.ByteAllowance;
import dev.modproxy.proxy.cache.ClientDemand;
import dev.modproxy.proxy.cache.EntryWeight;
import dev.modproxy.proxy.cache.GoModRequirements;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.cache.PrefetchResult;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.protocol.CaseEncoding;
import dev.modproxy.proxy.protocol.InvalidRequestException;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.protocol.RequestKind;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Fetches what a go command will ask next, one wave of its requirement graph ahead of it, into the cache
 * through {@link ModuleCache#prefetch} (same single flight, chain and verifiers as a client's fetch).
 *
 * <p>What it predicts, from what the go command asks (go.dev/ref/mod#graph-pruning):
 * <ul>
 * <li>a client asks for {@code X.info}: {@code X.mod} at once, beside the {@code .info}'s own fetch, since
 * {@code go mod download} and {@code go list -m} ask for every module's {@code .info} and then its {@code .mod},
 * two round trips in a row that become one; {@code X.zip} only once the {@code .info} is found, since
 * {@code go get path@version} asks one for every prefix of a package's path, most of them no module (each
 * such prefix costs a small {@code .mod} 404 besides its {@code .info} 404, never a zip);
 * <li>a client asks for {@code X.zip} and it is not cached: {@code X.mod} and {@code X.info} at once, beside the
 * zip's own fetch, since a build ({@code go build}, {@code go test}, {@code go vet}) asks for a module's zip first,
 * then its {@code .mod}, and its {@code .info} last: three round trips that become one;
 * <li>a client gets {@code X.mod}: {@code X.info} (tiny; {@code go mod download} asks it), and {@code X.zip}
 * unless X's go.mod is only read to walk an unpruned graph (then many of those versions are never built); not
 * before the {@code .mod} is found, since a go.mod may require a version its module never had;
 * <li>a go.mod a client got lists requirements: their {@code .mod}s, when that go.mod is unpruned (go 1.16 or
 * older, or reached through one): the go command reads every go.mod below it, so each prefetched one is read
 * in turn and its requirements prefetched too. Below a pruned go.mod (go 1.17 or later) nothing: a client
 * whose own module is pruned reads none of those go.mods (the ones it builds with are listed in its own
 * go.mod, which it asks for in one wave anyway). On the captured real graph, one level below pruned go.mods
 * was 222 upstream requests per cold build that no client read.
 * <li>a client walks a build list: {@code go mod download all} and {@code go list -m all} ask, after loading the
 * graph, for every module of the build list its {@code .info} and then its {@code .mod}, in path order, one
 * round trip per module. A pruned build list is the main module's requirements and their go.mods' requirements
 * (go.dev/ref/mod#graph-pruning); the proxy saw those go.mods as the graph was loaded (a client read them
 * without having asked for their {@code .info} within {@link #PAIR_WINDOW}). So a client asking for the
 * {@code .info} of a version such a go.mod requires, whose go.mod it has not read, is walking the list: the
 * {@code .info} and {@code .mod} of every requirement of that go.mod are prefetched then, once, in path order.
 * A build ({@code go build}, {@code go mod download}, {@code go mod tidy}) asks for no such {@code .info}, so
 * this costs it nothing; on the captured real graph those go.mods' requirements were 136 of the 138 modules of
 * the build list at the version it selected (5 others at versions it did not).
 * </ul>
 *
 * <p>Queries are not builds: a client that asked for a module's {@code @v/list} or {@code @latest} within
 * {@link #QUERY_WINDOW} is choosing a version of it ({@code go list -m -u all}, {@code go get -u} dry runs,
 * Renovate-like tools, and the resolution of {@code go get M@latest}), and the {@code .info} and {@code .mod}
 * it reads next are of versions it mostly never downloads (go 1.26's {@code go list -m -u all} asks the list,
 * then the {@code .info} of the newest version (for some modules of a pseudo-version too), then that version's
 * {@code .mod} for its retractions). Those predict no {@code .zip}, only each other (tiny); a zip the client then wants
 * ({@code go get M@latest} asks for it after the {@code .mod}) is fetched for it as any miss is. Before, every
 * available upgrade's zip was prefetched and never asked for. Other modules, and the versions a client asks for
 * outside the window (a build's, {@code go mod download}'s, an unpruned walk's), are predicted as above.
 *
 * <p>Bounds: at most {@code concurrency} prefetches run at once on threads of their own (a client's fetch
 * never waits for one); at most {@code queueSize} wait, more are dropped; one not started within
 * {@code startWindow} is dropped (the client has asked for it itself by then); the bytes of running
 * prefetches stay under {@code maxBytesInFlight}: one that would go over is cancelled, unless a client joined
 * it; so is a zip larger than {@code maxZipSize} (before its body is read when the upstream announces its
 * length). Mutable answers (list, @latest, queries), private modules, stored artifacts and Go toolchains' zips are
 * never prefetched; nothing is while every upstream the chain would ask is skipped by its open circuit (dropped as
 * {@code circuit_open}, and hinted again by a later request).
 *
 * <p>Why a bound on one zip: every {@code .info} or {@code .mod} a client gets predicts its zip, and commands that
 * read only those ({@code go list -m M@v}, gopls, Renovate-like tools; a 30 s query window comes too late, they
 * ask no list first) download no zip at all. Reading 1 KB of metadata of {@code github.com/aws/aws-sdk-go} cost the
 * upstream link its 34 MB zip. A prefetched zip saves a build a round trip or two whatever its size, while a
 * wrong one costs its size: the bound keeps the many small zips prefetched and leaves the few large ones to the
 * client that asks for them (on the real benchmark graph, 16 MiB keeps 137 of its 138 zips).
 */
public final class Prefetcher implements ClientDemand, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Prefetcher.class);
    /** The go command's placeholder version of a replaced module, with or without a tag before it. */
    private static final Pattern PLACEHOLDER = Pattern.compile("[-.]00010101000000-000000000000(\\+incompatible)?$");

    /** Larger go.mod files are not read for requirements (the go command's own limit is 16 MiB; real ones are KiBs). */
    private static final long MAX_GO_MOD = 1 << 20;
    /**
     * Go toolchains as modules: the go command reads the .info and .mod of several of them to resolve go@ and
     * toolchain@ queries (and go list -m -versions), and asks for a zip (60-100 MB) only to switch to it, first.
     */
    private static final ModulePath TOOLCHAIN = ModulePath.of("golang.org/toolchain");
    /**
     * How long after a client asked for a module's list or @latest its .info and .mod predict no zip. The go
     * command reads a version's .info right after the list it chose it from (within one command, parallel
     * across modules, so milliseconds to seconds on a large graph), and the mark is renewed when a slow list or
     * @latest arrives; short, so that a build of the same module a little later has its zips prefetched again.
     */
    static final Duration QUERY_WINDOW = Duration.ofSeconds(30);
    /**
     * How long after a client asked for a version's .info its .mod is taken as the second of a pair (the go
     * command walking a build list asks for the .mod as soon as the .info arrives), not as read to load a graph.
     * A build asks for its modules' .infos last, long after their go.mods; short, so that another command's
     * .infos of the same versions do not hide a graph load for long.
     */
    static final Duration PAIR_WINDOW = Duration.ofSeconds(30);
    /** What each of the two windows above may keep, in {@link EntryWeight}s: tens of thousands of requests. */
    static final long SEEN_BYTES = 4L << 20;

    /** The bounds; see the class comment. A maxZipSize of 0 prefetches no zip. */
    public record Settings(
            int concurrency, long maxBytesInFlight, long maxZipSize, int queueSize, Duration startWindow) {
        public Settings {
            if (concurrency < 1 || queueSize < 1 || maxBytesInFlight < 1) {
                throw new IllegalArgumentException("prefetch concurrency, queue and byte budget must be positive");
            }
            if (maxZipSize < 0) {
                throw new IllegalArgumentException("MODPROXY_PREFETCH_MAX_ZIP_SIZE must not be negative");
            }
        }
    }

    private final ModuleCache cache;
    private final Clock clock;
    private final Settings settings;
    private final ProxyMetrics metrics;
    private final ThreadPoolExecutor workers;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private final Budget budget;
    // Keyed by the request (a canonical version's artifact, so no query), not by its path: every hit on a
    // warm cache consults these, and a key should not cost a new path string each time.
    /** Artifacts hinted lately: each is looked at once, not at every request of a warm build. */
    private final Cache<ProxyRequest, Boolean> hinted = recent();
    /** go.mod files the go command reads because an unpruned go.mod requires them (directly or further up). */
    private final Cache<ProxyRequest, Boolean> unprunedWalk = recent();
    /** go.mod files read for their requirements: true when those were prefetched, false when it is pruned. */
    private final Cache<ProxyRequest, Boolean> expanded = recent();

    /**
     * Modules whose list or @latest a client asked within {@link #QUERY_WINDOW}. Keyed by the request's own
     * ModulePath (no new object); read only when a zip would be predicted that was not hinted lately, so the
     * repeated hits of a warm build never consult it.
     */
    private final Cache<ModulePath, Boolean> queried;

    private final Set<ProxyRequest> queuedExpansions = ConcurrentHashMap.newKeySet();

    /** go.mod files a client read without having asked for their version's .info just before: to load a graph. */
    private final Cache<ProxyRequest, Boolean> graphReads = recent();
    /** .info files clients asked for within {@link #PAIR_WINDOW}. */
    private final Cache<ProxyRequest, Boolean> infosAsked;
    /**
     * The requirements (as .info requests, in path order) of pruned go.mods read to load a graph, until a
     * client walking its build list has them prefetched; removed then, so each list is prefetched once.
     */
    private final Cache<ProxyRequest, List<ProxyRequest>> buildListRequirements = recent();
    /** For a version's .info, the pruned go.mods read to load a graph that require that version. */
    private final Cache<ProxyRequest, Set<ProxyRequest>> requiredBy = recent();

    /** @param clock what a prefetch's wait for a free slot, and the query window, are measured with */
    public Prefetcher(ModuleCache cache, Settings settings, ProxyMetrics metrics, Clock clock) {
        this.clock = clock;
        this.cache = cache;
        this.settings = settings;
        this.metrics = metrics;
        this.budget = new Budget(settings.maxBytesInFlight());
        // a bounded line: a prefetch that finds queueSize waiting is refused, counted as dropped (submit)
        workers = BoundedThreads.pool(
                "modproxy-prefetch", settings.concurrency(), settings.queueSize(), Duration.ofMinutes(1));
        // what clients ask for, so bounded in bytes: a client asking for long paths cannot fill the heap through them
        queried = Caffeine.newBuilder()
                .expireAfterWrite(QUERY_WINDOW)
                .maximumWeight(SEEN_BYTES)
                .<ModulePath, Boolean>weigher((module, seen) -> EntryWeight.of(module.path()))
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .build();
        infosAsked = Caffeine.newBuilder()
                .expireAfterWrite(PAIR_WINDOW)
                .maximumWeight(SEEN_BYTES)
                .<ProxyRequest, Boolean>weigher((request, seen) -> EntryWeight.of(request.relativePath()))
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .build();
        metrics.watchPrefetches(
                this,
                p -> p.running.get(),
                p -> p.budget.used.get(),
                p -> p.workers.getQueue().size());
    }

    private static <V> Cache<ProxyRequest, V> recent() {
        return Caffeine.newBuilder()
                .expireAfterWrite(Duration.ofMinutes(10))
                .maximumSize(200_000)
                .build();
    }

    @Override
    public void asked(ProxyRequest request, boolean cached) {
        switch (request.kind()) {
            case INFO -> {
                prefetchBuildListAround(request);
                if (infosAsked.getIfPresent(request) == null) {
                    infosAsked.put(request, Boolean.TRUE);
                }
                if (cached) {
                    predictDownload(request);
                } else {
                    // its .mod is asked next: fetch it alongside; the zip waits until the .info is found, as
                    // the go command probes every prefix of a package path with .info
                    prefetch(sibling(request, RequestKind.MOD));
                }
            }
            case MOD -> {
                // not right after its .info: read to load a graph (a build's, or go mod download all's first wave)
                if (infosAsked.getIfPresent(sibling(request, RequestKind.INFO)) == null
                        && graphReads.getIfPresent(request) == null) {
                    graphReads.put(request, Boolean.TRUE);
                }
                if (cached) {
                    predictRest(request);
                    expandLater(request);
                } // else when it lands: a go.mod may require a version its module never had
            }
            case ZIP -> {
                if (!cached) {
                    // a build asks for a module's zip first, then its .mod, then its .info: fetch those alongside
                    prefetch(sibling(request, RequestKind.MOD));
                    prefetch(sibling(request, RequestKind.INFO));
                }
            }
            default -> {}
        }
    }

    @Override
    public void queried(ProxyRequest request) {
        queried.put(request.module(), Boolean.TRUE);
    }

    @Override
    public void landed(ProxyRequest request, boolean byPrefetch) {
        if (request.kind() == RequestKind.INFO && !byPrefetch) {
            predictDownload(request);
        }
        if (request.kind() == RequestKind.MOD) {
            if (!byPrefetch) {
                predictRest(request);
            }
            if (!byPrefetch && graphReads.getIfPresent(request) != null) {
                // read before the client has it: the next thing it asks may be a requirement's .info (see
                // prefetchBuildListAround), and this runs on the fetch's thread, not the event loop
                if (worthReading(request)) {
                    expand(request);
                }
            } else if (!byPrefetch || unprunedWalk.getIfPresent(request) != null) {
                expandLater(request);
            }
        }
    }

    /** A client got X.info: it downloads X next. */
    private void predictDownload(ProxyRequest info) {
        prefetch(sibling(info, RequestKind.ZIP));
        prefetch(sibling(info, RequestKind.MOD));
    }

    /** A client got X.mod: X.info, and X.zip unless X's go.mod is only read to walk an unpruned graph. */
    private void predictRest(ProxyRequest goMod) {
        prefetch(sibling(goMod, RequestKind.INFO));
        if (unprunedWalk.getIfPresent(goMod) == null) {
            prefetch(sibling(goMod, RequestKind.ZIP));
        }
    }

    /**
     * A client asked for the .info of a version that a go.mod read to load a graph requires, and has not read
     * that version's go.mod itself: it is walking the build list (see the class comment), and asks for every
     * requirement of that go.mod next.
     */
    private void prefetchBuildListAround(ProxyRequest info) {
        Set<ProxyRequest> goMods = requiredBy.getIfPresent(info);
        if (goMods == null || graphReads.getIfPresent(sibling(info, RequestKind.MOD)) != null) {
            return; // no such go.mod, or one the client loaded its graph from (a build asks for those .infos)
        }
        for (ProxyRequest goMod : goMods) {
            List<ProxyRequest> requirements = buildListRequirements.asMap().remove(goMod);
            if (requirements != null) {
                for (ProxyRequest requirement : requirements) {
                    if (!requirement.equals(info)) { // the client's own, with its .mod beside it (asked)
                        prefetch(requirement);
                        prefetch(sibling(requirement, RequestKind.MOD));
                    }
                }
            }
        }
    }

    private static ProxyRequest sibling(ProxyRequest request, RequestKind kind) {
        return new ProxyRequest(request.module(), kind, request.version(), null);
    }

    private void prefetch(ProxyRequest request) {
        if (request.kind() == RequestKind.ZIP
                && (settings.maxZipSize() == 0 || request.module().equals(TOOLCHAIN))) {
            return; // no zip may be prefetched; see TOOLCHAIN
        }
        // a warm build repeats its hints: answer those from a read before taking the write path
        if (hinted.getIfPresent(request) != null) {
            return;
        }
        if (request.kind() == RequestKind.ZIP && queried.getIfPresent(request.module()) != null) {
            return; // a query's version (see the class comment); not hinted: a build's ask later predicts it again
        }
        if (hinted.asMap().putIfAbsent(request, Boolean.TRUE) != null) {
            return;
        }
        long queuedAt = clock.millis();
        if (!submit(() -> fetch(request, queuedAt))) {
            hinted.invalidate(request); // dropped: a later hint may try again
        }
    }

    /**
     * Not done (walked below), nor read as pruned with no unpruned walk through it since: reading it again would
     * change nothing (see expand), and every cache hit on it would cost a worker's turn.
     */
    private boolean worthReading(ProxyRequest goMod) {
        Boolean done = expanded.getIfPresent(goMod);
        return !Boolean.TRUE.equals(done) && (done == null || unprunedWalk.getIfPresent(goMod) != null);
    }

    private void expandLater(ProxyRequest goMod) {
        if (!worthReading(goMod) || !queuedExpansions.add(goMod)) {
            return;
        }
        if (!submit(() -> {
            queuedExpansions.remove(goMod);
            expand(goMod);
        })) {
            queuedExpansions.remove(goMod);
        }
    }

    private boolean submit(Runnable task) {
        submitted.incrementAndGet();
        try {
            workers.execute(() -> {
                try {
                    task.run();
                } finally {
                    finished.incrementAndGet();
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            finished.incrementAndGet();
            if (!workers.isShutdown()) {
                metrics.prefetchDropped("queue_full");
            }
            return false;
        }
    }

    private void fetch(ProxyRequest request, long queuedAt) {
        if (clock.millis() - queuedAt > settings.startWindow().toMillis()) {
            metrics.prefetchDropped("expired");
            hinted.invalidate(request); // may be predicted again
            return;
        }
        running.incrementAndGet();
        try {
            long largest = request.kind() == RequestKind.ZIP ? settings.maxZipSize() : Long.MAX_VALUE;
            PrefetchResult result = cache.prefetch(request, budget, largest);
            if (result == PrefetchResult.CACHED
                    && request.kind() == RequestKind.MOD
                    && unprunedWalk.getIfPresent(request) != null) {
                expand(request); // stored before: the walk goes on through it
            } else if (result == PrefetchResult.CIRCUIT_OPEN) {
                metrics.prefetchDropped("circuit_open"); // nothing sent: not issued
                hinted.invalidate(request); // asked again once the upstream is back
            } else if (result == PrefetchResult.CANCELLED || result == PrefetchResult.FAILED) {
                hinted.invalidate(request);
            } // TOO_LARGE stays hinted: asked again, it would be as large, and cost the upstream its answer again
        } catch (IOException | RuntimeException e) {
            LOG.debugf(e, "prefetch of %s failed", request.relativePath());
        } finally {
            running.decrementAndGet();
        }
    }

    /** Prefetches the .mod of every requirement of a stored go.mod. */
    private void expand(ProxyRequest goMod) {
        Optional<GoModRequirements> read;
        try {
            read = cache.storedContent(goMod, MAX_GO_MOD).flatMap(GoModRequirements::read);
        } catch (IOException | RuntimeException e) {
            LOG.debugf(e, "cannot read %s for its requirements", goMod.relativePath());
            return;
        }
        if (read.isEmpty()) {
            return;
        }
        if (read.get().pruned() && unprunedWalk.getIfPresent(goMod) == null) {
            expanded.put(goMod, Boolean.FALSE); // read: no client reads below it unless an unpruned one leads there
            if (graphReads.getIfPresent(goMod) != null) {
                noteBuildListRequirements(goMod, read.get());
            }
            return;
        }
        if (Boolean.TRUE.equals(expanded.asMap().put(goMod, Boolean.TRUE))) {
            return;
        }
        for (GoModRequirements.Requirement requirement : read.get().requires()) {
            Optional<ProxyRequest> maybeChild = versionRequest(requirement, RequestKind.MOD);
            if (maybeChild.isEmpty()) {
                continue; // not a version the go command would fetch a go.mod for
            }
            ProxyRequest child = maybeChild.get();
            unprunedWalk.put(child, Boolean.TRUE);
            if (hinted.getIfPresent(child) != null && !Boolean.TRUE.equals(expanded.getIfPresent(child))) {
                expandLater(child); // fetched before for another reason (a client, its .info): walk on from it now
            }
            prefetch(child);
        }
    }

    /** Keeps a pruned go.mod's requirements for a client that walks the build list it is part of. */
    private void noteBuildListRequirements(ProxyRequest goMod, GoModRequirements read) {
        List<ProxyRequest> infos = read.requires().stream()
                .sorted(Comparator.comparing(GoModRequirements.Requirement::path)) // the go command's order
                .map(requirement -> versionRequest(requirement, RequestKind.INFO))
                .flatMap(Optional::stream)
                .toList();
        if (infos.isEmpty() || buildListRequirements.asMap().putIfAbsent(goMod, infos) != null) {
            return;
        }
        for (ProxyRequest info : infos) {
            requiredBy
                    .asMap()
                    .computeIfAbsent(info, k -> ConcurrentHashMap.newKeySet())
                    .add(goMod);
        }
    }

    /**
     * The request for a required version's artifact; none for a version the go command would not fetch: one the
     * upstream refuses to parse, or the placeholder a go.mod requires a module it replaces at (the pseudo-version of
     * no commit, dated the year 1: {@code v0.0.0-00010101000000-000000000000}, or based on a tag), which no upstream
     * has and which a client building that module replaces too.
     */
    private static Optional<ProxyRequest> versionRequest(GoModRequirements.Requirement requirement, RequestKind kind) {
        if (PLACEHOLDER.matcher(requirement.version()).find()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ProxyRequest.parse("/" + CaseEncoding.encode(requirement.path()) + "/@v/"
                    + CaseEncoding.encode(requirement.version()) + kind.suffix()));
        } catch (InvalidRequestException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Prefetches running now. */
    public int running() {
        return running.get();
    }

    /** Bytes the running prefetches hold. */
    public long bytesInFlight() {
        return budget.used.get();
    }

    /** Whether every prefetch and go.mod reading asked for so far has ended (or was dropped). */
    public boolean idle() {
        return submitted.get() == finished.get();
    }

    /** Prefetches and go.mod readings handed to the prefetch threads so far (dropped ones included). */
    public long tasksSubmitted() {
        return submitted.get();
    }

    /** Prefetches waiting to start. */
    public int queued() {
        return workers.getQueue().size();
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }

    /** The byte budget shared by running prefetches. */
    private static final class Budget implements ByteAllowance {
        private final long max;
        private final AtomicLong used = new AtomicLong();

        Budget(long max) {
            this.max = max;
        }

        @Override
        public boolean reserve(long bytes) {
            while (true) {
                long now = used.get();
                if (now + bytes > max) {
                    return false;
                }
                if (used.compareAndSet(now, now + bytes)) {
                    return true;
                }
            }
        }

        @Override
        public void release(long bytes) {
            used.addAndGet(-bytes);
        }
    }
}
