package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.SlowClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clients that read slowly hold only themselves. */
class SlowClientTest {

    private static final String ZIP = "example.com/big/@v/v1.0.0.zip";

    @TempDir
    Path dir;

    @Test
    void aSlowFirstClientOfAColdZipHoldsNeitherTheDownloadNorTheNextClient() throws Exception {
        byte[] zip = BigModule.zip("example.com/big", "v1.0.0", 8 << 20);
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options().stallLimit(Duration.ofSeconds(60)))) {
            upstream.on(ZIP, FakeUpstream.ok("application/zip", zip));
            try (SlowClient first = new SlowClient(proxy.port(), "/" + ZIP)) {
                assertEquals(200, first.status);
                first.read(64 * 1024); // ...and then nothing for a while

                long start = System.nanoTime();
                HttpResponse<byte[]> second = proxy.client()
                        .send(
                                HttpRequest.newBuilder(URI.create(proxy.url() + "/" + ZIP))
                                        .timeout(Duration.ofSeconds(30))
                                        .build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                Duration took = Duration.ofNanos(System.nanoTime() - start);

                assertEquals(200, second.statusCode());
                assertArrayEquals(zip, second.body());
                assertTrue(
                        took.compareTo(Duration.ofSeconds(10)) < 0,
                        "the second client waited " + took + " for the first");
                assertEquals(1, upstream.hits(ZIP));
                assertArrayEquals(zip, first.readRest(), "the first client still gets every byte, at its own pace");
            }
        }
    }
}
