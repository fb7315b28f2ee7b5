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

/**
 * A real HTTP server that forwards GETs below a prefix to another server, counting them; it can
 * be switched off (every request then fails with 503) to play an unreachable network path.
 */
public final class ForwardingServer implements AutoCloseable {

    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicInteger forwarded = new AtomicInteger();
    private volatile boolean down;

    /** Requests for prefix + path go to target + path; others get 404. */
    private ForwardingServer(String prefix, URI target) throws IOException {
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
                    answer = client.send(HttpRequest.newBuilder(URI.create(target + path.substring(prefix.length()))).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                exchange.sendResponseHeaders(answer.statusCode(), answer.body().length == 0 ? -1 : answer.body().length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer.body());
                }
            }
        });
        server.start();
    }

    public static ForwardingServer forward(String prefix, URI target) throws IOException {
        return new ForwardingServer(prefix, target);
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
