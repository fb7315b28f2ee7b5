package dev.modproxy.proxy.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hit streamed from storage (S3: no local file) holds a bounded number of bytes per response, however fast the
 * storage and however slow the clients; a stream that ends early breaks the connection at once.
 */
class StreamedHitBoundsTest {

    private static final String PATH = "/example.com/big/@v/v1.0.0.zip";
    private static final StorageKey KEY = new StorageKey("example.com/big/@v/v1.0.0.zip");

    /** The bytes a response may have written and not yet on its socket (ResponseStream's window). */
    private static final int WINDOW = 256 * 1024;

    private static final int SEND_BUFFER = 64 * 1024;
    private static final int RECEIVE_BUFFER = 16 * 1024;

    @TempDir
    Path cacheDir;

    /** Serves one object from memory as a stream (as fast as a storage can be), counting the bytes taken from it. */
    private static final class FastStream extends ForwardingStorage {
        final byte[] content;
        final long cutAt;
        final AtomicLong taken = new AtomicLong();

        FastStream(Storage disk, byte[] content, long cutAt) {
            super(disk);
            this.content = content;
            this.cutAt = cutAt;
        }

        @Override
        public Optional<StoredObject> lookup(StorageKey key) throws IOException {
            if (!key.equals(KEY)) {
                return delegate.lookup(key);
            }
            return Optional.of(StoredObject.ofStream(key, content.length, Instant.now(), () -> new InputStream() {
                final ByteArrayInputStream in =
                        new ByteArrayInputStream(content, 0, (int) Math.min(cutAt, content.length));

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    int n = in.read(b, off, len);
                    if (n > 0) {
                        taken.addAndGet(n);
                    }
                    return n;
                }
            }));
        }

