package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Keeps serving when the storage cannot take a write (disk full, bucket unreachable): the bytes
 * move to a spill file outside the storage, the client gets its module from there, and nothing is
 * published under the key, so no partial or unverified object is ever stored. Spill files are
 * bounded in total size and kept only for a short while; when both the storage and the spill
 * directory are full, {@link #probeWritable} fails (readiness goes down).
 *
 * <p>A lookup the storage cannot answer (bucket unreachable, disk error) is a miss: the module is
 * fetched from the upstream and, as the storage cannot take it either, served from a spill file.
 * Such failures are counted and logged at most once per {@link #READ_FAILURE_LOG_INTERVAL}. A call a
 * {@link CircuitBreakingStorage} below refuses ({@link CircuitBreakingStorage.Skipped}) is handled the
 * same way but neither counted nor logged here: the breaker counts its skipped calls and logs when it
 * opens and closes.
 */
public final class PassThroughStorage extends ForwardingStorage {

    private static final Logger LOG = Logger.getLogger(PassThroughStorage.class);
    /** Long enough for the requests that waited on a download to open its spill file. */
    static final Duration SPILL_LIFETIME = Duration.ofMinutes(2);

    public static final long DEFAULT_MAX_SPILL_BYTES = 1L << 30;
    private static final int PROBE_BYTES = 64 * 1024;
    /** A storage that cannot be read fails every request: one warning per interval, not one per request. */
    static final Duration READ_FAILURE_LOG_INTERVAL = Duration.ofMinutes(1);

    private final Path spillDir;
    private final long maxSpillBytes;
    private final AtomicLong spillBytes = new AtomicLong();
    private final Runnable onWriteFailure;
    private final Runnable onReadFailure;
    private final Clock clock;
    /** Apart, so that a planted link, which fails its key's every request, does not hide a storage gone down. */
    private final WarningPace readFailureWarnings;

    private final WarningPace unusableEntryWarnings;
    /** A full disk fails every miss's write: one warning a minute says so, with how many since. */
    private final WarningPace writeFailureWarnings;

    /**
     * @param spillDir where pass-through bodies wait to be served; best on another volume (e.g. /tmp)
     * @param onWriteFailure told once per failed write, e.g. to evict at once
     */
    public PassThroughStorage(Storage storage, Path spillDir, Runnable onWriteFailure, Clock clock) throws IOException {
        this(storage, spillDir, onWriteFailure, clock, DEFAULT_MAX_SPILL_BYTES);
    }

    /** @param maxSpillBytes the most the spill files may hold together; a spill past it fails the download */
    public PassThroughStorage(Storage storage, Path spillDir, Runnable onWriteFailure, Clock clock, long maxSpillBytes)
            throws IOException {
        this(storage, spillDir, onWriteFailure, () -> {}, clock, maxSpillBytes);
    }

    /** @param onReadFailure told once per lookup the storage could not answer, e.g. to count it */
    public PassThroughStorage(
            Storage storage,
            Path spillDir,
            Runnable onWriteFailure,
            Runnable onReadFailure,
            Clock clock,
            long maxSpillBytes)
            throws IOException {
        super(storage);
        this.spillDir = spillDir;
        this.maxSpillBytes = maxSpillBytes;
        this.onWriteFailure = onWriteFailure;
        this.onReadFailure = onReadFailure;
        this.clock = clock;
        this.readFailureWarnings = new WarningPace(READ_FAILURE_LOG_INTERVAL, clock);
        this.unusableEntryWarnings = new WarningPace(READ_FAILURE_LOG_INTERVAL, clock);
        this.writeFailureWarnings = new WarningPace(READ_FAILURE_LOG_INTERVAL, clock);
        Files.createDirectories(spillDir);
        sweep(Duration.ZERO);
        spillBytes.set(0);
    }

    /**
     * A lookup the storage cannot answer is a miss: the upstream serves the module and, when the storage
     * cannot take it either, it goes out through a spill file. Failing the request instead would stop every
     * build that needs anything not already in memory while the bucket is unreachable.
     */
    @Override
    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
        try {
            return delegate.lookup(key);
        } catch (CircuitBreakingStorage.Skipped e) {
            return Optional.empty();
        } catch (IOException e) {
            readFailed(key, e);
            return Optional.empty();
        }
    }

    private void readFailed(StorageKey key, IOException e) {
        onReadFailure.run();
        unusable(key, e);
    }

    /**
     * Logs a lookup, or a write of an {@link UnusableEntryException} (a link or a directory where an object
     * should be), at most once per {@link #READ_FAILURE_LOG_INTERVAL}: they fail every request for the key.
     */
    private void unusable(StorageKey key, IOException e) {
        String outcome;
        WarningPace pace;
        if (e instanceof UnusableEntryException unusable) {
            pace = unusableEntryWarnings;
            outcome = unusable.replacedByAFetch()
                    ? "serving from the upstream, and caching the fresh copy in its place"
                    : "serving from the upstream without caching until it is removed";
        } else {
            pace = readFailureWarnings;
            outcome = "serving from the upstream without caching";
        }
        long failures = pace.due();
        if (failures > 0) {
            LOG.warnf(
                    "cannot read from %s (%s): %s (%s)",
                    delegate.describe(), e.getMessage(), outcome, pace.since(failures, "such failure"));
        } else {
            LOG.debugf("cannot use %s: %s", key, e.getMessage());
        }
    }

    /** What the last probe that passed through the spill directory found; null once the storage takes writes. */
    private volatile String writeProblem;

    @Override
    public Optional<String> writeProblem() {
        return Optional.ofNullable(writeProblem);
    }

    /** Up while either the storage or the spill directory can take a module. */
    @Override
    public void probeWritable() throws IOException {
        try {
            delegate.probeWritable();
            writeProblem = null;
        } catch (IOException storageFull) {
            sweep(SPILL_LIFETIME);
            if (spillBytes.get() >= maxSpillBytes) {
                throw new IOException(
                        "the cache storage cannot take writes (" + storageFull.getMessage()
                                + ") and the pass-through directory " + spillDir + " is full (" + spillBytes.get()
                                + " bytes)",
                        storageFull);
            }
            Path probe = null;
            try {
                probe = Files.createTempFile(spillDir, "probe-", ".tmp");
                Files.write(probe, new byte[PROBE_BYTES]);
            } catch (IOException spillFull) {
                throw new IOException(
                        "the cache storage cannot take writes (" + storageFull.getMessage()
                                + ") and neither can the pass-through directory " + spillDir + " ("
                                + spillFull.getMessage() + ")",
                        spillFull);
            } finally {
                if (probe != null) {
                    Files.deleteIfExists(probe);
                }
            }
            writeProblem = "nothing new is cached: " + delegate.describe() + " cannot take writes ("
                    + storageFull.getMessage() + "); modules are served through the pass-through directory "
                    + spillDir + " without being kept";
        }
    }

    @Override
    public StorageWriter openWriter(StorageKey key) throws IOException {
        try {
            return new SpillingWriter(key, delegate.openWriter(key));
        } catch (IOException e) {
            SpillingWriter writer = new SpillingWriter(key, null);
            writer.spill(e);
            return writer;
        }
    }

    /** Spill files outlive their answer by a while so coalesced waiters can still send them. */
    private void sweep(Duration olderThan) {
        long cutoff = clock.millis() - olderThan.toMillis();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(spillDir, "passthrough-*")) {
            for (Path file : files) {
                if (Files.getLastModifiedTime(file).toMillis() <= cutoff) {
                    long size = Files.size(file);
                    if (Files.deleteIfExists(file)) {
                        spillBytes.addAndGet(-size);
                    }
                }
            }
        } catch (IOException e) {
            LOG.debugf(e, "cannot sweep pass-through files in %s", spillDir);
        }
    }

    private final class SpillingWriter implements StorageWriter {
        private final StorageKey key;
        private StorageWriter target;
        private Path spillFile;
        private OutputStream spillOut;
        private long written;
        private long spilled;
        private boolean committed;

        private final OutputStream output = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (spillOut == null) {
                    try {
                        // flushed each time so that on a failure exactly `written` bytes are known to be staged
                        target.output().write(b, off, len);
                        target.output().flush();
                        written += len;
                        return;
                    } catch (IOException e) {
                        spill(e);
                    }
                }
                reserve(len);
                spillOut.write(b, off, len);
                written += len;
            }

            @Override
            public void flush() throws IOException {
                if (spillOut != null) {
                    spillOut.flush();
                    return;
                }
                try {
                    target.output().flush();
                } catch (IOException e) {
                    spill(e);
                }
            }
        };

        SpillingWriter(StorageKey key, StorageWriter target) {
            this.key = key;
            this.target = target;
        }

        /** Moves what was staged so far into a spill file and writes there from now on. */
        void spill(IOException cause) throws IOException {
            if (cause instanceof CircuitBreakingStorage.Skipped) {
                LOG.debugf("not storing %s: %s", key, cause.getMessage());
            } else if (cause instanceof UnusableEntryException) {
                // a link or a directory in the object's place: the storage is fine, nothing to evict
                unusable(key, cause);
            } else {
                long failures = writeFailureWarnings.due();
                if (failures > 0) {
                    LOG.warnf(
                            "cannot store %s in %s (%s): serving it without caching (%s)",
                            key,
                            delegate.describe(),
                            cause.getMessage(),
                            writeFailureWarnings.since(failures, "such failure"));
                } else {
                    LOG.debugf("cannot store %s: %s", key, cause.getMessage());
                }
                onWriteFailure.run();
            }
            sweep(SPILL_LIFETIME);
            if (spillBytes.get() >= maxSpillBytes) {
                throw new IOException(
                        "cannot store " + key + " (" + cause.getMessage() + ") and the pass-through directory "
                                + spillDir + " is full",
                        cause);
            }
            spillFile = Files.createTempFile(spillDir, "passthrough-", ".part");
            spillOut = Files.newOutputStream(spillFile);
            if (target != null) {
                // what was written, or less: a check may have rewritten the complete staged file shorter before its
                // commit failed (a version list loses the lines the go command skips)
                long staged = written > 0 ? Math.min(written, Files.size(target.stagedFile())) : 0;
                if (staged > 0) {
                    reserve(staged);
                    try (InputStream in = Files.newInputStream(target.stagedFile())) {
                        copyExactly(in, spillOut, staged);
                    }
                }
                closeQuietly(target);
                target = null;
            }
        }

        /** Counts bytes about to go to the spill file against the bound. */
        private void reserve(long bytes) throws IOException {
            if (spillBytes.addAndGet(bytes) > maxSpillBytes) {
                spillBytes.addAndGet(-bytes);
                throw new IOException("the pass-through directory " + spillDir + " is full (" + maxSpillBytes
                        + " bytes): cannot serve " + key + " without caching it");
            }
            spilled += bytes;
        }

        @Override
        public OutputStream output() {
            return output;
        }

        @Override
        public Path stagedFile() {
            return spillFile != null ? spillFile : target.stagedFile();
        }

        @Override
        public StoredObject commit() throws IOException {
            if (spillOut == null) {
                try {
                    StoredObject stored = target.commit();
                    committed = true;
                    return stored;
                } catch (IOException e) {
                    if (!Files.exists(target.stagedFile())) {
                        throw e; // published already or lost: nothing to fall back on
                    }
                    spill(e);
                }
            }
            spillOut.close();
            committed = true;
            return StoredObject.ofFile(key, spillFile, Files.size(spillFile), clock.instant())
                    .notInStorage();
        }

        @Override
        public void close() throws IOException {
            if (target != null) {
                target.close();
            }
            if (spillOut != null && !committed) {
                spillOut.close();
                if (Files.deleteIfExists(spillFile)) {
                    spillBytes.addAndGet(-spilled);
                }
            }
        }

        private static void copyExactly(InputStream in, OutputStream out, long count) throws IOException {
            byte[] buffer = new byte[64 * 1024];
            long left = count;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("staged file shorter than the bytes written to it");
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        }

        private static void closeQuietly(StorageWriter writer) {
            try {
                writer.close();
            } catch (IOException e) {
                LOG.debugf(e, "cannot discard a staged file");
            }
        }
    }
}
