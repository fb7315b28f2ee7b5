package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** A bucket endpoint that accepts connections and never answers: calls fail in bounded time, start-up does not wait. */
class HungBucketTest {

    @TempDir
    Path staging;

    @Test
    void aLookupOnAHungBucketFailsWellBeforeTheClientsIdleTimeout() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            URI endpoint = URI.create("http://127.0.0.1:" + silent.getLocalPort());
            S3Storage storage = assertTimeoutPreemptively(
                    Duration.ofSeconds(5),
                    () -> new S3Storage(
                            new S3Storage.Settings(Optional.of(endpoint), "hung", "p", "us-east-1", true),
                            StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")),
                            staging),
                    "start-up does not wait for the bucket's listing");
            try (storage) {
                long start = System.nanoTime();
                assertTimeoutPreemptively(
                        Duration.ofSeconds(45),
                        () -> assertThrows(
                                IOException.class,
                                () -> storage.lookup(new StorageKey("example.com/a/@v/v1.0.0.info"))));
                long took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(took < 40_000, "failed after " + took + " ms, past what a client waits");
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
