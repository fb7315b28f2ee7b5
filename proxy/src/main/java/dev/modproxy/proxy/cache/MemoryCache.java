package dev.modproxy.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StoredObject;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Small immutable artifacts ({@code .info}, {@code .mod} and module zips of canonical versions, up to
 * {@link #MAX_ENTRY_BYTES} each) kept in memory, so a hit on them costs no file-system call and goes
 * out in one write with its headers. Holds only what the storage holds: filled after a verified
 * artifact was stored or found in storage, dropped when the storage deletes or evicts the key.
 * Bounded by bytes (MODPROXY_MEMORY_CACHE_SIZE).
 *
 * <p>The bytes live outside the Java heap: a hit hands the socket a view of them, with no copy and
 * no garbage per request, and a full cache does not take the heap's room. Each entry's memory is
 * freed when the entry leaves the cache and the last response still writing it is done (reference
 * counts), so the cache's off-heap memory is its size plus what is being sent at that moment.
 *
 * <p>Module zips above that size, up to {@link #MAX_MAPPED_BYTES}, are kept as read-only mappings of
 * their local files instead of copies (at most {@link #MAPPED_LIMIT} bytes of files at a time, in an
 * account of their own so that they never push the small entries out). Written from a mapping, a
 * 1 MB zip goes out at 1.2 to 1.3 times nginx's rate where sendfile reached 0.8 to 0.9
 * (docs/benchmarks.md). The mapped pages are the kernel's file cache, not memory of the process's
 * own: they show in its resident size as file pages, and the kernel may drop them like any cached
 * file. A mapping is undone when it leaves the cache and the last response writing it is done, so
 * the file of an evicted zip does not keep taking disk space.
 */
public final class MemoryCache {

    private static final Logger LOG = Logger.getLogger(MemoryCache.class);

    /** Larger artifacts would crowd out the small ones: zips up to {@link #MAX_MAPPED_BYTES} are mapped instead. */
    static final int MAX_ENTRY_BYTES = 64 * 1024;

    /**
     * Larger zips stay with sendfile: written from a mapping, a 20 MB zip went out faster than nginx,
     * but a client reading many connections on one thread (wrk) saw some requests wait up to eight
     * times nginx's p99 (not explained yet; docs/benchmarks.md).
     */
    static final long MAX_MAPPED_BYTES = 4L << 20;

    /** The most bytes of files mapped at a time (their pages count in the process's resident size as file pages). */
    static final long MAPPED_LIMIT = 64L << 20;

    /** How often a local storage is asked again, which also keeps the file's recency for disk eviction. */
    static final Duration RECHECK = Duration.ofMinutes(1);

    private static final long RECHECK_MILLIS = RECHECK.toMillis();

    /**
     * The bytes of one artifact (a copy off the heap, or a mapping of its file; owned by the cache)
     * and when the storage last confirmed it holds them. A hit takes a reference to the bytes and
     * gives it back when its response is written, through the one release action made here: a hit
     * makes only its stored object.
     */
    static final class Entry {

        private final ByteBuf bytes;
        private final Instant lastModified;
        private final long confirmedAtMillis;
        private final Runnable release;
        private final boolean mapped;

        private Entry(ByteBuf bytes, Instant lastModified, long confirmedAtMillis, Runnable release, boolean mapped) {
            this.bytes = bytes;
            this.lastModified = lastModified;
            this.confirmedAtMillis = confirmedAtMillis;
            this.release = release;
            this.mapped = mapped;
        }

        Entry(ByteBuf bytes, Instant lastModified, long confirmedAtMillis) {
            this(bytes, lastModified, confirmedAtMillis, bytes::release, false);
        }

        /** A mapping of a file: the last reference given up unmaps it (a read-only view frees nothing itself). */
        static Entry mapping(MappedByteBuffer mapping, Instant lastModified, long confirmedAtMillis) {
            ByteBuf view = Unpooled.wrappedBuffer(mapping);
            Runnable unmap = () -> {
                if (view.release()) {
                    PlatformDependent.freeDirectBuffer(mapping);
                }
            };
            return new Entry(view, lastModified, confirmedAtMillis, unmap, true);
        }

        /** The same bytes, confirmed again at that time. */
        Entry confirmedAt(long millis) {
            return new Entry(bytes, lastModified, millis, release, mapped);
        }

        /** Whether the bytes are a mapping of the artifact's file rather than a copy. */
        boolean mapped() {
            return mapped;
        }

        ByteBuf bytes() {
            return bytes;
        }

        Instant lastModified() {
            return lastModified;
        }

        long confirmedAtMillis() {
            return confirmedAtMillis;
        }

        int size() {
            return bytes.readableBytes();
        }

        /**
         * The entry as a stored object whose bytes stay valid until it is released; null when the
         * entry left the cache (and its memory was freed) since it was looked up.
         */
        StoredObject hold(StorageKey key) {
            return retain() ? StoredObject.ofBytes(key, bytes, lastModified, release) : null;
        }

        /** A heap copy of the bytes; null when the entry left the cache since it was looked up. */
        byte[] copy() {
            if (!retain()) {
                return null;
            }
            try {
                return ByteBufUtil.getBytes(bytes);
            } finally {
                release.run();
            }
        }

        /** Gives up one reference: the cache's when the entry leaves it, a response's when it is written. */
        void release() {
            release.run();
        }

        /** Takes a reference to the bytes; false when their memory was freed (the entry left the cache). */
        private boolean retain() {
            try {
                bytes.retain();
                return true;
            } catch (IllegalReferenceCountException evicted) {
                return false;
            }
        }
    }

    private final long maxBytes;
    private final Clock clock;
    private final Cache<StorageKey, Entry> entries;
    private final Cache<StorageKey, Entry> mapped;
    private final AtomicLong removals = new AtomicLong();
    private final AtomicBoolean toldOutOfMemory = new AtomicBoolean();

    /**
     * @param maxBytes 0 disables the memory cache
     * @param directMemoryLimit the JVM's limit on memory outside the heap (-XX:MaxDirectMemorySize, by
     *     default -Xmx): the cache takes at most half of it, the rest is for network buffers
     */
    public MemoryCache(long maxBytes, long directMemoryLimit, Clock clock) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("MODPROXY_MEMORY_CACHE_SIZE must not be negative");
        }
        long allowed = directMemoryLimit / 2;
        if (maxBytes > allowed) {
            LOG.warnf(
                    "MODPROXY_MEMORY_CACHE_SIZE is %d bytes, but the memory cache lives outside the heap and may take"
                            + " at most half of the JVM's direct memory (%d bytes, -XX:MaxDirectMemorySize, which"
                            + " defaults to -Xmx): using %d bytes. Raise -XX:MaxDirectMemorySize or -Xmx to use more.",
                    maxBytes, directMemoryLimit, allowed);
            maxBytes = allowed;
        }
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.entries = maxBytes == 0 ? null : bounded(maxBytes);
        this.mapped = maxBytes == 0 ? null : bounded(MAPPED_LIMIT);
    }

    private static Cache<StorageKey, Entry> bounded(long maxBytes) {
        return Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((StorageKey key, Entry entry) ->
                        entry.size() + key.value().length())
                // every way out of the cache (evicted, replaced, invalidated) gives up the cache's reference
                .removalListener((StorageKey key, Entry entry, RemovalCause cause) -> {
                    if (entry != null) {
                        entry.release();
                    }
                })
                .executor(Runnable::run) // evict on the caller's thread: no pool, and the bound holds when put returns
                .build();
    }

    /** Whether the answer to this request, of this many bytes, belongs in memory. */
    boolean wants(ProxyRequest request, long size) {
        return request.immutable() && request.kind().keptInMemory() && fits(size);
    }

    private boolean fits(long size) {
        return entries != null && size <= Math.min(MAX_ENTRY_BYTES, maxBytes);
    }

    /** Whether this answer, too large for {@link #wants}, is a zip to keep as a mapping of its local file. */
    boolean wantsMapped(ProxyRequest request, long size) {
        return mapped != null
                && request.immutable()
                && request.kind().large()
                && !fits(size)
                && size <= MAX_MAPPED_BYTES;
    }

    Entry get(StorageKey key) {
        if (entries == null) {
            return null;
        }
        Entry entry = entries.getIfPresent(key);
        return entry != null ? entry : mapped.getIfPresent(key);
    }

    boolean dueForRecheck(Entry entry) {
        return clock.millis() - entry.confirmedAtMillis() >= RECHECK_MILLIS;
    }

    /** Take this before asking the storage; {@link #remember} refuses bytes when a removal came in between. */
    long removalsSoFar() {
        return removals.get();
    }

    /** A copy of the bytes in memory of the cache's kind, for {@link #keep}; null when there is none to give. */
    ByteBuf copy(ByteBuf content) {
        ByteBuf bytes = allocate(content.readableBytes());
        if (bytes != null) {
            bytes.writeBytes(content, content.readerIndex(), content.readableBytes());
        }
        return bytes;
    }

    /**
     * A file of {@code size} bytes read straight into memory of the cache's kind (no copy on the heap),
     * for {@link #keep}; null when there is none to give or the file holds another number of bytes.
     */
    ByteBuf read(Path file, long size) throws IOException {
        ByteBuf bytes = allocate(size);
        if (bytes == null) {
            return null;
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            while (bytes.isWritable() && bytes.writeBytes(in, bytes.writerIndex(), bytes.writableBytes()) > 0) {
                // until the buffer is full or the file ends
            }
            if (!bytes.isWritable() && in.size() == size) {
                return bytes;
            }
        } catch (IOException | RuntimeException e) {
            bytes.release();
            throw e;
        }
        bytes.release();
        return null;
    }

    /** Memory for one entry outside the heap, or null (nothing is kept) when the JVM has none to give. */
    private ByteBuf allocate(long size) {
        if (!fits(size)) {
            return null;
        }
        try {
            return UnpooledByteBufAllocator.DEFAULT.directBuffer((int) size, (int) size);
        } catch (OutOfMemoryError e) {
            // the JVM's direct memory is taken by others (network buffers): serve from storage instead
            if (toldOutOfMemory.compareAndSet(false, true)) {
                LOG.warnf(
                        "no direct memory left for the memory cache (%s); small artifacts are served from storage"
                                + " until there is. Raise -XX:MaxDirectMemorySize or lower MODPROXY_MEMORY_CACHE_SIZE.",
                        e.getMessage());
            }
            return null;
        }
    }

    /**
     * Keeps bytes from {@link #copy} or {@link #read} (the cache owns them from here on) as what the
     * storage holds under the key since {@code removalsBefore} was taken.
     */
    void keep(StorageKey key, ByteBuf bytes, Instant lastModified, long removalsBefore) {
        put(entries, key, new Entry(bytes, lastModified, clock.millis()), removalsBefore);
    }

    /**
     * Maps a local file of {@code size} bytes read-only and keeps the mapping (see {@link #wantsMapped})
     * as what the storage holds under the key since {@code removalsBefore} was taken. Nothing is kept
     * when the file holds another number of bytes: a mapping past the end of a file cannot be read.
     */
    void keepMapped(StorageKey key, Path file, long size, Instant lastModified, long removalsBefore)
            throws IOException {
        MappedByteBuffer mapping;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            if (in.size() != size) {
                return;
            }
            mapping = in.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        put(mapped, key, Entry.mapping(mapping, lastModified, clock.millis()), removalsBefore);
    }

    private void put(Cache<StorageKey, Entry> cache, StorageKey key, Entry entry, long removalsBefore) {
        cache.put(key, entry);
        // put first, then check: a removal either sees the entry or is seen here
        if (removals.get() != removalsBefore) {
            cache.invalidate(key);
        }
    }

    /** The storage still holds the entry's bytes: it stays, due for its next recheck a {@link #RECHECK} from now. */
    void confirm(StorageKey key, Entry entry, long removalsBefore) {
        try {
            entry.bytes().retain(); // the new entry's reference; the old one's goes when it is replaced
        } catch (IllegalReferenceCountException evicted) {
            return;
        }
        put(entry.mapped() ? mapped : entries, key, entry.confirmedAt(clock.millis()), removalsBefore);
    }

    /** The storage no longer holds the key (a {@link dev.modproxy.proxy.storage.RemovalListener}). */
    public void forget(StorageKey key) {
        removals.incrementAndGet();
        if (entries != null) {
            entries.invalidate(key);
            mapped.invalidate(key);
        }
    }

    /**
     * Drops the key's entry as {@link #forget} does, for an admin's removal: also when the storage no longer holds
     * the key (its file removed by hand), which the storage tells nobody. Whether there was one.
     */
    boolean remove(StorageKey key) {
        removals.incrementAndGet();
        if (entries == null) {
            return false;
        }
        boolean copied = entries.asMap().remove(key) != null; // the removal listener frees it
        boolean wasMapped = mapped.asMap().remove(key) != null;
        return copied || wasMapped;
    }

    /** Drops every entry and frees its memory (once responses still sending it are done): the proxy is stopping. */
    public void clear() {
        if (entries != null) {
            entries.invalidateAll();
            mapped.invalidateAll();
        }
    }

    /** Bytes held (content plus key lengths), at most the configured size. */
    public long bytes() {
        return weight(entries);
    }

    public long count() {
        return entries == null ? 0 : entries.estimatedSize();
    }

    /** Bytes of files kept mapped (sizes plus key lengths), at most {@link #MAPPED_LIMIT}. */
    public long mappedBytes() {
        return weight(mapped);
    }

    public long mappedCount() {
        return mapped == null ? 0 : mapped.estimatedSize();
    }

    private static long weight(Cache<StorageKey, Entry> cache) {
        return cache == null
                ? 0
                : cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    public long maxBytes() {
        return maxBytes;
    }
}
