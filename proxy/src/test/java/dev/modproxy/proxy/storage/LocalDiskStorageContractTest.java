package dev.modproxy.proxy.storage;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class LocalDiskStorageContractTest extends StorageContract {

    @TempDir
    Path root;

    @Override
    Storage storage() throws Exception {
        return new LocalDiskStorage(root);
    }
}
