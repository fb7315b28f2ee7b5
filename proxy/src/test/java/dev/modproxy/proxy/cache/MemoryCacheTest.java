package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.eviction.ByteSize;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.StorageKey;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MemoryCacheTest {

    private static ProxyRequest request(String path) throws Exception {
        return ProxyRequest.parse(path);
    }

    private static StorageKey key(int i) {
        return new StorageKey("example.com/m" + i + "/@v/v1.0.0.mod");
    }

    @Test
    void holdsNoMoreBytesThanItsSize() {
        MemoryCache memory = new MemoryCache(10_000, Clock.systemUTC());
        byte[] content = new byte[500];

        for (int i = 0; i < 200; i++) {
            memory.remember(key(i), content, Instant.EPOCH, memory.removalsSoFar());
            assertTrue(memory.bytes() <= 10_000, "over the bound after " + (i + 1) + " entries: " + memory.bytes());
        }

        assertTrue(memory.count() >= 1 && memory.count() <= 20, "entries kept: " + memory.count());
    }

    @Test
    void keepsOnlySmallImmutableInfoAndModAnswers() throws Exception {
        MemoryCache memory = new MemoryCache(64L << 20, Clock.systemUTC());

        assertTrue(memory.wants(request("/example.com/a/@v/v1.0.0.info"), 60));
        assertTrue(memory.wants(request("/example.com/a/@v/v1.0.0.mod"), 2_000));
        assertFalse(memory.wants(request("/example.com/a/@v/v1.0.0.zip"), 2_000), "zips go out with sendfile");
        assertFalse(memory.wants(request("/example.com/a/@v/master.info"), 60), "a branch query changes");
        assertFalse(memory.wants(request("/example.com/a/@v/list"), 60));
        assertFalse(memory.wants(request("/example.com/a/@latest"), 60));
        assertFalse(memory.wants(request("/example.com/a/@v/v1.0.0.mod"), MemoryCache.MAX_ENTRY_BYTES + 1));
    }

    @Test
    void sizeZeroTurnsItOff() throws Exception {
        MemoryCache memory = new MemoryCache(ByteSize.parse("MODPROXY_MEMORY_CACHE_SIZE", "0"), Clock.systemUTC());

        memory.remember(key(1), new byte[10], Instant.EPOCH, memory.removalsSoFar());

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
        MemoryCache memory = new MemoryCache(1 << 20, Clock.systemUTC());
        memory.remember(key(1), new byte[] {1, 2, 3}, Instant.EPOCH, memory.removalsSoFar());
        assertArrayEquals(new byte[] {1, 2, 3}, memory.get(key(1)).content());

        memory.forget(key(1));

        assertNull(memory.get(key(1)));
    }

    @Test
    void bytesReadBeforeARemovalAreNotKept() {
        MemoryCache memory = new MemoryCache(1 << 20, Clock.systemUTC());
        long before = memory.removalsSoFar();
        // the storage deletes the key after it was read but before it reaches memory
        memory.forget(key(1));

        memory.remember(key(1), new byte[] {1}, Instant.EPOCH, before);

        assertNull(memory.get(key(1)));
    }
}
