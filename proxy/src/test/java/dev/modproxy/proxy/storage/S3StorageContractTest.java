package dev.modproxy.proxy.storage;

import dev.modproxy.proxy.testing.S3Server;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

class S3StorageContractTest extends StorageContract {

    static S3Server server;
    static int buckets;

    @TempDir
    Path staging;

    S3Storage storage;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3Server();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @AfterEach
    void closeClient() {
        if (storage != null) {
            storage.close();
        }
    }

    @Override
    Storage storage() throws Exception {
        String bucket = "contract-" + (++buckets);
        server.createBucket(bucket);
        storage = server.storage(bucket, "cache/team-a", staging);
        return storage;
    }
}