        @Override
        public boolean lookupIsLocal() {
            return false;
        }
    }

    /** A raw HTTP/1.1 client with a small receive buffer, so what it does not read stays in the proxy. */
    private static final class SlowClient implements AutoCloseable {
        final Socket socket = new Socket();
        final InputStream in;
        final long contentLength;

        SlowClient(int port) throws IOException {
            socket.setReceiveBufferSize(RECEIVE_BUFFER);
            socket.setSoTimeout(10_000);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
            socket.getOutputStream()
                    .write(("GET " + PATH + " HTTP/1.1\r\nHost: proxy\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            in = socket.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            long length = -1;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).trim());
                }
            }
            contentLength = length;
        }

        /** Reads the body until the connection ends (or the object is whole): what arrived. */
        byte[] readBody() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            try {
                while (body.size() < contentLength) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    body.write(buffer, 0, n);
                }
            } catch (java.net.SocketException reset) {
                // a reset connection: what arrived before it is the answer
            }
            return body.toByteArray();
        }

        private static String readHead(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection ended in the head: " + head);
                }
                head.append((char) c);
            }
            return head.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static byte[] content(int size) {
        byte[] content = new byte[size];
        new Random(42).nextBytes(content);
        return content;
    }

    @Test
    void slowClientsOfAFastStorageHoldABoundedNumberOfBytesEach() throws Exception {
        byte[] content = content(16 * 1024 * 1024);
        FastStream[] storage = new FastStream[1];
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        int clients = 6;
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                "http://127.0.0.1:9",
                cacheDir,
                ProxyUnderTest.options()
                        .registry(registry)
                        .sendBufferSize(SEND_BUFFER)
                        .storageView(disk -> storage[0] = new FastStream(disk, content, Long.MAX_VALUE)))) {
            List<SlowClient> slow = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    slow.add(new SlowClient(proxy.port()));
                }
                // nobody reads: once the proxy stops taking from the storage, what it took is in its heap or the
                // kernel's (unbounded, it would only stop with every client's whole object taken)
                long[] last = {-1};
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> {
                            long now = storage[0].taken.get();
                            boolean settled = now > 0 && now == last[0];
                            last[0] = now;
                            return settled;
                        });
                long taken = storage[0].taken.get();
                System.out.printf("no client reading: %d bytes taken from storage for %d clients%n", taken, clients);
                // per client: its window, the chunk being read, and the socket buffers (Linux doubles SO_SNDBUF)
                long perClient = WINDOW + 64 * 1024 + 2 * SEND_BUFFER + RECEIVE_BUFFER;
                assertTrue(
                        taken <= clients * perClient,
                        "the proxy took " + taken + " bytes for " + clients + " clients that read nothing");
                double buffered =
                        registry.get("modproxy.response.buffered").gauge().value();
                assertTrue(buffered <= clients * WINDOW, buffered + " bytes buffered");

                ExecutorService readers = Executors.newFixedThreadPool(clients);
                try {
                    List<Future<byte[]>> bodies = new ArrayList<>();
                    for (SlowClient client : slow) {
                        bodies.add(readers.submit(client::readBody));
                    }
                    for (Future<byte[]> body : bodies) {
                        assertArrayEquals(content, body.get(60, TimeUnit.SECONDS));
                    }
                } finally {
                    readers.shutdownNow();
                }
            } finally {
                for (SlowClient client : slow) {
                    client.close();
                }
            }
        }
    }

    /**
     * A hit streamed from storage is copied to its client on a thread that waits while the client is slow. Those
     * threads must not be the shared worker pool every cold miss, list and {@code @latest} starts on (Vert.x's, 20
     * threads here, Quarkus's 200 in the application): enough slow readers of bucket hits would leave every other
     * request that is not a local hit waiting until one of them finished or stalled out.
     */
    @Test
    void slowClientsOfStreamedHitsDoNotHoldUpOtherRequests() throws Exception {
        byte[] content = content(4 * 1024 * 1024);
        int clients = 24; // more than Vert.x's default worker pool of 20
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                "http://127.0.0.1:9",
                cacheDir,
                ProxyUnderTest.options()
                        .sendBufferSize(SEND_BUFFER)
                        .stallLimit(Duration.ofMinutes(2))
                        .storageView(disk -> new FastStream(disk, content, Long.MAX_VALUE)))) {
            List<SlowClient> slow = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    try {
                        slow.add(new SlowClient(proxy.port())); // each has its head: its copy has begun, and waits
                    } catch (java.net.SocketTimeoutException e) {
                        throw new AssertionError(
                                "client " + (i + 1) + " got no answer within 10 s behind " + i + " slow ones", e);
                    }
                }
                // a request that is no local hit (upstream unreachable here: a quick 502) must not wait for them
                long started = System.nanoTime();
                var other = proxy.client()
                        .sendAsync(
                                java.net.http.HttpRequest.newBuilder(
                                                java.net.URI.create(proxy.url() + "/example.com/other/@v/list"))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                int status = other.get(30, TimeUnit.SECONDS).statusCode();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertEquals(502, status);
                assertTrue(
                        millis < 5000,
                        "a list took " + millis + " ms behind " + clients + " slow clients of streamed hits");
                // and the slow clients still get their whole answers
                ExecutorService readers = Executors.newFixedThreadPool(clients);
                try {
                    List<Future<byte[]>> bodies = new ArrayList<>();
                    for (SlowClient client : slow) {
                        bodies.add(readers.submit(client::readBody));
                    }
                    for (Future<byte[]> body : bodies) {
                        assertArrayEquals(content, body.get(60, TimeUnit.SECONDS));
                    }
                } finally {
                    readers.shutdownNow();
                }
            } finally {
                for (SlowClient client : slow) {
                    client.close();
                }
            }
        }
    }

    /**
     * Each slow client of a hit streamed from the bucket held a thread of GoProxyRoutes' storageSenders (an unbounded
     * cached pool) for as long as it read: nothing but quarkus.http.limits.max-connections (4000, and HTTP/2 streams
     * are not connections) bounded how many, so slow readers made the proxy start threads until the pod's pid or
     * memory limit ended it ('unable to create native thread' thrown from execute: that response never ended and its
     * object was never released). The threads are bounded, not one per slow client; the clients still get their
     * whole answers; and the threads end with the proxy.
     */
    @Test
    void slowClientsOfStreamedHitsDoNotEachHoldAThreadOfTheirOwn() throws Exception {
        byte[] content = content(4 * 1024 * 1024);
        int clients = 48;
        // threads left by another test's proxy are not this one's
        long before = storageSenderThreads();
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                "http://127.0.0.1:9",
                cacheDir,
                ProxyUnderTest.options()
                        .sendBufferSize(SEND_BUFFER)
                        .stallLimit(Duration.ofMinutes(2))
                        .storageView(disk -> new FastStream(disk, content, Long.MAX_VALUE)))) {
            List<SlowClient> slow = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    slow.add(new SlowClient(proxy.port()));
                }
                // every client has its head and then a full window, and none reads: no sender has work left
                await().atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> busySenders() == 0);
                long senders = storageSenderThreads() - before;
                System.out.printf("%d slow clients of streamed hits: %d storage-sender threads%n", clients, senders);
                assertTrue(
                        senders <= GoProxyRoutes.STORAGE_SENDERS && senders < clients / 2,
                        senders + " threads for " + clients + " slow clients: one each, without a bound");

                ExecutorService readers = Executors.newFixedThreadPool(clients);
                try {
                    List<Future<byte[]>> bodies = new ArrayList<>();
                    for (SlowClient client : slow) {
                        bodies.add(readers.submit(client::readBody));
                    }
                    for (Future<byte[]> body : bodies) {
                        assertArrayEquals(content, body.get(60, TimeUnit.SECONDS));
                    }
                } finally {
                    readers.shutdownNow();
                }
            } finally {
                for (SlowClient client : slow) {
                    client.close();
                }
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> storageSenderThreads() <= before);
    }

    /** Serves the object as FastStream does, counting the objects released. */
    private static final class CountedReleases extends ForwardingStorage {
        final FastStream stream;
        final AtomicLong handedOut = new AtomicLong();
        final AtomicLong released = new AtomicLong();

        CountedReleases(FastStream stream) {
            super(stream);
            this.stream = stream;
        }

        @Override
        public Optional<StoredObject> lookup(StorageKey key) throws IOException {
            Optional<StoredObject> found = delegate.lookup(key);
            if (!key.equals(KEY) || found.isEmpty()) {
                return found;
            }
            handedOut.incrementAndGet();
            return Optional.of(found.get().withRelease(released::incrementAndGet));
        }

        @Override
        public boolean lookupIsLocal() {
            return false;
        }
    }

    /**
     * A streamed hit whose sender cannot be had (the routes closed here; a pod out of threads fails the same
     * {@code execute}) is answered at once, a 503 saying why with Retry-After, and its object released: before, the
     * response never ended and the object stayed held.
     */
    @Test
    void aStreamedHitWithNoSenderToBeHadIsA503AndReleasesItsObject() throws Exception {
        byte[] content = content(1024 * 1024);
        CountedReleases[] storage = new CountedReleases[1];
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                "http://127.0.0.1:9",
                cacheDir,
                ProxyUnderTest.options()
                        .storageView(disk ->
                                storage[0] = new CountedReleases(new FastStream(disk, content, Long.MAX_VALUE))))) {
            proxy.assembly.routes().close();
            var refused = proxy.client()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(proxy.url() + PATH))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(503, refused.statusCode());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertTrue(refused.body().contains("no storage sender"), refused.body());
            assertEquals(1, storage[0].handedOut.get());
            await().atMost(Duration.ofSeconds(5)).until(() -> storage[0].released.get() == 1);
        }
    }

    /**
     * Routes that close (the proxy stopping) cut off the bucket hits still being sent, slow clients waiting for room
     * among them: each connection ends, each object is released, and no storage sender is left.
     */
    @Test
    void closingTheRoutesEndsTheStreamedHitsStillGoingAndTheirThreads() throws Exception {
        byte[] content = content(4 * 1024 * 1024);
        int clients = 4;
        CountedReleases[] storage = new CountedReleases[1];
        long before = storageSenderThreads();
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                "http://127.0.0.1:9",
                cacheDir,
                ProxyUnderTest.options()
                        .sendBufferSize(SEND_BUFFER)
                        .stallLimit(Duration.ofMinutes(2))
                        .storageView(disk ->
                                storage[0] = new CountedReleases(new FastStream(disk, content, Long.MAX_VALUE))))) {
            List<SlowClient> slow = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    slow.add(new SlowClient(proxy.port()));
                }
                assertEquals(0, storage[0].released.get(), "nothing released while every client is being sent to");

                long started = System.nanoTime();
                proxy.assembly.routes().close();
                for (SlowClient client : slow) {
                    byte[] body = client.readBody();
                    assertTrue(body.length < content.length, "a whole body after the routes closed");
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertTrue(millis < 5000, "the connections ended " + millis + " ms after the routes closed");
                await().atMost(Duration.ofSeconds(5)).until(() -> storage[0].released.get() == clients);
                await().atMost(Duration.ofSeconds(10)).until(() -> storageSenderThreads() <= before);
            } finally {
                for (SlowClient client : slow) {
                    client.close();
                }
            }
        }
    }

    /**
     * A slow client that stops reading holds no thread while it waits, yet it is still cut off once it has read
     * nothing for the stall limit, and its object released.
     */
    @Test
    void aStreamedHitsClientThatStopsReadingIsCutOffAfterTheStallLimit() throws Exception {
        byte[] content = content(4 * 1024 * 1024);
        CountedReleases[] storage = new CountedReleases[1];
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                "http://127.0.0.1:9",
                cacheDir,
                ProxyUnderTest.options()
                        .sendBufferSize(SEND_BUFFER)
                        .stallLimit(Duration.ofSeconds(1))
                        .storageView(disk ->
                                storage[0] = new CountedReleases(new FastStream(disk, content, Long.MAX_VALUE))))) {
            try (SlowClient client = new SlowClient(proxy.port())) {
                await().atMost(Duration.ofSeconds(10)).until(() -> storage[0].released.get() == 1);
                byte[] body = client.readBody();
                assertTrue(body.length < content.length, body.length + " bytes: the whole body to a stalled client");
            }
        }
    }

    /** Storage senders doing something (reading, writing) rather than waiting for work. */
    private static long busySenders() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("modproxy-storage-sender"))
                .filter(t -> t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING)
                .filter(Thread::isAlive)
                .count();
    }

    private static long storageSenderThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("modproxy-storage-sender"))
                .filter(Thread::isAlive)
                .count();
    }

    @Test
    void aStorageStreamThatEndsEarlyBreaksTheConnectionAtOnce() throws Exception {
        byte[] content = content(4 * 1024 * 1024);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                "http://127.0.0.1:9",
                cacheDir,
                ProxyUnderTest.options()
                        .registry(registry)
                        .storageView(disk -> new FastStream(disk, content, 1024 * 1024)))) {
            try (SlowClient client = new SlowClient(proxy.port())) {
                long started = System.nanoTime();
                byte[] body = client.readBody();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

                assertEquals(content.length, client.contentLength);
                assertEquals(1024 * 1024, body.length, "the bytes the storage gave, then the end");
                assertTrue(millis < 5000, "the connection ended after " + millis + " ms");
            }
            assertEquals(1.0, registry.counter("modproxy.storage.read.failures").count());
        }
    }
}
