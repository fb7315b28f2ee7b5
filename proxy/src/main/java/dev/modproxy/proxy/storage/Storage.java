package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where cached answers live. Implementations publish objects atomically: a lookup sees either
 * nothing or a complete object, never a partial one, even after a crash.
 */
public interface Storage {

    Optional<StoredObject> lookup(StorageKey key) throws IOException;

    /** Opens a writer that stages bytes locally and publishes them under the key on commit. */
    StorageWriter openWriter(StorageKey key) throws IOException;

    /** Removes the object; returns whether it existed. */
    boolean delete(StorageKey key) throws IOException;

    /** Registers a listener told after each deletion or eviction; decorators hand it to the storage they wrap. */
    void addRemovalListener(RemovalListener listener);

    /** Every complete object with its size; close the stream when done. */
    Stream<StorageEntry> entries() throws IOException;

    /** Current totals, kept up to date without a scan: cheap enough for the event loop. */
    StorageUsage usage();

    /** False while {@link #usage()} is still being counted (a large cache is counted after start-up). */
    default boolean usageCounted() {
        return true;
    }

    /** Fails when the storage cannot take writes (used by readiness). */
    void probeWritable() throws IOException;

    /**
     * What the last {@link #probeWritable} that passed found wrong all the same: the storage itself could not take
     * the write, and modules are served without being cached (a pass-through takes them). Empty when it could.
     */
    default Optional<String> writeProblem() {
        return Optional.empty();
    }

    /**
     * Whether lookup is a local file-system stat that may run on the event loop; false for
     * anything that goes over the network.
     */
    default boolean lookupIsLocal() {
        return false;
    }

    /** A short human description for logs, e.g. the root directory. */
    String describe();
}
