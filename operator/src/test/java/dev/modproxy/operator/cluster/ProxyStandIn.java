package dev.modproxy.operator.cluster;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real HTTP server answering the proxy's admin API, where the operator under test reads cache figures. */
public class ProxyStandIn implements QuarkusTestResourceLifecycleManager {

    public static final String STATS = "{\"sizeBytes\":3435973837,\"entries\":1200,\"hits\":930,\"misses\":70,"
            + "\"hitRatio\":0.93,\"evictions\":12,\"lastWarmup\":{\"finishedAt\":\"2026-11-23T22:00:00Z\","
            + "\"requested\":40,\"failed\":1},\"upstreams\":[]}";

    /** Warm-up lists the operator posted, in order. */
    public static final List<String> WARMUP_POSTS = new CopyOnWriteArrayList<>();

    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a local port", e);
        }
        server.createContext("/admin/stats", exchange -> {
            byte[] body = STATS.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        // accepts any list, then reports it finished with one failure, as the proxy does after a 404
        server.createContext("/admin/warmup", exchange -> {
            String answer;
            int code;
            if ("POST".equals(exchange.getRequestMethod())) {
                WARMUP_POSTS.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                code = 202;
                answer = "{\"state\":\"running\",\"requested\":3,\"completed\":0,\"failed\":0,\"failures\":[]}";
            } else {
                code = 200;
                answer = "{\"state\":\"finished\",\"requested\":3,\"completed\":3,\"failed\":1,\"failures\":"
                        + "[{\"module\":\"example.com/gone\",\"version\":\"v1.0.0\",\"artifact\":\"zip\","
                        + "\"status\":404,\"reason\":\"not found upstream\"}]}";
            }
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return Map.of("modproxy.operator.proxy-url-override",
                "http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
