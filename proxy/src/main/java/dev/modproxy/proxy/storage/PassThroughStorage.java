package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Keeps serving when the storage cannot take a write (disk full, bucket unreachable): the bytes
 * move to a spill file outside the storage, the client gets its module from there, and nothing is
 * published under the key, so no partial or unverified object is ever stored.
 */
public final class PassThroughStorage extends ForwardingStorage implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PassThroughStorage.class);
    private static final Duration SPILL_LIFETIME = Duration.ofMinutes(10);

    private final Path spillDir;
    private final Runnable onWriteFailure;
    private final Clock clock;

    /**
     * @param spillDir where pass-through bodies wait to be served; best on another volume (e.g. /tmp)
     * @param onWriteFailure told once per failed write, e.g. to evict at once
     */
    public PassThroughStorage(Storage storage, Path spillDir, Runnable onWriteFailure, Clock clock) throws IOException {
        super(storage);
        this.spillDir = spillDir;
        this.onWriteFailure = onWriteFailure;
        this.clock = clock;
        Files.createDirectories(spillDir);
        sweep(Duration.ZERO);
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

    @Override
    public void close() throws Exception {
        if (delegate instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    /** Spill files outlive their answer by a while so coalesced waiters can still send them. */
    private void sweep(Duration olderThan) {
        long cutoff = clock.millis() - olderThan.toMillis();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(spillDir, "passthrough-*")) {
            for (Path file : files) {
                if (Files.getLastModifiedTime(file).toMillis() <= cutoff) {
                    Files.deleteIfExists(file);
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
            LOG.warnf("cannot store %s in %s (%s): serving it without caching", key, delegate.describe(), cause.getMessage());
            onWriteFailure.run();
            sweep(SPILL_LIFETIME);
            spillFile = Files.createTempFile(spillDir, "passthrough-", ".part");
            spillOut = Files.newOutputStream(spillFile);
            if (target != null) {
                if (written > 0) {
                    try (InputStream staged = Files.newInputStream(target.stagedFile())) {
                        copyExactly(staged, spillOut, written);
                    }
                }
                closeQuietly(target);
                target = null;
            }
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
            return StoredObject.ofFile(key, spillFile, Files.size(spillFile), clock.instant()).notInStorage();
        }

        @Override
        public void close() throws IOException {
            if (target != null) {
                target.close();
            }
            if (spillOut != null && !committed) {
                spillOut.close();
                Files.deleteIfExists(spillFile);
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
