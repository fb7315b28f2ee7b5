package dev.modproxy.proxy.cache;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.OpenFiles;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.SlowClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many first clients of cold zips at once, and first clients let go, against the first-client senders (99099cd,
 * 504da44, e5a9018): exact bytes, or a clean refusal, or a reset; never wrong bytes, a hang or a file left open.
 */
class ColdZipFirstClientStressTest {

    @TempDir
    Path dir;

    /**
     * Many first clients of many cold zips at once: fast readers, slow readers, readers that hang up at a random
     * point; zips that are good, refused by verification after most bytes went out (a broken end of central
     * directory), or cut off by the upstream mid-body. Each client that reads on gets the exact bytes of a good zip,
     * or a failed download (reset, short body) for a bad one: never a complete body of a refused zip, never wrong
     * bytes, never a hang; afterwards no file of the cache is open and no sender is busy.
     */
    @org.junit.jupiter.api.RepeatedTest(6)
    void manyFirstClientsOfManyColdZipsGetExactBytesOrAFailureNeverWrongBytesNorAHang() throws Exception {
        Path root = dir.resolve("cache");
        int zips = 30;
        Random random = new Random(SEED.getAndIncrement());
        SEEN.clear();
        byte[][] bodies = new byte[zips][];
        int[] kind = new int[zips]; // 0 good, 1 refused at verification, 2 cut off upstream
        int[] reader = new int[zips]; // 0 fast, 1 slow, 2 hangs up
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        root,
                        ProxyUnderTest.options().sendBufferSize(64 * 1024).stallLimit(Duration.ofSeconds(20)))) {
            for (int i = 0; i < zips; i++) {
                String module = "example.com/stress" + i;
                byte[] zip = BigModule.zip(module, "v1.0.0", (1 << 20) + random.nextInt(2 << 20));
                kind[i] = i % 5 == 3 ? 1 : i % 5 == 4 ? 2 : 0;
                reader[i] = random.nextInt(3);
                String path = module + "/@v/v1.0.0.zip";
                if (kind[i] == 1) {
                    Arrays.fill(zip, zip.length - 22, zip.length, (byte) 0); // no end of central directory
                    upstream.on(path, FakeUpstream.ok("application/zip", zip));
                } else if (kind[i] == 2) {
                    upstream.on(path, FakeUpstream.truncated(zip, zip.length / 2 + random.nextInt(zip.length / 3)));
                } else if (random.nextBoolean()) {
                    upstream.on(path, FakeUpstream.slowly("application/zip", zip, Duration.ofMillis(500)));
                } else {
                    upstream.on(path, FakeUpstream.ok("application/zip", zip));
                }
                bodies[i] = zip;
            }
            ExecutorService clients = Executors.newFixedThreadPool(zips);
            List<Future<String>> results = new ArrayList<>();
            try {
                for (int i = 0; i < zips; i++) {
                    int n = i;
                    long seed = random.nextLong();
                    results.add(clients.submit(() -> oneClient(proxy, n, bodies[n], kind[n], reader[n], seed)));
                }
                List<String> wrong = new ArrayList<>();
                for (Future<String> result : results) {
                    String problem = result.get(120, TimeUnit.SECONDS);
                    if (problem != null) {
                        wrong.add(problem);
                    }
                }
                System.out.println("first-client outcomes: " + new TreeMap<>(SEEN));
                assertTrue(wrong.isEmpty(), String.join("\n", wrong));
            } finally {
                clients.shutdownNow();
            }
            try {
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> OpenFiles.under(root).isEmpty());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("files of the cache left open: " + OpenFiles.under(root), e);
            }
        }
    }

    private static final AtomicLong SEED = new AtomicLong(System.nanoTime());

    private static final Map<String, AtomicInteger> SEEN = new ConcurrentHashMap<>();

    private static void saw(String what) {
        SEEN.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Null when the client saw what it should, else what was wrong. */
    private static String oneClient(ProxyUnderTest proxy, int n, byte[] zip, int kind, int reader, long seed) {
        Random random = new Random(seed);
        String path = "/example.com/stress" + n + "/@v/v1.0.0.zip";
        String what = "zip " + n + " (kind " + kind + ", reader " + reader + ")";
        try (SlowClient client = new SlowClient(proxy.port(), path)) {
            saw("kind " + kind + " status " + client.status);
            if (client.status != 200) {
                return kind == 0 ? what + ": status " + client.status : null;
            }
            int readSoFar = 0;
            if (reader == 2) {
                int stopAt = random.nextInt(zip.length);
                client.read(stopAt);
                return null; // hangs up
            }
            if (reader == 1) {
                while (readSoFar < zip.length) {
                    int step = Math.min(zip.length - readSoFar, 16 * 1024 + random.nextInt(64 * 1024));
                    client.read(step);
                    readSoFar += step;
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(5))); // the reader's pace
                }
            }
            byte[] body = client.readRest();
            saw("kind " + kind + " whole body");
            if (kind != 0) {
                return what + ": a complete body of " + body.length + " bytes for a zip the cache refused";
            }
            return Arrays.equals(zip, body) ? null : what + ": wrong bytes";
        } catch (SocketTimeoutException e) {
            return what + ": hung (" + e + ")";
        } catch (IOException e) {
            saw("kind " + kind + " reader " + reader + " failed");
            return kind == 0 ? what + ": failed: " + e : null;
        }
    }

    /**
     * A first client let go after its response began (no sender to be had) for a zip that verification then refuses,
     * or that the upstream cuts off: it gets the refusal with its reason (the response taken back whole), not a 200,
     * a reset or a hang; nothing of the cache stays open.
     */
    @Test
    void aFirstClientLetGoGetsTheRefusalOfAZipRefusedOrCutOffLater() throws Exception {
        Path root = dir.resolve("cache");
        byte[] refused = BigModule.zip("example.com/cold0", "v1.0.0", 2 << 20);
        Arrays.fill(refused, refused.length - 22, refused.length, (byte) 0);
        byte[] cut = BigModule.zip("example.com/cold1", "v1.0.0", 2 << 20);
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), root, ProxyUnderTest.options())) {
            upstream.on("example.com/cold0/@v/v1.0.0.zip", FakeUpstream.ok("application/zip", refused));
            upstream.on("example.com/cold1/@v/v1.0.0.zip", FakeUpstream.truncated(cut, cut.length / 2));
            proxy.cache.sendFirstClientsOn(step -> {
                throw new java.util.concurrent.RejectedExecutionException("no sender");
            });
            for (String zip : List.of("example.com/cold0/@v/v1.0.0.zip", "example.com/cold1/@v/v1.0.0.zip")) {
                HttpResponse<String> answer = proxy.client()
                        .send(
                                HttpRequest.newBuilder(URI.create(proxy.url() + "/" + zip))
                                        .timeout(Duration.ofSeconds(20))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                System.out.println("let go: " + zip + ": " + answer.statusCode() + " " + answer.body());
                assertEquals(502, answer.statusCode(), answer.body());
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> OpenFiles.under(root).isEmpty());
        }
    }
}
