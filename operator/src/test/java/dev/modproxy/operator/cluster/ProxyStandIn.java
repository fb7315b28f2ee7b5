package dev.modproxy.operator.cluster;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A real HTTP server answering the proxy's admin API, where the operator under test reads cache figures. */
public class ProxyStandIn implements QuarkusTestResourceLifecycleManager {

    public static final String STATS = "{\"sizeBytes\":3435973837,\"entries\":1200,\"hits\":930,\"misses\":70,"
            + "\"hitRatio\":0.93,\"evictions\":12,\"lastWarmup\":{\"finishedAt\":\"2026-11-23T22:00:00Z\","
            + "\"requested\":40,\"failed\":1},\"upstreams\":[]}";

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
