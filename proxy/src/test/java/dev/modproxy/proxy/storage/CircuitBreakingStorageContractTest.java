package dev.modproxy.proxy.storage;

import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.io.TempDir;

/** The breaker adds skipping to a failing storage and changes nothing about a working one. */
class CircuitBreakingStorageContractTest extends StorageContract {

    @TempDir
    Path root;

    @Override
    Storage storage() throws Exception {
        return new CircuitBreakingStorage(new LocalDiskStorage(root), () -> {}, Clock.systemUTC());
    }
}
