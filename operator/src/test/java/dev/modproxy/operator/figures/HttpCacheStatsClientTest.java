package dev.modproxy.operator.figures;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.modproxy.operator.admin.ProxyAdminAddress;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpCacheStatsClientTest {

    private HttpServer proxy;
    private final AtomicReference<String> body = new AtomicReference<>();
    private final AtomicReference<Integer> code = new AtomicReference<>(200);

    @BeforeEach
    void startProxy() throws IOException {
        proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        proxy.createContext("/admin/stats", exchange -> {
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code.get(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        proxy.start();
    }

    @AfterEach
    void stopProxy() {
        proxy.stop(0);
    }

    private HttpCacheStatsClient client() {
        return new HttpCacheStatsClient(new ObjectMapper(),
                new ProxyAdminAddress(Optional.of("http://127.0.0.1:" + proxy.getAddress().getPort() + "/")));
    }

    @Test
    void readsTheFiguresTheProxyReportsAndIgnoresFieldsItDoesNotShow() throws IOException {
        body.set("{\"sizeBytes\":2048,\"entries\":3,\"hits\":1,\"misses\":1,\"hitRatio\":0.5,\"evictions\":0,"
                + "\"lastWarmup\":null,\"upstreams\":[{\"url\":\"https://proxy.golang.org\"}]}");

        CacheStats stats = client().read(cache(spec -> { }));

        assertThat(stats).isEqualTo(new CacheStats(2048, 3, 0.5, 0, null));
    }

    @Test
    void anErrorAnswerIsAFailureNamingTheUrlAndStatus() {
        code.set(503);
        body.set("starting");
        assertThatThrownBy(() -> client().read(cache(spec -> { })))
                .isInstanceOf(IOException.class).hasMessageEndingWith("/admin/stats answered HTTP 503");
    }

    @Test
    void somethingOtherThanStatsJsonIsAFailure() {
        body.set("<html>not the proxy</html>");
        assertThatThrownBy(() -> client().read(cache(spec -> { })))
                .isInstanceOf(IOException.class).hasMessageContaining("did not answer cache stats JSON");
    }

    @Test
    void withoutOverrideTheCacheIsReadThroughItsService() {
        ProxyAdminAddress inCluster = new ProxyAdminAddress(Optional.empty());
        assertThat(inCluster.baseUrl(cache("ci", "builds", spec -> { }))).isEqualTo("http://builds.ci.svc");
    }
}
