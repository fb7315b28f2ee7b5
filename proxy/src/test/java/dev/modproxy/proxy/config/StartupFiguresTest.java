package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.proxy.storage.StorageUsage;
import org.junit.jupiter.api.Test;

/**
 * The start-up line's storage figures. On an empty cache it said "(1 objects, 66 bytes)" just after the storage's
 * own count logged "0 objects, 0 bytes", without a word of the checksum database's marker that made the difference.
 */
class StartupFiguresTest {

    @Test
    void oneObjectIsOneAndTheChecksumDatabasesFilesAreSaidToBeCounted() {
        assertEquals(
                "1 object, 66 bytes, the checksum database's files included",
                ProxyStartup.usageFigures(new StorageUsage(66, 1), true));
    }

    @Test
    void withTheChecksumDatabaseOffOnlyTheFigures() {
        assertEquals("0 objects, 0 bytes", ProxyStartup.usageFigures(new StorageUsage(0, 0), false));
        assertEquals("2 objects, 130 bytes", ProxyStartup.usageFigures(new StorageUsage(130, 2), false));
    }
}
