package dev.modproxy.proxy.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/** A real HTTP server playing a GOPROXY upstream, with per-path behaviour and request counts. */
public final class FakeUpstream implements AutoCloseable {

    @FunctionalInterface
    public interface Behaviour {
        void answer(HttpExchange exchange) throws IOException;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile Behaviour fallback = status(404, "not found");

    private FakeUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath().substring(1);
            total.incrementAndGet();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            synchronized (hits) {
                hits.notifyAll(); // see onceAsked
            }
            try (exchange) {
                behaviours.getOrDefault(path, fallback).answer(exchange);
            } catch (IOException e) {
                // the proxy hung up; nothing to report
            }
        });
        server.start();
    }

    public static FakeUpstream start() throws IOException {
        return new FakeUpstream();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public FakeUpstream on(String path, Behaviour behaviour) {
        behaviours.put(path, behaviour);
        return this;
    }

    public FakeUpstream otherwise(Behaviour behaviour) {
        fallback = behaviour;
        return this;
    }

    public int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    public int totalHits() {
        return total.get();
    }

    public static Behaviour ok(String contentType, byte[] body) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        };
    }

    public static Behaviour ok(String contentType, String body) {
        return ok(contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public static Behaviour status(int status, String body) {
        return exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        };
    }

    /** The whole body, in pieces of 64 KiB spread over about took: a link slower than the proxy's checks. */
    public static Behaviour slowly(String contentType, byte[] body, Duration took) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(200, body.length);
            OutputStream out = exchange.getResponseBody();
            int pieces = (body.length + 65535) / 65536;
            for (int at = 0; at < body.length; at += 65536) {
                out.write(body, at, Math.min(65536, body.length - at));
                out.flush();
                LockSupport.parkNanos(took.toNanos() / pieces); // the link's pace, not a wait for anything
            }
        };
    }

    /** Declares the full length, sends only part of the body, then drops the connection. */
    public static Behaviour truncated(byte[] body, int sent) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/zip");
            exchange.sendResponseHeaders(200, body.length);
            OutputStream out = exchange.getResponseBody();
            out.write(body, 0, sent);
            out.flush();
            throw new IOException("dropping the connection on purpose");
        };
    }

    /**
     * Answers as {@code answer} does once {@code other} has been asked for (within 10 s), else 504: shows that
     * whoever asks for this path asks for the other one too, without waiting for this answer first.
     */
    public Behaviour onceAsked(String other, Behaviour answer) {
        return exchange -> {
            boolean asked;
            try {
                asked = awaitHit(other, Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                asked = false;
            }
            (asked ? answer : status(504, other + " was not asked")).answer(exchange);
        };
    }

    private boolean awaitHit(String path, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (hits) {
            while (hits(path) == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                hits.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
            }
            return true;
        }
    }

    /** Accepts the request and never answers (until the server closes). */
    public Behaviour hang() {
        return exchange -> {
            try {
                closing.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
