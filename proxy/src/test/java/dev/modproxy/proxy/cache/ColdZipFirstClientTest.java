package dev.modproxy.proxy.cache;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.OpenFiles;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.SlowClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cold zip goes to its first client from the staged file on the cache's first-client senders
 * ({@code modproxy-first-client}): a bounded number of threads however many first clients are slow, none of them
 * held while a client is slow; a client that gets no sender still gets a correct answer, and the threads end with the
 * cache.
 */
class ColdZipFirstClientTest {

    private static final int SEND_BUFFER = 64 * 1024;

    @TempDir
    Path dir;

    private static String zipPath(int i) {
        return "example.com/cold" + i + "/@v/v1.0.0.zip";
    }

    private static long firstClientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("modproxy-first-client"))
                .filter(Thread::isAlive)
                .count();
    }

    /** First-client senders doing something (reading, writing) rather than waiting for work. */
    private static long busyFirstClientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("modproxy-first-client"))
                .filter(t -> t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING)
                .filter(Thread::isAlive)
                .count();
    }

    private static void awaitNoOpenFileOfTheCache(ProxyUnderTest proxy) throws IOException {
        try {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> OpenFiles.under(proxy.root).isEmpty());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("files of the cache left open: " + OpenFiles.under(proxy.root), e);
        }
    }

    private static HttpRequest get(ProxyUnderTest proxy, String path) {
        return HttpRequest.newBuilder(URI.create(proxy.url() + "/" + path))
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    /**
     * Each slow first client of a distinct cold zip held a thread of ModuleCache's senders (an unbounded cached pool),
     * blocked on its client, for as long as it read, long after the download ended: nothing but the connection limit
     * bounded how many, and the pool was never shut down. The threads are now bounded and idle while the clients are
     * slow, every client still gets its whole zip, and the threads end when the proxy stops.
     */
    @Test
    void slowFirstClientsOfDistinctColdZipsHoldABoundedNumberOfThreads() throws Exception {
        int clients = 40;
        byte[][] zips = new byte[clients][];
        long before = firstClientThreads();
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options().sendBufferSize(SEND_BUFFER).stallLimit(Duration.ofMinutes(2)))) {
            for (int i = 0; i < clients; i++) {
                zips[i] = BigModule.zip("example.com/cold" + i, "v1.0.0", 2 << 20);
                upstream.on(zipPath(i), FakeUpstream.ok("application/zip", zips[i]));
            }
            List<SlowClient> slow = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    SlowClient client = new SlowClient(proxy.port(), "/" + zipPath(i)); // has its head: sending began
                    slow.add(client);
                    assertEquals(200, client.status);
                }
                // every download ends (stored) while no client reads, and no sender has work left
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> {
                            for (int i = 0; i < clients; i++) {
                                if (proxy.storage
                                        .lookup(new dev.modproxy.proxy.storage.StorageKey(zipPath(i)))
                                        .map(object -> {
                                            object.release();
                                            return false;
                                        })
                                        .orElse(true)) {
                                    return false;
                                }
                            }
                            return busyFirstClientThreads() == 0;
                        });
                long threads = firstClientThreads() - before;
                System.out.printf(
                        "%d slow first clients of cold zips: %d modproxy-first-client threads%n", clients, threads);
                assertTrue(
                        threads <= ClientTee.SENDERS && threads < clients / 2,
                        threads + " threads for " + clients + " slow first clients: one each, without a bound");

                ExecutorService readers = Executors.newFixedThreadPool(clients);
                try {
                    List<Future<byte[]>> bodies = new ArrayList<>();
                    for (SlowClient client : slow) {
                        bodies.add(readers.submit(client::readRest));
                    }
                    for (int i = 0; i < clients; i++) {
                        assertArrayEquals(zips[i], bodies.get(i).get(60, TimeUnit.SECONDS), "client " + i);
                    }
                } finally {
                    readers.shutdownNow();
                }
                for (int i = 0; i < clients; i++) {
                    assertEquals(1, upstream.hits(zipPath(i)));
                }
            } finally {
                for (SlowClient client : slow) {
                    client.close();
                }
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> firstClientThreads() <= before);
    }

    /**
     * When no thread can be had for the first client (a pod at its pid or memory limit: 'unable to create native
     * thread' from execute), the download's thread got the Error: the first client's response never ended, the
     * staged file stayed open, and the clients that joined the download got a 502. The first client is now answered
     * as a joining client is, from the stored zip, and so is a client that joined; the zip is fetched once, stored,
     * and no file of the cache is left open.
     */
    @Test
    void aFirstClientWithNoThreadToBeHadGetsTheZipOnceItIsStored() throws Exception {
        String zip = zipPath(0);
        byte[] bytes = BigModule.zip("example.com/cold0", "v1.0.0", 2 << 20);
        AtomicInteger refused = new AtomicInteger();
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy =
                        new ProxyUnderTest(upstream.url(), dir.resolve("cache"), ProxyUnderTest.options())) {
            upstream.on(zip, FakeUpstream.slowly("application/zip", bytes, Duration.ofSeconds(2)));
            proxy.cache.sendFirstClientsOn(step -> {
                refused.incrementAndGet();
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource"
                        + " limits reached");
            });
            CompletableFuture<HttpResponse<byte[]>> first =
                    proxy.client().sendAsync(get(proxy, zip), HttpResponse.BodyHandlers.ofByteArray());
            await().atMost(Duration.ofSeconds(10)).until(() -> upstream.hits(zip) == 1);
            HttpResponse<byte[]> joined = proxy.client().send(get(proxy, zip), HttpResponse.BodyHandlers.ofByteArray());
            HttpResponse<byte[]> firstAnswer = first.get(30, TimeUnit.SECONDS);

            assertEquals(200, firstAnswer.statusCode(), new String(firstAnswer.body()));
            assertArrayEquals(bytes, firstAnswer.body());
            assertEquals(200, joined.statusCode(), new String(joined.body()));
            assertArrayEquals(bytes, joined.body());
            assertTrue(refused.get() >= 1, "the sender was never asked for");
            assertEquals(1, upstream.hits(zip));
            HttpResponse<byte[]> later = proxy.client().send(get(proxy, zip), HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(bytes, later.body(), "stored");
            assertEquals(1, upstream.hits(zip));
            awaitNoOpenFileOfTheCache(proxy);
        }
    }

    /**
     * A sender that refuses work once bytes went out (the pool shut down, no thread to be made) ends the first client's
     * response at once with a reset: the client sees a failed download, not a hung one nor a short body taken for a
     * whole one. The download is not affected: the zip is stored, and the next client gets it whole.
     */
    @Test
    void aSenderRefusedOnceBytesWentOutResetsTheConnectionAndTheZipIsStillStored() throws Exception {
        String zip = zipPath(0);
        byte[] bytes = BigModule.zip("example.com/cold0", "v1.0.0", 4 << 20);
        ExecutorService real = Executors.newSingleThreadExecutor();
        AtomicInteger steps = new AtomicInteger();
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options().sendBufferSize(SEND_BUFFER))) {
            upstream.on(zip, FakeUpstream.ok("application/zip", bytes));
            proxy.cache.sendFirstClientsOn(step -> {
                if (steps.incrementAndGet() > 3) {
                    throw new RejectedExecutionException("no more senders");
                }
                real.execute(step);
            });
            try (SlowClient client = new SlowClient(proxy.port(), "/" + zip)) {
                assertEquals(200, client.status);
                long started = System.nanoTime();
                IOException cut = null;
                try {
                    client.readRest();
                } catch (IOException e) {
                    cut = e; // the connection ended (or was reset) before Content-Length
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertTrue(cut != null, "the whole body arrived, sent by senders that refused work");
                assertTrue(millis < 10_000, "the connection ended " + millis + " ms after the sender was refused");
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> proxy.storage
                            .lookup(new dev.modproxy.proxy.storage.StorageKey(zip))
                            .map(object -> {
                                object.release();
                                return true;
                            })
                            .orElse(false));
            HttpResponse<byte[]> next = proxy.client().send(get(proxy, zip), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, next.statusCode());
            assertArrayEquals(bytes, next.body());
            assertEquals(1, upstream.hits(zip));
            awaitNoOpenFileOfTheCache(proxy);
        } finally {
            real.shutdownNow();
        }
    }

    /**
     * A first client that stops reading holds no thread while it waits, yet it is still cut off once it has read
     * nothing for the stall limit; the download is not held up by it and stores the zip.
     */
    @Test
    void aFirstClientThatStopsReadingIsCutOffAfterTheStallLimit() throws Exception {
        String zip = zipPath(0);
        byte[] bytes = BigModule.zip("example.com/cold0", "v1.0.0", 4 << 20);
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options().sendBufferSize(SEND_BUFFER).stallLimit(Duration.ofSeconds(1)))) {
            upstream.on(zip, FakeUpstream.ok("application/zip", bytes));
            try (SlowClient client = new SlowClient(proxy.port(), "/" + zip)) {
                assertEquals(200, client.status);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> proxy.storage
                                .lookup(new dev.modproxy.proxy.storage.StorageKey(zip))
                                .map(object -> {
                                    object.release();
                                    return true;
                                })
                                .orElse(false));
                // it reads nothing: once the stall limit is over its sender lets go of the stored zip it was reading
                awaitNoOpenFileOfTheCache(proxy);
                IOException cut = null;
                try {
                    client.readRest();
                } catch (IOException e) {
                    cut = e;
                }
                assertTrue(cut != null, "the whole body went to a client that stalled");
            }
            HttpResponse<byte[]> next = proxy.client().send(get(proxy, zip), HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(bytes, next.body());
            assertEquals(1, upstream.hits(zip));
        }
    }

    /**
     * A cache that is closed (the proxy stopping) sends no more first clients: one still being sent to is cut off
     * once its next chunk is due, one that comes after is answered from the stored zip, and no sender thread is
     * left.
     */
    @Test
    void aClosedCacheCutsOffItsFirstClientsAndEndsTheirThreads() throws Exception {
        long before = firstClientThreads();
        byte[] bytes = BigModule.zip("example.com/cold0", "v1.0.0", 4 << 20);
        byte[] other = BigModule.zip("example.com/cold1", "v1.0.0", 2 << 20);
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options().sendBufferSize(SEND_BUFFER).stallLimit(Duration.ofMinutes(2)))) {
            upstream.on(zipPath(0), FakeUpstream.ok("application/zip", bytes));
            upstream.on(zipPath(1), FakeUpstream.ok("application/zip", other));
            try (SlowClient client = new SlowClient(proxy.port(), "/" + zipPath(0))) {
                assertEquals(200, client.status);
                assertTrue(firstClientThreads() > before);

                proxy.cache.close();
                IOException cut = null;
                try {
                    client.readRest();
                } catch (IOException e) {
                    cut = e;
                }
                assertTrue(cut != null, "the whole body arrived after the cache closed");
            }
            HttpResponse<byte[]> after =
                    proxy.client().send(get(proxy, zipPath(1)), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, after.statusCode());
            assertArrayEquals(other, after.body());
            await().atMost(Duration.ofSeconds(10)).until(() -> firstClientThreads() <= before);
        }
    }
}
