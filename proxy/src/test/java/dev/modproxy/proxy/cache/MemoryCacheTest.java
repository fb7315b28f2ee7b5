package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.ByteSize;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.testing.Mappings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryCacheTest {

    /** The JVM's limit on direct memory the tests pretend to run with (the README's -Xmx128m). */
    private static final long DIRECT_MEMORY = 128L << 20;

    private static ProxyRequest request(String path) throws Exception {
        return ProxyRequest.parse(path);
    }

    /** What the proxy does with bytes it stored: a copy off the heap, kept under the key. */
    private static void remember(MemoryCache memory, StorageKey key, byte[] content, long removalsBefore) {
        ByteBuf bytes = memory.copy(Unpooled.wrappedBuffer(content));
        if (bytes != null) { // null: the cache is off
            memory.keep(key, bytes, Instant.EPOCH, removalsBefore);
        }
    }

    /** A zip-sized file of {@code size} bytes whose content says where each byte is. */
    private static Path file(Path dir, String name, int size) throws IOException {
        byte[] content = new byte[size];
        for (int i = 0; i < size; i++) {
            content[i] = (byte) (i * 31 + i / 251);
        }
        return Files.write(dir.resolve(name), content);
    }

    private static StorageKey zipKey(int i) {
        return new StorageKey("example.com/m" + i + "/@v/v1.0.0.zip");
    }

    private static StorageKey key(int i) {
        return new StorageKey("example.com/m" + i + "/@v/v1.0.0.mod");
    }

    @Test
    void holdsNoMoreBytesThanItsSize() {
        MemoryCache memory = new MemoryCache(10_000, DIRECT_MEMORY, Clock.systemUTC());
        byte[] content = new byte[500];

        for (int i = 0; i < 200; i++) {
            remember(memory, key(i), content, memory.removalsSoFar());
            assertTrue(memory.bytes() <= 10_000, "over the bound after " + (i + 1) + " entries: " + memory.bytes());
        }

        assertTrue(memory.count() >= 1 && memory.count() <= 20, "entries kept: " + memory.count());
    }

    @Test
    void keepsOnlySmallImmutableAnswers() throws Exception {
        MemoryCache memory = new MemoryCache(64L << 20, DIRECT_MEMORY, Clock.systemUTC());

        assertTrue(memory.wants(request("/example.com/a/@v/v1.0.0.info"), 60));
        assertTrue(memory.wants(request("/example.com/a/@v/v1.0.0.mod"), 2_000));
        assertTrue(memory.wants(request("/example.com/a/@v/v1.0.0.zip"), 16_000), "most module zips are small");
        assertFalse(
                memory.wants(request("/example.com/a/@v/v1.0.0.zip"), MemoryCache.MAX_ENTRY_BYTES + 1),
                "larger zips go out with sendfile");
        assertFalse(memory.wants(request("/example.com/a/@v/master.info"), 60), "a branch query changes");
        assertFalse(memory.wants(request("/example.com/a/@v/list"), 60));
        assertFalse(memory.wants(request("/example.com/a/@latest"), 60));
        assertFalse(memory.wants(request("/example.com/a/@v/v1.0.0.mod"), MemoryCache.MAX_ENTRY_BYTES + 1));
    }

    @Test
    void keepsMidSizeZipsAsMappingsOfTheirFiles() throws Exception {
        MemoryCache memory = new MemoryCache(64L << 20, DIRECT_MEMORY, Clock.systemUTC());
        ProxyRequest zip = request("/example.com/a/@v/v1.0.0.zip");

        assertFalse(memory.wantsMapped(zip, 16_000), "copied instead");
        assertTrue(memory.wantsMapped(zip, MemoryCache.MAX_ENTRY_BYTES + 1));
        assertTrue(memory.wantsMapped(zip, MemoryCache.MAX_MAPPED_BYTES));
        assertFalse(memory.wantsMapped(zip, MemoryCache.MAX_MAPPED_BYTES + 1), "the largest go out with sendfile");
        assertFalse(
                memory.wantsMapped(request("/example.com/a/@v/v1.0.0.mod"), 100_000),
                "only zips: a go.mod is read back as well as served");
        assertFalse(memory.wantsMapped(request("/example.com/a/@v/v1.0.0.info"), 100_000));
        MemoryCache small = new MemoryCache(10_000, DIRECT_MEMORY, Clock.systemUTC());
        assertTrue(small.wantsMapped(zip, 20_000), "too large for a small memory cache's copies");
        MemoryCache off = new MemoryCache(0, DIRECT_MEMORY, Clock.systemUTC());
        assertFalse(off.wantsMapped(zip, 100_000), "size 0 turns mappings off too");
    }

    @Test
    void aMappedZipIsReadFromItsFileAndUnmappedOnceTheLastResponseIsDone(@TempDir Path dir) throws Exception {
        MemoryCache memory = new MemoryCache(1 << 20, DIRECT_MEMORY, Clock.systemUTC());
        Path file = file(dir, "v1.0.0.zip", 200_000);
        byte[] content = Files.readAllBytes(file);

        memory.keepMapped(zipKey(1), file, content.length, Instant.EPOCH, memory.removalsSoFar());
        MemoryCache.Entry entry = memory.get(zipKey(1));
        StoredObject held = entry.hold(zipKey(1));

        assertTrue(entry.mapped());
        assertTrue(Mappings.mapped(file), "the kernel lists the mapping");
        assertEquals(0, memory.count(), "no copy in memory");
        assertEquals(content.length + zipKey(1).value().length(), memory.mappedBytes());
        assertEquals(1, memory.mappedCount());
        assertArrayEquals(content, held.open().readAllBytes());

        memory.forget(zipKey(1)); // evicted or deleted while a response is still sending it
        Files.delete(file);

        assertNull(memory.get(zipKey(1)));
        assertEquals(0, memory.mappedBytes());
        assertTrue(Mappings.mapped(file), "a response in flight keeps the mapping");
        assertArrayEquals(content, held.open().readAllBytes(), "and reads the bytes of the deleted file");
        held.release();
        assertFalse(Mappings.mapped(file), "unmapped once the last response is done: the deleted file's space is free");
        assertNull(entry.hold(zipKey(1)), "a stale lookup finds nothing to serve, and reads no unmapped memory");
    }

    @Test
    void aFileOfAnotherSizeIsNotMapped(@TempDir Path dir) throws Exception {
        MemoryCache memory = new MemoryCache(1 << 20, DIRECT_MEMORY, Clock.systemUTC());
        Path file = file(dir, "v1.0.0.zip", 100_000);

        memory.keepMapped(zipKey(1), file, 100_001, Instant.EPOCH, memory.removalsSoFar());
        memory.keepMapped(zipKey(2), file, 99_999, Instant.EPOCH, memory.removalsSoFar());

        assertNull(memory.get(zipKey(1)), "a mapping past the file's end could not be read");
        assertNull(memory.get(zipKey(2)));
        assertFalse(Mappings.mapped(file));
    }

    @Test
    void mappingsHaveABoundOfTheirOwnAndUnmapWhatTheyEvict(@TempDir Path dir) throws Exception {
        MemoryCache memory = new MemoryCache(1 << 20, DIRECT_MEMORY, Clock.systemUTC());
        remember(memory, key(1), new byte[1_000], memory.removalsSoFar());
        long smallBytes = memory.bytes();
        int size = (int) MemoryCache.MAX_MAPPED_BYTES;
        int files = (int) (MemoryCache.MAPPED_LIMIT / size) + 4;
        Path[] paths = new Path[files];

        for (int i = 0; i < files; i++) {
            paths[i] = dir.resolve("m" + i + ".zip");
            try (RandomAccessFile sparse = new RandomAccessFile(paths[i].toFile(), "rw")) {
                sparse.setLength(size); // no disk blocks: mapping reads nothing
            }
            memory.keepMapped(zipKey(i), paths[i], size, Instant.EPOCH, memory.removalsSoFar());
            assertTrue(
                    memory.mappedBytes() <= MemoryCache.MAPPED_LIMIT,
                    "over the bound after " + (i + 1) + " files: " + memory.mappedBytes());
        }

        assertEquals(smallBytes, memory.bytes(), "mappings do not push small entries out");
        assertEquals(1, memory.count());
        int stillMapped = 0;
        for (int i = 0; i < files; i++) {
            boolean cached = memory.get(zipKey(i)) != null;
            assertEquals(cached, Mappings.mapped(paths[i]), "file " + i + " is mapped exactly while it is cached");
            stillMapped += cached ? 1 : 0;
        }
        assertEquals(memory.mappedCount(), stillMapped);
        assertTrue(stillMapped < files, "some were evicted (or refused) and unmapped");

        memory.clear();

        assertEquals(0, memory.mappedCount());
        for (Path path : paths) {
            assertFalse(Mappings.mapped(path), path + " still mapped after clear");
        }
    }

    @Test
    void sizeZeroTurnsItOff() throws Exception {
        MemoryCache memory =
                new MemoryCache(ByteSize.parse("MODPROXY_MEMORY_CACHE_SIZE", "0"), DIRECT_MEMORY, Clock.systemUTC());

        remember(memory, key(1), new byte[10], memory.removalsSoFar());

        assertFalse(memory.wants(request("/example.com/a/@v/v1.0.0.info"), 60));
        assertNull(memory.get(key(1)));
        assertEquals(0, memory.bytes());
    }

    @Test
    void aBadSizeNamesTheSetting() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> ByteSize.parse("MODPROXY_MEMORY_CACHE_SIZE", "lots"));
        assertTrue(e.getMessage().startsWith("MODPROXY_MEMORY_CACHE_SIZE must be a byte count"), e.getMessage());
    }

    @Test
    void forgetDropsTheEntry() {
        MemoryCache memory = new MemoryCache(1 << 20, DIRECT_MEMORY, Clock.systemUTC());
        remember(memory, key(1), new byte[] {1, 2, 3}, memory.removalsSoFar());
        assertArrayEquals(new byte[] {1, 2, 3}, memory.get(key(1)).copy());

        memory.forget(key(1));

        assertNull(memory.get(key(1)));
    }

    @Test
    void bytesReadBeforeARemovalAreNotKept() {
        MemoryCache memory = new MemoryCache(1 << 20, DIRECT_MEMORY, Clock.systemUTC());
        long before = memory.removalsSoFar();
        // the storage deletes the key after it was read but before it reaches memory
        memory.forget(key(1));

        remember(memory, key(1), new byte[] {1}, before);

        assertNull(memory.get(key(1)));
    }

    @Test
    void aHeldEntryStaysReadableAfterItLeavesTheCacheAndIsFreedWhenReleased() throws Exception {
        MemoryCache memory = new MemoryCache(1 << 20, DIRECT_MEMORY, Clock.systemUTC());
        remember(memory, key(1), new byte[] {7, 8, 9}, memory.removalsSoFar());
        MemoryCache.Entry entry = memory.get(key(1));
        StoredObject held = entry.hold(key(1));

        memory.forget(key(1)); // evicted or deleted while a response is still sending it

        assertNull(memory.get(key(1)));
        assertArrayEquals(new byte[] {7, 8, 9}, held.open().readAllBytes(), "a response in flight keeps its bytes");
        assertEquals(1, entry.bytes().refCnt(), "only the response holds the memory now");
        held.release();
        held.release(); // a second release is harmless
        assertEquals(0, entry.bytes().refCnt(), "freed once the last response is done");
        assertNull(entry.hold(key(1)), "a stale lookup finds nothing to serve, and reads no freed memory");
        assertNull(entry.copy());
    }

    @Test
    void everyWayOutOfTheCacheFreesTheMemory() {
        MemoryCache memory = new MemoryCache(4_000, DIRECT_MEMORY, Clock.systemUTC());
        remember(memory, key(1), new byte[1_000], memory.removalsSoFar());
        MemoryCache.Entry first = memory.get(key(1));

        remember(memory, key(1), new byte[1_000], memory.removalsSoFar()); // replaced
        assertEquals(0, first.bytes().refCnt(), "the replaced entry's memory");

        MemoryCache.Entry second = memory.get(key(1));
        memory.confirm(key(1), second, memory.removalsSoFar()); // renewed: same bytes, new entry
        assertEquals(1, second.bytes().refCnt(), "a confirmed entry keeps its one reference");

        Map<Integer, MemoryCache.Entry> remembered = new HashMap<>();
        remembered.put(1, second);
        for (int i = 2; i < 12; i++) { // 11 entries of 1,000 bytes in 4,000: most are evicted by size
            remember(memory, key(i), new byte[1_000], memory.removalsSoFar());
            if (memory.get(key(i)) != null) { // else refused at once by the cache's admission policy
                remembered.put(i, memory.get(key(i)));
            }
        }
        int evicted = 0;
        for (var e : remembered.entrySet()) {
            boolean cached = memory.get(key(e.getKey())) == e.getValue();
            evicted += cached ? 0 : 1;
            assertEquals(cached ? 1 : 0, e.getValue().bytes().refCnt(), "entry " + e.getKey() + ", cached " + cached);
        }
        assertTrue(evicted >= 1, "evicted " + evicted + " of " + remembered.keySet());
    }

    @Test
    void takesAtMostHalfOfTheJvmsDirectMemory() {
        MemoryCache memory = new MemoryCache(64L << 20, 64L << 20, Clock.systemUTC());

        assertEquals(32L << 20, memory.maxBytes(), "the rest is the network's");
    }

    @Test
    void aFileIsReadWholeOrNotAtAll(@TempDir Path dir) throws Exception {
        MemoryCache memory = new MemoryCache(1 << 20, DIRECT_MEMORY, Clock.systemUTC());
        Path file = Files.write(dir.resolve("v1.0.0.zip"), new byte[] {1, 2, 3, 4});

        ByteBuf whole = memory.read(file, 4);

        assertArrayEquals(new byte[] {1, 2, 3, 4}, ByteBufUtil.getBytes(whole));
        whole.release();
        assertNull(memory.read(file, 3), "the file is longer than the storage said");
        assertNull(memory.read(file, 5), "the file is shorter than the storage said");
        assertNull(memory.read(file, MemoryCache.MAX_ENTRY_BYTES + 1), "too large for memory");
    }

    @Test
    void clearingFreesEveryEntry() {
        MemoryCache memory = new MemoryCache(1 << 20, DIRECT_MEMORY, Clock.systemUTC());
        remember(memory, key(1), new byte[100], memory.removalsSoFar());
        remember(memory, key(2), new byte[100], memory.removalsSoFar());
        MemoryCache.Entry first = memory.get(key(1));
        MemoryCache.Entry second = memory.get(key(2));

        memory.clear();

        assertEquals(0, memory.count());
        assertEquals(0, first.bytes().refCnt());
        assertEquals(0, second.bytes().refCnt());
    }
}
