package dev.modproxy.proxy.eviction;

import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.ForwardingStorageWriter;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.storage.WarningPace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;

/**
 * Local disk storage kept between watermarks: after writes (and every {@code checkEvery}) it removes
 * the least recently used objects once the volume or the size cap passes the high mark, down to
 * the low mark. Objects being served are skipped; sumdb answers go last. While the disk is still
 * counting what it held at start, only the volume's watermark applies; the size cap is checked
 * once the count is done. A fresh object is leased from its commit until its writer releases it, so
 * it reaches its first client. When the volume is over its mark with data that is not the cache's
 * (what the cache's files take is estimated in the volume's blocks), so that even an empty cache
 * would leave it there, nothing is evicted for it (that would empty the cache for nothing) and a
 * warning says so, at most once a minute, with how many checks found it so since the last.
 */
public final class BoundedDiskStorage extends ForwardingStorage implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BoundedDiskStorage.class);

    /** Tunables with their production values; tests shorten them. */
    public record Settings(Watermarks watermarks, Duration touchInterval, Duration maxLease, Duration checkEvery) {
        public static Settings of(Watermarks watermarks) {
            return new Settings(watermarks, Duration.ofMinutes(1), Duration.ofMinutes(10), Duration.ofSeconds(30));
        }
    }

    private final LocalDiskStorage disk;
    private final Settings settings;
    private final VolumeSpace volume;
    private final Clock clock;
    private final ServingLeases leases;
    private final LruEviction eviction;
    private final ScheduledExecutorService checker;
    private final AtomicBoolean checkQueued = new AtomicBoolean();
    private final WarningPace volumeFullWarnings;
    /** The last walk's finding that the volume is full of what is not the cache's, while it stands; guarded by this. */
    private NotOurs volumeFullOfNotOurs;
    /**
     * Until when the last walk's finding that nothing could be removed (all it needed was in use) stands: until the
     * next periodic check (which walks all the same), until one of those objects is released, or until an object
     * written since the walk began is released, writes asking for checks do not walk the whole tree again. Written
     * under this; released by readers.
     */
    private volatile long fruitlessUntilMillis;
    /** The objects the fruitless walk found in use, whose release ends its finding. */
    private volatile java.util.Set<StorageKey> fruitlessFoundInUse = java.util.Set.of();
    /**
     * Objects written and released by their writers so far. One released after a fruitless walk began is one that walk
     * did not see free to go: its finding no longer stands (new objects, served and released, filled the volume while
     * writes skipped their checks).
     */
    private final java.util.concurrent.atomic.AtomicLong releasedWrites = new java.util.concurrent.atomic.AtomicLong();
    /** releasedWrites as the fruitless walk began; guarded by this. */
    private long fruitlessReleasedWrites;

    /** Run as a walk's finding that nothing could be removed is about to stand (tests release objects then). */
    volatile Runnable beforeFruitlessFindingStands = () -> {};

    /** Walks one check may take to find what is to go (each keeps at most LruEviction.MAX_CANDIDATES). */
    static final int MAX_PASSES = 20;

    /**
     * The volume was over its mark with {@code used} bytes, too few of them the cache's to evict. It stands until
     * {@code untilMillis}, the next periodic check, or until used drops: until then the cache's own writes, each of
     * which asks for a check, change nothing (they only add to what is ours) and need no walk of the whole tree.
     */
    private record NotOurs(long used, long untilMillis) {
        boolean stands(long usedNow, long nowMillis) {
            return usedNow >= used && nowMillis < untilMillis;
        }
    }

    private static final Duration VOLUME_WARNING_INTERVAL = Duration.ofMinutes(1);

    public BoundedDiskStorage(
            LocalDiskStorage disk, Settings settings, VolumeSpace volume, Clock clock, LongConsumer evicted) {
        this(disk, settings, volume, clock, evicted, LruEviction.MAX_CANDIDATES);
    }

    /** @param maxCandidates the most objects one walk keeps as candidates (tests lower it) */
    BoundedDiskStorage(
            LocalDiskStorage disk,
            Settings settings,
            VolumeSpace volume,
            Clock clock,
            LongConsumer evicted,
            int maxCandidates) {
        super(disk);
        this.disk = disk;
        this.settings = settings;
        this.volume = volume;
        this.clock = clock;
        this.leases = new ServingLeases(settings.maxLease(), clock);
        this.volumeFullWarnings = new WarningPace(VOLUME_WARNING_INTERVAL, clock);
        // evictions go through the disk's delete, so removal listeners added here hear of them too
        this.eviction = new LruEviction(disk, leases, evicted, maxCandidates);
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "modproxy-eviction");
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.checker = executor;
        long period = settings.checkEvery().toMillis();
        checker.scheduleWithFixedDelay(this::periodicCheck, 0, period, TimeUnit.MILLISECONDS);
        disk.counted().thenRun(this::requestCheck);
    }

    @Override
    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
        long lease = leases.acquire(key); // before the lookup: eviction cannot slip in between finding and serving
        Optional<StoredObject> found;
        try {
            found = disk.lookup(key);
        } catch (IOException | RuntimeException e) {
            leases.release(key, lease);
            throw e;
        }
        if (found.isEmpty()) {
            leases.release(key, lease);
            return found;
        }
        touch(disk.fileFor(key), false);
        return Optional.of(found.get().withRelease(() -> release(key, lease)));
    }

    private void release(StorageKey key, long lease) {
        boolean lastOfDoomed = leases.release(key, lease);
        if (fruitlessUntilMillis != 0 && fruitlessFoundInUse.contains(key)) {
            fruitlessUntilMillis = 0; // what the last walk could not remove may go now
        }
        if (lastOfDoomed) {
            // the last reader of an object too large to keep: removed on the eviction thread, not the reader's
            try {
                checker.execute(() -> {
                    try {
                        eviction.removeDoomed(key, largestKept(volume.capacity()));
                    } catch (IOException | RuntimeException e) {
                        LOG.warnf(e, "removing %s, too large to keep in %s, failed", key, disk.describe());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down: the next start's checks remove it
            }
        }
    }

    /**
     * Recency lives in the file's access time, not in memory, so it survives restarts; not mtime,
     * which dates a mutable answer for its TTL. Rewritten at most once per touchInterval to keep hits cheap.
     */
    private void touch(Path file, boolean always) {
        try {
            BasicFileAttributeView view = Files.getFileAttributeView(file, BasicFileAttributeView.class);
            long now = clock.millis();
            if (!always
                    && now - view.readAttributes().lastAccessTime().toMillis()
                            < settings.touchInterval().toMillis()) {
                return;
            }
            view.setTimes(null, FileTime.fromMillis(now), null);
        } catch (NoSuchFileException e) {
            // replaced or evicted meanwhile: nothing to date
        } catch (IOException e) {
            LOG.debugf(e, "cannot record access to %s", file);
        }
    }

    @Override
    public StorageWriter openWriter(StorageKey key) throws IOException {
        StorageWriter inner = disk.openWriter(key);
        return new ForwardingStorageWriter(inner) {
            @Override
            public StoredObject commit() throws IOException {
                // Dated before it is published (a rename keeps the time): an eviction running meanwhile
                // must never see the new object with an older use than the objects it displaces.
                touch(inner.stagedFile(), true);
                // leased before it is published: the check this commit asks for must not remove it before
                // the writer has served it (a nearly full volume evicted fresh answers, and the client got a 503)
                long lease = leases.acquireNew(key);
                StoredObject stored;
                try {
                    stored = inner.commit();
                } catch (IOException | RuntimeException e) {
                    leases.release(key, lease);
                    throw e;
                }
                requestCheck();
                return stored.withRelease(() -> {
                    release(key, lease);
                    releasedWrites.incrementAndGet(); // after the release: a walk that sees this count sees it free
                });
            }
        };
    }

    /**
     * The most the cache can hold: MODPROXY_MAX_SIZE, or the volume's capacity if that is smaller or no cap is
     * set. NaN when the volume cannot be asked (a gauge then shows no value rather than a wrong one).
     */
    public double bound() {
        try {
            long capacity = volume.capacity();
            OptionalLong cap = settings.watermarks().maxSizeBytes();
            if (cap.isPresent() && (capacity <= 0 || cap.getAsLong() < capacity)) {
                return cap.getAsLong();
            }
            return capacity > 0 ? capacity : Double.NaN;
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    @Override
    public String describe() {
        return disk.describe() + " (evicts above " + settings.watermarks() + ")";
    }

    /** Asks for a check on the eviction thread; many requests while one is queued cost one check. */
    public void requestCheck() {
        if (checkQueued.compareAndSet(false, true)) {
            try {
                checker.execute(this::queuedCheck);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                checkQueued.set(false); // shutting down
            }
        }
    }

    /**
     * Runs a check on the eviction thread. Nothing it throws may escape: a periodic task that throws is never run
     * again, and the cache would then go unchecked, without a word, but for the checks writes ask for. An Error (an
     * OutOfMemoryError) is logged at ERROR and the next check still runs.
     */
    private void queuedCheck() {
        checkQueued.set(false);
        check(false);
    }

    /** The periodic check: it walks even while the last walk's finding that nothing could be removed stands. */
    private void periodicCheck() {
        check(true);
    }

    private void check(boolean periodic) {
        try {
            evictIfNeeded(periodic);
        } catch (IOException | RuntimeException e) {
            LOG.warnf(e, "eviction check of %s failed", disk.describe());
        } catch (Error e) {
            LOG.errorf(e, "eviction check of %s failed; the next check runs all the same", disk.describe());
        }
    }

    /**
     * Checks the watermarks now and evicts if needed, as a write's check does (one that finds the last walk's finding
     * that nothing could be removed standing does not walk); returns the number of objects removed.
     */
    public int evictIfNeeded() throws IOException {
        return evictIfNeeded(false);
    }

    private synchronized int evictIfNeeded(boolean periodic) throws IOException {
        // Until the existing objects are counted the size cap cannot be judged (the count is low), so only
        // the volume's own figures, which the file system knows at once, can start an eviction.
        long cacheBytes = disk.usageCounted() ? disk.usage().bytes() : 0;
        Watermarks watermarks = settings.watermarks();
        long capacity = volume.capacity();
        long used = volume.used();
        long forCap = watermarks.bytesToFree(cacheBytes, 0, 0);
        long forVolume = watermarks.bytesToFree(0, capacity, used);
        if (forCap <= 0 && forVolume <= 0) {
            volumeFullOfNotOurs = null;
            return 0;
        }
        if (forCap <= 0 && volumeFullOfNotOurs != null && volumeFullOfNotOurs.stands(used, clock.millis())) {
            return 0;
        }
        if (!periodic && fruitlessUntilMillis > clock.millis() && releasedWrites.get() == fruitlessReleasedWrites) {
            return 0; // the last walk could free nothing: the writes asking since need no walk of the whole tree
        }
        fruitlessUntilMillis = 0;
        fruitlessFoundInUse = java.util.Set.of();
        long releasedWritesBefore = releasedWrites.get(); // those released before the walk, it sees free to go
        OptionalLong blockSize = volume.blockSize();
        long largestKept = largestKept(capacity);
        LruEviction.Holdings held =
                eviction.scan(disk.root(), blockSize.orElse(1), forCap, Math.max(forVolume, 0), largestKept);
        // The volume counts blocks, so what the cache occupies is estimated in blocks: by file lengths, a volume of
        // small .info and .mod files (60 bytes each, 4 KiB each on ext4) looked full of data not the cache's and
        // was never evicted. When the file system does not say its block size, that is not judged at all: a wrong
        // eviction costs refetches, a wrong refusal a full disk.
        // What is not the cache's is judged from the volume as read after the walk, which holds all the walk counted:
        // read before it, objects that landed meanwhile looked like room the cache could give back, and a check
        // between writes emptied the cache of a volume that stayed over its mark all the same.
        if (forVolume > 0 && blockSize.isPresent() && volume.used() - held.occupied() > watermarks.high() * capacity) {
            // even with the cache empty the volume would stay over its mark: evicting would gain nothing
            warnVolumeFull(capacity, used, held.occupied());
            volumeFullOfNotOurs =
                    new NotOurs(used, clock.millis() + settings.checkEvery().toMillis());
            forVolume = 0;
        } else {
            volumeFullOfNotOurs = null;
        }
        if (forCap <= 0 && forVolume <= 0 && !held.anyLargerThan(largestKept)) {
            return 0;
        }
        // A walk keeps only the oldest objects it needs, at most LruEviction.MAX_CANDIDATES: when more must go (or
        // some it kept are being served), the next walk finds the next ones.
        int objects = 0;
        long bytes = 0;
        long occupied = 0;
        long skippedBytes = 0;
        long skippedOccupied = 0;
        // an object doomed (too large, in use) is counted as freed once: the next walks find it again on disk
        java.util.Set<StorageKey> doomed = new java.util.HashSet<>();
        for (int pass = 1; ; pass++) {
            LruEviction.Result result = eviction.free(held, forCap - bytes, forVolume - occupied, largestKept, doomed);
            objects += result.objects();
            bytes += result.bytes();
            occupied += result.occupied();
            boolean done = bytes >= forCap && occupied >= forVolume;
            // in use: the next walk finds them again among the oldest, and looks past them
            boolean moreInUse = result.skippedBytes() > skippedBytes || result.skippedOccupied() > skippedOccupied;
            skippedBytes = result.skippedBytes();
            skippedOccupied = result.skippedOccupied();
            if (done || !held.partial() || (result.objects() == 0 && !moreInUse) || pass >= MAX_PASSES) {
                break;
            }
            held = eviction.scan(
                    disk.root(),
                    blockSize.orElse(1),
                    forCap - bytes + 2 * skippedBytes,
                    Math.max(forVolume - occupied, 0) + 2 * skippedOccupied,
                    largestKept);
        }
        if (objects == 0 && bytes == 0) {
            // all it could remove is being served (or it went meanwhile): walking again at each write would find
            // the same, so the next walk waits for the next periodic check, the release of one of them or of an
            // object written since
            java.util.Set<StorageKey> inUse = held.candidates().stream()
                    .map(LruEviction.Candidate::key)
                    .collect(java.util.stream.Collectors.toUnmodifiableSet());
            beforeFruitlessFindingStands.run();
            fruitlessReleasedWrites = releasedWritesBefore;
            // The time first, then the objects: a release from now on finds the finding standing when it looks for
            // its key. One that came earlier (since the walk found it in use) did not: the finding would stand though
            // the object may go, so each is looked up again, and the finding dropped if one is no longer in use.
            fruitlessUntilMillis = clock.millis() + settings.checkEvery().toMillis();
            fruitlessFoundInUse = inUse;
            if (!inUse.stream().allMatch(leases::isLeased)) {
                fruitlessUntilMillis = 0;
                fruitlessFoundInUse = java.util.Set.of();
            }
        }
        LOG.infof(
                "evicted %d objects (%d bytes, %d on the volume) from %s; %d bytes of the cache and %d of the volume "
                        + "were to go%s",
                objects,
                bytes,
                occupied,
                disk.describe(),
                Math.max(forCap, 0),
                Math.max(forVolume, 0),
                bytes < forCap || occupied < forVolume ? " (the rest is in use or not ours)" : "");
        return objects;
    }

    /** The largest object worth keeping: one above the high mark of the bound would start an eviction alone. */
    private long largestKept(long capacity) {
        Watermarks watermarks = settings.watermarks();
        long largest = Long.MAX_VALUE;
        if (watermarks.maxSizeBytes().isPresent()) {
            largest = (long) (watermarks.high() * watermarks.maxSizeBytes().getAsLong());
        }
        if (capacity > 0) {
            largest = Math.min(largest, (long) (watermarks.high() * capacity));
        }
        return largest;
    }

    private void warnVolumeFull(long capacity, long used, long occupied) {
        long findings = volumeFullWarnings.due();
        if (findings == 0) {
            return;
        }
        LOG.warnf(
                "the volume holding %s is %d%% full (%d of %d bytes) and the cache takes about %d bytes of that: "
                        + "eviction cannot make room, so it removes nothing; answers that do not fit are served "
                        + "without being kept. Free the volume or give the cache its own (%s)",
                disk.describe(),
                used * 100 / capacity,
                used,
                capacity,
                occupied,
                volumeFullWarnings.since(findings, "such finding"));
    }

    /** Waits until the checks queued on the eviction thread so far have run (tests: a wait on that, not a sleep). */
    void awaitQueuedChecks() throws InterruptedException, java.util.concurrent.ExecutionException {
        checker.submit(() -> {}).get();
    }

    /** Walks of the tree so far (tests count them). */
    int walks() {
        return eviction.walks();
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
