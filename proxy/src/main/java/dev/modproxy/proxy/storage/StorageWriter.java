package dev.modproxy.proxy.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Writes one object into a local staging file. Nothing is visible under the key until
 * {@link #commit()}; closing without a commit discards the staged bytes.
 */
public interface StorageWriter extends Closeable {

    OutputStream output();

    /** The staged file, complete once the output has been flushed: verifiers read it before commit. */
    Path stagedFile();

    /**
     * Flushes, syncs and publishes the staged bytes atomically under the key. Release the object returned once it
     * has been served (or at once if it will not be): a storage that evicts keeps it until then.
     */
    StoredObject commit() throws IOException;

    /** Discards the staged bytes unless committed. */
    @Override
    void close() throws IOException;
}
