package dev.modproxy.proxy.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cold zip reaches its first client while it is still coming from upstream, and many clients cost one fetch. */
class ColdDownloadIT {

    private static final int CLIENTS = 20;

    @TempDir
    static Path fixtureDir;

    static ModuleFixtures fixtures;
    static String bigZip;

    @TempDir
    Path work;

    UpstreamServer upstream;
    ProxyProcess proxy;

    @BeforeAll
    static void generateModules() throws IOException {
        ProxyProcess.jar();
        fixtures = ModuleFixtures.generate(fixtureDir, 0);
        bigZip = fixtures.version("example.com/big", "v1.0.0").protocolBase() + ".zip";
    }

    @BeforeEach
    void startUpstreamAndProxy() throws IOException {
        upstream = UpstreamServer.start(fixtures.proxyTree());
        upstream.stallHalfway(bigZip);
        proxy = ProxyProcess.start(upstream.url(), work.resolve("storage"), work.resolve("proxy.log"));
    }

    @AfterEach
    void stopEverything() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void aColdZipStreamsToTheFirstClientBeforeTheUpstreamHasSentItAll() throws Exception {
        AtomicLong received = new AtomicLong();
        CompletableFuture<String> download = CompletableFuture.supplyAsync(() -> sha256Of(bigZip, received));

        long firstMegabytes = 4L << 20;
        await("the first 4 MB through the proxy while the upstream is stalled half-way")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> received.get() >= firstMegabytes || download.isDone());
        // The upstream cannot finish before releaseStalled(): every byte so far was streamed, not replayed.
        assertTrue(
                received.get() >= firstMegabytes && !download.isDone(),
                "received " + received.get() + " bytes before the upstream finished; " + download);

        upstream.releaseStalled();
        assertEquals(HttpFetch.sha256Hex(fixtures.upstreamBytes(bigZip)), download.get(3, TimeUnit.MINUTES));
        assertEquals(1, upstream.requestCount(bigZip));
    }

    @Test
    void manyClientsAskingForOneColdZipAtOnceCostOneUpstreamFetch() throws Exception {
        long missesBefore = stats().getLong("misses");
        List<CompletableFuture<String>> downloads = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            downloads.add(CompletableFuture.supplyAsync(() -> sha256Of(bigZip, new AtomicLong())));
        }
        await("all " + CLIENTS + " requests at the proxy while the upstream is stalled half-way")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> upstream.hasSentHalf(bigZip) && stats().getLong("misses") - missesBefore >= CLIENTS);

        upstream.releaseStalled();
        String expected = HttpFetch.sha256Hex(fixtures.upstreamBytes(bigZip));
        for (CompletableFuture<String> download : downloads) {
            assertEquals(expected, download.get(3, TimeUnit.MINUTES));
        }
        assertEquals(1, upstream.requestCount(bigZip), "upstream fetches for " + CLIENTS + " simultaneous clients");
    }

    private JsonObject stats() throws IOException, InterruptedException {
        HttpResponse<String> response = HttpFetch.client()
                .send(
                        HttpRequest.newBuilder(proxy.managementUri("/admin/stats"))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, response.statusCode(), response.body());
        return new JsonObject(response.body());
    }

    // Reads the whole body, counting bytes as they arrive; the answer must be a 200.
    private String sha256Of(String path, AtomicLong received) {
        try {
            HttpRequest request = HttpRequest.newBuilder(proxy.uri(path))
                    .timeout(Duration.ofMinutes(3))
                    .build();
            HttpResponse<InputStream> response =
                    HttpFetch.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream body = new DigestInputStream(response.body(), digest)) {
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = body.read(buffer)) > 0; ) {
                    received.addAndGet(n);
                }
            }
            if (response.statusCode() != 200) {
                throw new IllegalStateException(path + " answered " + response.statusCode());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (Exception e) {
            throw new IllegalStateException(path + ": " + e, e);
        }
    }
}
