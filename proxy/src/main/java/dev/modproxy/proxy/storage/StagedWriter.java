package dev.modproxy.proxy.storage;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link StorageWriter} over a local staging file: buffering, commit at most once, and removal
 * of the staged file on close live here; a storage says only how to publish the complete file.
 */
abstract class StagedWriter implements StorageWriter {

    private final Path staged;
    private final boolean durable;
    private final FileChannel channel;
    private final OutputStream output;
    private boolean committed;
    private boolean closed;

    /** @param durable fsync the staged bytes before publishing (when publishing is a rename) */
    StagedWriter(Path staged, boolean durable) throws IOException {
        this.staged = staged;
        this.durable = durable;
        try {
            this.channel = FileChannel.open(staged, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException | RuntimeException e) {
            // made by the caller, not opened: nobody would remove it but the next start's clean-up
            try {
                Files.deleteIfExists(staged);
            } catch (IOException cleanUp) {
                e.addSuppressed(cleanUp);
            }
            throw e;
        }
        this.output = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
    }

    /**
     * Makes the complete staged file visible under the key. On success the staged file is the
     * storage's (moved into place, or deleted once uploaded); on failure it must stay where it is.
     */
    abstract StoredObject publish(Path stagedFile, long size) throws IOException;

    @Override
    public final OutputStream output() {
        return output;
    }

    @Override
    public final Path stagedFile() {
        return staged;
    }

    @Override
    public final StoredObject commit() throws IOException {
        if (committed || closed) {
            throw new IllegalStateException("writer already closed");
        }
        output.flush();
        if (durable) {
            channel.force(true);
        }
        long size = channel.size();
        channel.close();
        StoredObject stored = publish(staged, size);
        committed = true;
        return stored;
    }

    /** Discards the staged bytes unless they were published. */
    @Override
    public final void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        channel.close();
        if (!committed) {
            Files.deleteIfExists(staged);
        }
    }
}
