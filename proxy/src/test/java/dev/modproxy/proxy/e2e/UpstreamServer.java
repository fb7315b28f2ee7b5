package dev.modproxy.proxy.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on 127.0.0.1 serving a static GOPROXY tree, the way a plain file-serving mirror
 * does. It counts requests per URL path and can hold chosen responses half-sent until released,
 * so a test can crash a client mid-transfer at a known point.
 */
final class UpstreamServer implements AutoCloseable {

    private final Path tree;
    private final HttpServer server;
    private final ExecutorService workers = Executors.newCachedThreadPool();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> halfSent = new ConcurrentHashMap<>();
    private final Map<String, Path> replaced = new ConcurrentHashMap<>();
    private final CountDownLatch releaseStalled = new CountDownLatch(1);
    private volatile boolean running;

    private UpstreamServer(Path tree) throws IOException {
        this.tree = tree.toAbsolutePath().normalize();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        server.createContext("/", this::handle);
        server.setExecutor(workers);
    }

    static UpstreamServer start(Path tree) throws IOException {
        UpstreamServer upstream = new UpstreamServer(tree);
        upstream.server.start();
        upstream.running = true;
        return upstream;
    }

    /** The base URL, usable as a GOPROXY entry. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** How many requests arrived for this URL path (decoded, e.g. `/example.com/!upper/mod/@v/list`). */
    int requestCount(String urlPath) {
        AtomicInteger n = requests.get(urlPath);
        return n == null ? 0 : n.get();
    }

    Map<String, Integer> requestCounts() {
        Map<String, Integer> copy = new java.util.TreeMap<>();
        requests.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    /** From now on, {@code urlPath} is answered with {@code file} instead of the tree's file. */
    void serve(String urlPath, Path file) {
        replaced.put(urlPath, file);
    }

    /** From now on, responses for {@code urlPath} stop after half their body until {@link #releaseStalled()}. */
    void stallHalfway(String urlPath) {
        halfSent.put(urlPath, new CountDownLatch(1));
    }

    /** True once a stalled response for {@code urlPath} has sent its first half. */
    boolean hasSentHalf(String urlPath) {
        CountDownLatch latch = halfSent.get(urlPath);
        return latch != null && latch.getCount() == 0;
    }

    void releaseStalled() {
        releaseStalled.countDown();
    }

    /** Stops answering: connections are refused from now on, like a mirror that went away. */
    void stop() {
        if (running) {
            running = false;
            releaseStalled();
            server.stop(0);
            workers.shutdownNow();
        }
    }

    @Override
    public void close() {
        stop();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String urlPath = exchange.getRequestURI().getPath();
            requests.computeIfAbsent(urlPath, p -> new AtomicInteger()).incrementAndGet();
            Path file = replaced.getOrDefault(
                    urlPath, tree.resolve(urlPath.substring(1)).normalize());
            if (!"GET".equals(exchange.getRequestMethod())
                    || !(file.startsWith(tree) || replaced.containsKey(urlPath))
                    || !Files.isRegularFile(file)) {
                byte[] body = ("not found: " + urlPath + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(404, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            byte[] body = Files.readAllBytes(file);
            exchange.getResponseHeaders().set("Content-Type", contentType(urlPath));
            exchange.sendResponseHeaders(200, body.length);
            OutputStream out = exchange.getResponseBody();
            CountDownLatch stall = halfSent.get(urlPath);
            if (stall == null) {
                out.write(body);
                return;
            }
            out.write(body, 0, body.length / 2);
            out.flush();
            stall.countDown();
            if (releaseStalled.await(5, TimeUnit.MINUTES)) {
                out.write(body, body.length / 2, body.length - body.length / 2);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String contentType(String urlPath) {
        if (urlPath.endsWith(".zip")) {
            return "application/zip";
        }
        if (urlPath.endsWith(".info") || urlPath.endsWith("/@latest")) {
            return "application/json";
        }
        return "text/plain; charset=utf-8";
    }
}
