package dev.modproxy.operator.admin;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real HTTP server on a free loopback port standing in for a cache proxy's admin API: each path
 * answers what the test scripted, by method, and every POSTed body is kept.
 */
public final class AdminApiStub implements AutoCloseable {

    public record Answer(int status, String body) {}

    /** What one path answers to a request of the given method with the given body. */
    @FunctionalInterface
    public interface Script {
        Answer answer(String method, String requestBody);
    }

    private final HttpServer server;
    private final Map<String, List<String>> posted = new ConcurrentHashMap<>();

    private AdminApiStub(HttpServer server) {
        this.server = server;
    }

    public static AdminApiStub start() {
        try {
            AdminApiStub stub =
                    new AdminApiStub(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
            stub.server.start();
            return stub;
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a local port", e);
        }
    }

    /** {@code path} answers {@code status} and {@code body} to any method. */
    public AdminApiStub answer(String path, int status, String body) {
        return answer(path, (method, request) -> new Answer(status, body));
    }

    public AdminApiStub answer(String path, Script script) {
        posted.put(path, new CopyOnWriteArrayList<>());
        server.createContext(path, exchange -> {
            String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if ("POST".equals(exchange.getRequestMethod())) {
                posted.get(path).add(request);
            }
            Answer answer = script.answer(exchange.getRequestMethod(), request);
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        return this;
    }

    /** Bodies POSTed to {@code path}, oldest first. */
    public List<String> posted(String path) {
        return List.copyOf(posted.getOrDefault(path, List.of()));
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
