package dev.modproxy.proxy.warmup;

import dev.modproxy.proxy.cache.CacheAnswer;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.protocol.InvalidRequestException;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.protocol.RequestKind;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Fetches module versions into the cache ahead of builds, through the same path client requests
 * take (coalescing, verification, storage), but not as a client: it counts in no hit or miss and hints nothing to
 * the prefetcher ({@link ModuleCache#warm}). One warm-up runs at a time.
 */
public final class Warmer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Warmer.class);
    /** The status of an artifact fetched but not kept (a full disk, an unreachable bucket): 507 Insufficient Storage. */
    static final int NOT_KEPT = 507;

    private final ModuleCache cache;
    private final Clock clock;
    private final Duration perArtifactTimeout;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "modproxy-warmup");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<WarmupJob> current = new AtomicReference<>();

    private final Consumer<WarmupJob> finished;

    /** @param finished told when each warm-up ends, e.g. to publish it in metrics */
    public Warmer(ModuleCache cache, Clock clock, Duration perArtifactTimeout, Consumer<WarmupJob> finished) {
        this.cache = cache;
        this.finished = finished;
        this.clock = clock;
        this.perArtifactTimeout = perArtifactTimeout;
    }

    /** The running or last warm-up. */
    public Optional<WarmupJob> job() {
        return Optional.ofNullable(current.get());
    }

    /** Starts a warm-up; empty when one is still running. */
    public synchronized Optional<WarmupJob> start(List<WarmupTarget> targets) {
        WarmupJob previous = current.get();
        if (previous != null && previous.running()) {
            return Optional.empty();
        }
        WarmupJob job = new WarmupJob(targets.size(), clock.instant());
        current.set(job);
        // its end is logged: its start too (before it runs, so the lines come in order)
        LOG.infof("warm-up started: %d module versions requested", targets.size());
        worker.execute(() -> run(job, targets));
        return Optional.of(job);
    }

    private void run(WarmupJob job, List<WarmupTarget> targets) {
        try {
            for (WarmupTarget target : targets) {
                boolean ok = fetch(job, target, RequestKind.INFO) & fetch(job, target, RequestKind.MOD);
                if (!target.goModOnly()) {
                    ok &= fetch(job, target, RequestKind.ZIP);
                }
                if (ok) {
                    job.completed();
                }
            }
        } finally {
            job.finish(clock.instant());
            finished.accept(job);
            LOG.infof(
                    "warm-up finished in %d s: %d module versions requested, %d failed%s",
                    Duration.between(job.startedAt(), job.finishedAt()).toSeconds(),
                    targets.size(),
                    job.failedModules(),
                    job.failedModules() == 0 ? "" : " (GET /admin/warmup lists them)");
        }
    }

    private boolean fetch(WarmupJob job, WarmupTarget target, RequestKind kind) {
        String artifact = kind.tag();
        String path =
                "/" + target.module().encoded() + "/@v/" + target.version().encoded() + kind.ending();
        CompletableFuture<CacheAnswer> pending = null;
        try {
            pending = cache.warm(ProxyRequest.parse(path)); // not a client's: no hit, miss or prefetch hint
            CacheAnswer answer = pending.get(perArtifactTimeout.toMillis(), TimeUnit.MILLISECONDS);
            if (answer instanceof CacheAnswer.Hit hit) {
                boolean kept = hit.object().inStorage();
                hit.object().release();
                if (!kept) {
                    // served through the pass-through: a warm-up that stored nothing must not read as done
                    job.failed(new WarmupJob.Failure(
                            target.module().path(),
                            target.version().toString(),
                            artifact,
                            NOT_KEPT,
                            "fetched, but the cache could not keep it: its storage refused the write (the proxy log"
                                    + " says why: cannot store ...); builds will fetch it from the upstream"));
                    return false;
                }
                return true;
            }
            if (answer instanceof CacheAnswer.Refused refused) {
                job.failed(new WarmupJob.Failure(
                        target.module().path(),
                        target.version().toString(),
                        artifact,
                        refused.status(),
                        refused.reason()));
                return false;
            }
            return true;
        } catch (InvalidRequestException e) {
            job.failed(new WarmupJob.Failure(
                    target.module().path(), target.version().toString(), artifact, e.status(), e.getMessage()));
        } catch (TimeoutException e) {
            releaseWhenAnswered(pending);
            job.failed(new WarmupJob.Failure(
                    target.module().path(),
                    target.version().toString(),
                    artifact,
                    504,
                    "not fetched within " + perArtifactTimeout.toSeconds() + " s"));
        } catch (InterruptedException e) {
            releaseWhenAnswered(pending);
            Thread.currentThread().interrupt();
            job.failed(new WarmupJob.Failure(
                    target.module().path(), target.version().toString(), artifact, 503, "interrupted"));
        } catch (IOException | java.util.concurrent.ExecutionException | RuntimeException e) {
            job.failed(new WarmupJob.Failure(
                    target.module().path(),
                    target.version().toString(),
                    artifact,
                    502,
                    String.valueOf(e.getMessage())));
        }
        return false;
    }

    /**
     * An answer given up on still comes, and a hit holds its object against eviction until released: released
     * then, or the fetch's fresh object stays leased for the lease's maximum (10 minutes).
     */
    private static void releaseWhenAnswered(CompletableFuture<CacheAnswer> pending) {
        pending.thenAccept(answer -> {
            if (answer instanceof CacheAnswer.Hit hit) {
                hit.object().release();
            }
        });
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
