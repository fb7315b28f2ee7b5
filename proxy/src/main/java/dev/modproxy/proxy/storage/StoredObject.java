package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A complete stored object: its size, when it was written, and either a local file (served with
 * sendfile) or an opener for a stream (remote storage).
 */
public final class StoredObject {

    /** Opens the content of a remote object. */
    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;
    }

    private final StorageKey key;
    private final long size;
    private final Instant lastModified;
    private final Path localFile;
    private final Opener opener;
    private final Runnable onRelease;
    private final AtomicBoolean released = new AtomicBoolean();

    private StoredObject(StorageKey key, long size, Instant lastModified, Path localFile, Opener opener, Runnable onRelease) {
        this.key = key;
        this.size = size;
        this.lastModified = lastModified;
        this.localFile = localFile;
        this.opener = opener;
        this.onRelease = onRelease;
    }

    public static StoredObject ofFile(StorageKey key, Path file, long size, Instant lastModified) {
        return new StoredObject(key, size, lastModified, file, () -> Files.newInputStream(file), null);
    }

    public static StoredObject ofStream(StorageKey key, long size, Instant lastModified, Opener opener) {
        return new StoredObject(key, size, lastModified, null, opener, null);
    }

    public StorageKey key() {
        return key;
    }

    public long size() {
        return size;
    }

    public Instant lastModified() {
        return lastModified;
    }

    /** Present when the bytes are a local file that can be sent zero-copy. */
    public Optional<Path> localFile() {
        return Optional.ofNullable(localFile);
    }

    public InputStream open() throws IOException {
        return opener.open();
    }

    /** The same object with an action to run once when the caller is done with it (e.g. ends an eviction lease). */
    public StoredObject withRelease(Runnable action) {
        return new StoredObject(key, size, lastModified, localFile, opener, action);
    }

    /** Tells the storage this object is no longer being served; safe to call more than once. */
    public void release() {
        if (onRelease != null && released.compareAndSet(false, true)) {
            onRelease.run();
        }
    }
}
