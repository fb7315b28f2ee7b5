package dev.modproxy.proxy.storage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * A complete stored object: its size, when it was written, and either a local file (served with
 * sendfile), its bytes in memory (small objects), or an opener for a stream (remote storage).
 *
 * <p>Bytes in memory are a Netty buffer, the form the HTTP layer writes to the socket without a copy.
 * A memory hit makes one of these per request: keep it small.
 */
public final class StoredObject {

    /** Opens the content of a remote object. */
    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;

        /** The content from offset on (a range request); a store that can ask for only those bytes overrides it. */
        default InputStream open(long offset) throws IOException {
            InputStream in = open();
            try {
                in.skipNBytes(offset);
            } catch (IOException e) {
                in.close();
                throw e;
            }
            return in;
        }
    }

    private final StorageKey key;
    private final long size;
    private final Instant lastModified;
    private final Path localFile;
    private final ByteBuf content;
    private final Opener opener;
    private final Runnable onRelease;
    private final boolean inStorage;
    /** 1 once released; a field rather than an AtomicBoolean, one object less per hit. */
    private volatile int released;

    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup().findVarHandle(StoredObject.class, "released", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private StoredObject(
            StorageKey key,
            long size,
            Instant lastModified,
            Path localFile,
            ByteBuf content,
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
        return ofBytes(key, Unpooled.wrappedBuffer(content), lastModified, null);
    }

    /**
     * An object whose bytes are at hand, on or off the heap. The buffer is shared by everyone reading
     * the object: read it by index or through {@code duplicate()}/{@code slice()}, never move its own
     * indices. It stays valid until the object is released, which runs {@code onRelease} (may be null).
     */
    public static StoredObject ofBytes(StorageKey key, ByteBuf content, Instant lastModified, Runnable onRelease) {
        return new StoredObject(key, content.readableBytes(), lastModified, null, content, null, onRelease, true);
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

    /** Present when the bytes are already in memory: the shared buffer (see {@link #ofBytes(StorageKey, ByteBuf, Instant, Runnable)}). */
    public Optional<ByteBuf> content() {
        return Optional.ofNullable(content);
    }

    public InputStream open() throws IOException {
        return open(0);
    }

    /** The content from offset on, for a range request: a file seeks, a remote store asks for only those bytes. */
    public InputStream open(long offset) throws IOException {
        if (content != null) {
            // bytes in memory are copied: the stream may be read after the object was released
            return new ByteArrayInputStream(
                    ByteBufUtil.getBytes(content, content.readerIndex() + (int) offset, (int) (size - offset)));
        }
        return offset == 0 ? opener.open() : opener.open(offset);
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
        if (onRelease != null && RELEASED.compareAndSet(this, 0, 1)) {
            onRelease.run();
        }
    }
}
