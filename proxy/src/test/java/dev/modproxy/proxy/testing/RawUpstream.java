package dev.modproxy.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An adversarial upstream: a loopback socket server that writes exactly the bytes a test scripts
 * per path, for answers no well-behaved HTTP library would send (Content-Length together with
 * chunked framing, a body dripped a byte at a time, headers that never end). One request per
 * connection; the connection closes after the answer.
 */
public final class RawUpstream implements AutoCloseable {

    /** Writes one answer on the socket. */
    @FunctionalInterface
    public interface Answer {
        void write(OutputStream out, RawUpstream server) throws IOException;
    }

    private final ServerSocket listener;
    private final ExecutorService connections = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "raw-upstream");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile Answer fallback = answer(404, "text/plain", "not found\n");

    private RawUpstream() throws IOException {
        listener = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
        connections.execute(this::accept);
    }

    public static RawUpstream start() throws IOException {
        return new RawUpstream();
    }

    public String url() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** path without the leading slash, e.g. {@code example.com/a/@v/list}. */
    public RawUpstream on(String path, Answer answer) {
        answers.put(path, answer);
        return this;
    }

    public RawUpstream otherwise(Answer answer) {
        fallback = answer;
        return this;
    }

    public int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    /** Waits up to d, or less when the server closes: for answers that take their time. */
    public void pause(Duration d) throws IOException {
        try {
            closing.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (closing.getCount() == 0) {
            throw new IOException("server closing");
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                return;
            }
            open.add(socket);
            try {
                connections.execute(() -> serve(socket));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // accepted just as close() shut the pool down: nobody waits for its answer
                open.remove(socket);
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            String path = requestPath(socket.getInputStream());
            if (path == null) {
                return;
            }
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            OutputStream out = socket.getOutputStream();
            answers.getOrDefault(path, fallback).write(out, this);
            out.flush();
        } catch (IOException e) {
            // the proxy hung up, or the answer ended the connection on purpose
        } finally {
            open.remove(socket);
        }
    }

    /** Reads the request head; returns the path without its leading slash, or null when none came. */
    private static String requestPath(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            head.write(c);
            matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        String requestLine = head.toString(StandardCharsets.ISO_8859_1).split("\r\n", 2)[0];
        String[] parts = requestLine.split(" ");
        return parts.length < 2 ? null : parts[1].substring(1);
    }

    /** A well-formed answer with Content-Length. */
    public static Answer answer(int status, String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return raw("HTTP/1.1 " + status + " X\r\nContent-Type: " + contentType + "\r\nContent-Length: " + bytes.length
                + "\r\nConnection: close\r\n\r\n" + body);
    }

    /** These bytes, exactly (ISO-8859-1 for the head; the body is written as UTF-8 text). */
    public static Answer raw(String bytes) {
        byte[] data = bytes.getBytes(StandardCharsets.UTF_8);
        return (out, server) -> out.write(data);
    }

    /** The body in chunked framing, optionally with a Content-Length that counts the framing too (RFC 9112 6.3 forbids both). */
    public static Answer chunked(String contentType, String body, boolean alsoContentLength) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String framed = Integer.toHexString(bytes.length) + "\r\n" + body + "\r\n0\r\n\r\n";
        int framedLength = framed.getBytes(StandardCharsets.UTF_8).length;
        return raw("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\n"
                + (alsoContentLength ? "Content-Length: " + framedLength + "\r\n" : "")
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + framed);
    }

    /** Headers at once, then the body one byte per interval: a slow-drip upstream. */
    public static Answer drip(String contentType, byte[] body, Duration interval) {
        return (out, server) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            for (byte b : body) {
                server.pause(interval);
                out.write(b);
                out.flush();
            }
        };
    }

    @Override
    public void close() throws IOException {
        closing.countDown();
        listener.close();
        for (Socket socket : open) {
            socket.close();
        }
        connections.shutdownNow();
    }
}
