package dev.modproxy.operator.warmup;

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

class HttpWarmupClientTest {

    private HttpServer proxy;
    private final AtomicReference<String> posted = new AtomicReference<>();
    private final AtomicReference<Integer> code = new AtomicReference<>(202);
    private final AtomicReference<String> answer = new AtomicReference<>();

    @BeforeEach
    void startProxy() throws IOException {
        proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        proxy.createContext("/admin/warmup", exchange -> {
            if ("POST".equals(exchange.getRequestMethod())) {
                posted.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            }
            byte[] bytes = answer.get().getBytes(StandardCharsets.UTF_8);
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

    private HttpWarmupClient client() {
        return new HttpWarmupClient(new ObjectMapper(),
                new ProxyAdminAddress(Optional.of("http://127.0.0.1:" + proxy.getAddress().getPort())));
    }

    @Test
    void startPostsTheListAndReturnsTheProxysAccount() throws IOException {
        answer.set("{\"state\":\"running\",\"requested\":2,\"completed\":0,\"failed\":0,\"failures\":[],"
                + "\"startedAt\":\"2026-11-23T22:00:00Z\"}");

        WarmupAnswer started = client().start(cache(spec -> { }), "golang.org/x/text@v0.14.0\n");

        assertThat(posted.get()).isEqualTo("golang.org/x/text@v0.14.0\n");
        assertThat(started.state()).isEqualTo("running");
        assertThat(started.requested()).isEqualTo(2);
    }

    @Test
    void aBadLineIsARefusalInTheProxysWords() {
        code.set(400);
        answer.set("{\"error\":\"bad warm-up list: line 1: expected module@version, got 'nonsense'\"}");
        assertThatThrownBy(() -> client().start(cache(spec -> { }), "nonsense\n"))
                .isInstanceOfSatisfying(WarmupClient.WarmupRefused.class, e -> {
                    assertThat(e.busy()).isFalse();
                    assertThat(e.getMessage()).isEqualTo("bad warm-up list: line 1: expected module@version, got 'nonsense'");
                });
    }

    @Test
    void aRunningWarmupIsABusyRefusal() {
        code.set(409);
        answer.set("{\"error\":\"a warm-up is already running; see GET /admin/warmup\"}");
        assertThatThrownBy(() -> client().start(cache(spec -> { }), "golang.org/x/text@v0.14.0\n"))
                .isInstanceOfSatisfying(WarmupClient.WarmupRefused.class, e -> assertThat(e.busy()).isTrue());
    }

    @Test
    void progressReadsFailuresOfAFinishedWarmup() throws IOException {
        code.set(200);
        answer.set("{\"state\":\"finished\",\"requested\":1,\"completed\":1,\"failed\":1,\"failures\":[{\"module\":"
                + "\"example.com/gone\",\"version\":\"v1.0.0\",\"artifact\":\"zip\",\"status\":404,\"reason\":\"gone\"}]}");

        WarmupAnswer progress = client().progress(cache(spec -> { }));

        assertThat(progress.failures()).containsExactly(
                new WarmupAnswer.Failure("example.com/gone", "v1.0.0", "zip", 404, "gone"));
    }
}
