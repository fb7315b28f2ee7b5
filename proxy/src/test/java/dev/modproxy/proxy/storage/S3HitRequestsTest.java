package dev.modproxy.proxy.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.S3Server;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/** What a cache hit costs in requests to the bucket, counted as s3proxy receives them. */
class S3HitRequestsTest {

    static S3Server server;
    static int buckets;

    @TempDir
    Path staging;

    final List<String> requests = new CopyOnWriteArrayList<>();
    S3Storage storage;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3Server();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void connect() throws Exception {
        String bucket = "hits-" + (++buckets);
        server.createBucket(bucket);
        ExecutionInterceptor counter = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                requests.add(context.httpRequest().method().name());
            }
        };
        storage = new S3Storage(
                new S3Storage.Settings(Optional.of(server.endpoint()), bucket, "cache", "us-east-1", true),
                server.credentials(),
                staging,
                ClientOverrideConfiguration.builder()
                        .addExecutionInterceptor(counter)
                        .build());
        // the startup count lists the bucket in the background: its requests must not land in the log below
        await().atMost(Duration.ofSeconds(30)).until(storage::usageCounted);
        requests.clear();
    }

    @AfterEach
    void disconnect() {
        storage.close();
    }

    private static final StorageKey MOD = new StorageKey("example.com/a/@v/v1.0.0.mod");
    private static final StorageKey ZIP = new StorageKey("example.com/a/@v/v1.0.0.zip");

    private void put(StorageKey key, byte[] content) throws Exception {
        try (StorageWriter writer = storage.openWriter(key)) {
            writer.output().write(content);
            writer.commit();
        }
        requests.clear();
    }

    @Test
    void aSmallHitIsOneGetWithItsBytes() throws Exception {
        put(MOD, "module example.com/a\n".getBytes());

        StoredObject found = storage.lookup(MOD).orElseThrow();
        byte[] read;
        try (InputStream in = found.open()) {
            read = in.readAllBytes();
        }

        assertEquals("module example.com/a\n", new String(read));
        assertEquals(21, found.size());
        assertEquals(List.of("GET"), requests);
    }

    @Test
    void aMissIsOneGetAnsweredAbsent() throws Exception {
        assertTrue(storage.lookup(MOD).isEmpty());

        assertEquals(List.of("GET"), requests);
    }

    @Test
    void aLargeHitIsServedFromTheLookupsOwnGet() throws Exception {
        byte[] zip = new byte[S3Storage.READ_AT_ONCE * 4];
        new Random(7).nextBytes(zip);
        put(ZIP, zip);

        StoredObject found = storage.lookup(ZIP).orElseThrow();
        byte[] first;
        try (InputStream in = found.open()) {
            first = in.readAllBytes();
        }
        assertEquals(List.of("GET"), requests, "the reader got the lookup's body");
        byte[] second;
        try (InputStream in = found.open()) {
            second = in.readAllBytes(); // another waiter for the same object
        }
        found.release();

        assertEquals(zip.length, found.size());
        assertArrayEquals(zip, first);
        assertArrayEquals(zip, second);
        assertEquals(List.of("GET", "GET"), requests);
    }

    @Test
    void aLargeHitNobodyReadsIsDroppedAndTheStorageKeepsWorking() throws Exception {
        byte[] zip = new byte[S3Storage.READ_AT_ONCE * 16];
        new Random(8).nextBytes(zip);
        put(ZIP, zip);

        for (int i = 0; i < 30; i++) {
            storage.lookup(ZIP).orElseThrow().release(); // more than the connection pool holds
        }

        StoredObject found = storage.lookup(ZIP).orElseThrow();
        try (InputStream in = found.open()) {
            assertArrayEquals(zip, in.readAllBytes());
        } finally {
            found.release();
        }
    }

    @Test
    void aRestartedProxyAnswersASmallHitWithOneGetThenFromMemory() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Modules.publish(upstream, "example.com/a", "v1.0.0");
            String info = "/example.com/a/@v/v1.0.0.info";
            try (ProxyUnderTest proxy = ProxyUnderTest.onStorage(upstream.url(), storage)) {
                assertEquals(200, proxy.get(info).statusCode());
            }
            requests.clear();
            try (ProxyUnderTest restarted = ProxyUnderTest.onStorage(upstream.url(), storage)) {
                assertEquals(Modules.info("v1.0.0"), restarted.getText(info).body());
                assertEquals(List.of("GET"), requests, "first hit after a restart");

                assertEquals(Modules.info("v1.0.0"), restarted.getText(info).body());
                assertEquals(List.of("GET"), requests, "second hit from memory");
                assertEquals(1, upstream.hits(info.substring(1)));
            }
        }
    }
}
