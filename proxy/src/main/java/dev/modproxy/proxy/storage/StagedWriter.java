package dev.modproxy.proxy.storage;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jboss.logging.Logger;

/**
 * A {@link StorageWriter} over a local staging file: buffering, commit at most once, and removal
 * of the staged file on close live here; a storage says only how to publish the complete file.
 */
abstract class StagedWriter implements StorageWriter {

    private static final Logger LOG = Logger.getLogger(StagedWriter.class);

    /**
     * A staged file at least this large is published through a copy of it written {@link #WHOLE_COPY_WRITE} at a time,
     * when the storage serves it from this machine's page cache. The staged file is written as the upstream's body
     * arrives, each read flushed at once for the first client and the early zip check, and a file system that sizes
     * its page-cache folios by the writes that fill them (ext4 on Linux 6.18 here) keeps such a file in 4 and 8 KiB
     * folios for as long as it stays cached: every later sendfile of it looks up and takes thousands of them. A 20 MB
     * zip sent so cost about 1 ms of kernel time more per response than the same bytes in large folios
     * (docs/benchmarks.md, "Where a 20 MB hit's CPU goes"). Smaller files go out in a few calls, or from memory, and
     * are not worth a second write.
     */
    static final long WHOLE_COPY_FROM = 4L << 20;

    /** The size of each write of that copy, and so of the folios the page cache keeps it in. */
    static final int WHOLE_COPY_WRITE = 2 << 20;

    /** The file being written, then the copy of it that is published ({@link #WHOLE_COPY_FROM}). */
    private Path staged;

    private final boolean durable;
    private final boolean servedFromPageCache;
    private final FileChannel channel;
    private final OutputStream output;
    private boolean committed;
    private boolean closed;

    /**
     * @param durable fsync the staged bytes before publishing (when publishing is a rename)
     * @param servedFromPageCache the published file is what hits are sent from (a volume, not a bucket): a large one
     *     is published through a copy written in large pieces ({@link #WHOLE_COPY_FROM})
     */
    StagedWriter(Path staged, boolean durable, boolean servedFromPageCache) throws IOException {
        this.staged = staged;
        this.durable = durable;
        this.servedFromPageCache = servedFromPageCache;
        try {
            this.channel = FileChannel.open(
                    staged, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
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
        long size = channel.size();
        Path copy = servedFromPageCache && size >= WHOLE_COPY_FROM ? copiedInLargeWrites(size) : null;
        if (copy == null && durable) {
            channel.force(true);
        }
        channel.close();
        if (copy != null) {
            staged = inPlaceOfStaged(copy);
        }
        StoredObject stored = publish(staged, size);
        committed = true;
        return stored;
    }

    /**
     * A copy of the staged bytes beside it, written {@link #WHOLE_COPY_WRITE} at a time (and made durable) with the
     * staged file's modification time, as a rename keeps it; null when it could not be made (a volume nearly full):
     * the copy only makes later hits cheaper, so the staged file is published as it is.
     */
    private Path copiedInLargeWrites(long size) throws IOException {
        Path copy = staged.resolveSibling(staged.getFileName() + ".whole");
        FileChannel to;
        try {
            to = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            LOG.debugf("%s published as written, not through a copy in large writes: %s", staged, e.toString());
            return null; // not made here: whatever is in its place is not this writer's to remove
        }
        try (to) {
            ByteBuffer piece = ByteBuffer.allocateDirect(WHOLE_COPY_WRITE);
            long at = 0;
            while (at < size) {
                piece.clear().limit((int) Math.min(WHOLE_COPY_WRITE, size - at));
                while (piece.hasRemaining()) {
                    if (channel.read(piece, at + piece.position()) < 0) {
                        throw new IOException("ended at " + (at + piece.position()) + " of its " + size + " bytes");
                    }
                }
                piece.flip();
                while (piece.hasRemaining()) {
                    at += to.write(piece, at);
                }
            }
            if (durable) {
                to.force(true);
            }
            Files.setLastModifiedTime(copy, Files.getLastModifiedTime(staged));
        } catch (IOException e) {
            LOG.debugf("%s published as written, not through a copy in large writes: %s", staged, e.toString());
            Files.deleteIfExists(copy);
            return null;
        }
        return copy;
    }

    /**
     * Removes the staged file, whose bytes its copy now holds (whoever still reads it keeps them through the open
     * file), and returns the copy. If the staged file cannot be removed the copy is, and the commit fails: the staged
     * file was not made durable, so it is not published in its place.
     */
    private Path inPlaceOfStaged(Path copy) throws IOException {
        try {
            Files.delete(staged);
            return copy;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(copy);
            } catch (IOException cleanUp) {
                e.addSuppressed(cleanUp);
            }
            throw e;
        }
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
