package dev.modproxy.proxy.sumdb;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A real HTTP server that forwards GETs below a prefix to another server, counting them; it can
 * be switched off (every request then fails with 503) to play an unreachable network path, and
 * it can lie: rewrite the answers for some paths on their way through.
 */
public final class ForwardingServer implements AutoCloseable {

    private final HttpServer server;
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicInteger forwarded = new AtomicInteger();
    private volatile boolean down;
    private final BiFunction<String, byte[], byte[]> rewrite;

    /** Requests for prefix + path go to target + path; others get 404. */
    private ForwardingServer(String prefix, URI target, BiFunction<String, byte[], byte[]> rewrite) throws IOException {
        this.rewrite = rewrite;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getRawPath();
                if (down) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                if (!path.startsWith(prefix)) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                forwarded.incrementAndGet();
                HttpResponse<byte[]> answer;
                try {
                    answer = client.send(
                            HttpRequest.newBuilder(URI.create(target + path.substring(prefix.length())))
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                byte[] body = answer.statusCode() == 200
                        ? rewrite.apply(
                                path.substring(prefix.length() + 1),
                                answer.body().clone())
                        : answer.body();
                exchange.sendResponseHeaders(answer.statusCode(), body.length == 0 ? -1 : body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
    }

    public static ForwardingServer forward(String prefix, URI target) throws IOException {
        return new ForwardingServer(prefix, target, (path, body) -> body);
    }

    /**
     * Forwards like {@link #forward} but answers 200s with {@code rewrite(path, body)}, the path
     * relative to the prefix ("latest", "lookup/...", "tile/..."): a lying mirror of the database.
     */
    public static ForwardingServer lying(String prefix, URI target, BiFunction<String, byte[], byte[]> rewrite)
            throws IOException {
        return new ForwardingServer(prefix, target, rewrite);
    }

    /** A rewrite that flips one bit in the middle of the answers for these paths: the right length, the wrong content. */
    public static BiFunction<String, byte[], byte[]> flippingOneBitOf(String... lyingPaths) {
        java.util.Set<String> lies = java.util.Set.of(lyingPaths);
        return (path, body) -> {
            if (lies.contains(path) && body.length > 0) {
                body[body.length / 2] ^= 1;
            }
            return body;
        };
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public int forwarded() {
        return forwarded.get();
    }

    public void setDown(boolean down) {
        this.down = down;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
