package dev.modproxy.proxy.eviction;

import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.ForwardingStorageWriter;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
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
 * once the count is done.
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

    public BoundedDiskStorage(
            LocalDiskStorage disk, Settings settings, VolumeSpace volume, Clock clock, LongConsumer evicted) {
        super(disk);
        this.disk = disk;
        this.settings = settings;
        this.volume = volume;
        this.clock = clock;
        this.leases = new ServingLeases(settings.maxLease(), clock);
        // evictions go through the disk's delete, so removal listeners added here hear of them too
        this.eviction = new LruEviction(disk, leases, evicted);
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "modproxy-eviction");
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.checker = executor;
        long period = settings.checkEvery().toMillis();
        checker.scheduleWithFixedDelay(this::queuedCheck, 0, period, TimeUnit.MILLISECONDS);
        disk.counted().thenRun(this::requestCheck);
    }

    @Override
    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
        leases.acquire(key); // before the lookup: eviction cannot slip in between finding and serving
        Optional<StoredObject> found;
        try {
            found = disk.lookup(key);
        } catch (IOException | RuntimeException e) {
            leases.release(key);
            throw e;
        }
        if (found.isEmpty()) {
            leases.release(key);
            return found;
        }
        touch(disk.fileFor(key), false);
        return Optional.of(found.get().withRelease(() -> leases.release(key)));
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
                StoredObject stored = inner.commit();
                requestCheck();
                return stored;
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
            java.util.OptionalLong cap = settings.watermarks().maxSizeBytes();
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

    private void queuedCheck() {
        checkQueued.set(false);
        try {
            evictIfNeeded();
        } catch (IOException | RuntimeException e) {
            LOG.warnf(e, "eviction check of %s failed", disk.describe());
        }
    }

    /** Checks the watermarks now and evicts if needed; returns the number of objects removed. */
    public synchronized int evictIfNeeded() throws IOException {
        // Until the existing objects are counted the size cap cannot be judged (the count is low), so only
        // the volume's own figures, which the file system knows at once, can start an eviction.
        long cacheBytes = disk.usageCounted() ? disk.usage().bytes() : 0;
        long toFree = settings.watermarks().bytesToFree(cacheBytes, volume.capacity(), volume.used());
        if (toFree <= 0) {
            return 0;
        }
        LruEviction.Result result = eviction.free(disk.root(), toFree);
        LOG.infof(
                "evicted %d objects (%d bytes) from %s; %d bytes were to go%s",
                result.objects(),
                result.bytes(),
                disk.describe(),
                toFree,
                result.bytes() < toFree ? " (the rest is in use or not ours)" : "");
        return result.objects();
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
