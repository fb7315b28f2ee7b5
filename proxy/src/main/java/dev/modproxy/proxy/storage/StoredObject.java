package dev.modproxy.proxy.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A complete stored object: its size, when it was written, and either a local file (served with
 * sendfile), its bytes in memory (small objects), or an opener for a stream (remote storage).
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
    private final ByteBuffer content;
    private final Opener opener;
    private final Runnable onRelease;
    private final boolean inStorage;
    private final AtomicBoolean released = new AtomicBoolean();

    private StoredObject(
            StorageKey key,
            long size,
            Instant lastModified,
            Path localFile,
            ByteBuffer content,
            Opener opener,
            Runnable onRelease,
            boolean inStorage) {
        this.key = key;
        this.size = size;
        this.lastModified = lastModified;
        this.localFile = localFile;
        this.content = content;
        this.opener = opener;
        this.onRelease = onRelease;
        this.inStorage = inStorage;
    }

    public static StoredObject ofFile(StorageKey key, Path file, long size, Instant lastModified) {
        return new StoredObject(key, size, lastModified, file, null, () -> Files.newInputStream(file), null, true);
    }

    public static StoredObject ofStream(StorageKey key, long size, Instant lastModified, Opener opener) {
        return new StoredObject(key, size, lastModified, null, null, opener, null, true);
    }

    /** An object whose bytes are at hand; the array is shared, never modify it. */
    public static StoredObject ofBytes(StorageKey key, byte[] content, Instant lastModified) {
        return ofBytes(key, ByteBuffer.wrap(content).asReadOnlyBuffer(), lastModified);
    }

    /**
     * An object whose bytes are at hand, on or off the heap (a read-only view; valid until the
     * object is released when its owner says so, see {@link #withRelease}).
     */
    public static StoredObject ofBytes(StorageKey key, ByteBuffer content, Instant lastModified) {
        return new StoredObject(
                key,
                content.remaining(),
                lastModified,
                null,
                content,
                () -> new ByteArrayInputStream(copyOf(content)),
                null,
                true);
    }

    private static byte[] copyOf(ByteBuffer content) {
        byte[] copy = new byte[content.remaining()];
        content.duplicate().get(copy);
        return copy;
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

    /** Present when the bytes are already in memory: a fresh read-only view of them, each call. */
    public Optional<ByteBuffer> content() {
        return content == null ? Optional.empty() : Optional.of(content.duplicate());
    }

    public InputStream open() throws IOException {
        return opener.open();
    }

    /** False for an answer served without being stored (the storage could not take it). */
    public boolean inStorage() {
        return inStorage;
    }

    /** The same object with an action to run once when the caller is done with it (e.g. ends an eviction lease). */
    public StoredObject withRelease(Runnable action) {
        return new StoredObject(key, size, lastModified, localFile, content, opener, action, inStorage);
    }

    /** The same bytes, marked as not kept by the storage. */
    public StoredObject notInStorage() {
        return new StoredObject(key, size, lastModified, localFile, content, opener, onRelease, false);
    }

    /** Tells the storage this object is no longer being served; safe to call more than once. */
    public void release() {
        if (onRelease != null && released.compareAndSet(false, true)) {
            onRelease.run();
        }
    }
}
