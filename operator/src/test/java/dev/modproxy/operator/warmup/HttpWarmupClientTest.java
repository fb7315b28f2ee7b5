package dev.modproxy.operator.warmup;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modproxy.operator.admin.AdminApiStub;
import dev.modproxy.operator.admin.ProxyAdminAddress;
import java.io.IOException;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpWarmupClientTest {

    private static final String WARMUP = "/admin/warmup";
    private AdminApiStub proxy;

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private HttpWarmupClient client(int status, String answer) {
        proxy = AdminApiStub.start().answer(WARMUP, status, answer);
        return new HttpWarmupClient(new ObjectMapper(), new ProxyAdminAddress(Optional.of(proxy.baseUrl())));
    }

    @Test
    void startPostsTheListAndReturnsTheProxysAccount() throws IOException {
        HttpWarmupClient client = client(202, "{\"state\":\"running\",\"requested\":2,\"completed\":0,\"failed\":0,"
                + "\"failures\":[],\"startedAt\":\"2026-11-23T22:00:00Z\"}");

        WarmupAnswer started = client.start(cache(spec -> { }), "golang.org/x/text@v0.14.0\n");

        assertThat(proxy.posted(WARMUP)).containsExactly("golang.org/x/text@v0.14.0\n");
        assertThat(started.state()).isEqualTo("running");
        assertThat(started.requested()).isEqualTo(2);
    }

    @Test
    void aBadLineIsARefusalInTheProxysWords() {
        HttpWarmupClient client = client(400,
                "{\"error\":\"bad warm-up list: line 1: expected module@version, got 'nonsense'\"}");
        assertThatThrownBy(() -> client.start(cache(spec -> { }), "nonsense\n"))
                .isInstanceOfSatisfying(WarmupClient.WarmupRefused.class, e -> {
                    assertThat(e.busy()).isFalse();
                    assertThat(e.getMessage()).isEqualTo("bad warm-up list: line 1: expected module@version, got 'nonsense'");
                });
    }

    @Test
    void aRunningWarmupIsABusyRefusal() {
        HttpWarmupClient client = client(409, "{\"error\":\"a warm-up is already running; see GET /admin/warmup\"}");
        assertThatThrownBy(() -> client.start(cache(spec -> { }), "golang.org/x/text@v0.14.0\n"))
                .isInstanceOfSatisfying(WarmupClient.WarmupRefused.class, e -> assertThat(e.busy()).isTrue());
    }

    @Test
    void progressReadsFailuresOfAFinishedWarmup() throws IOException {
        HttpWarmupClient client = client(200, "{\"state\":\"finished\",\"requested\":1,\"completed\":1,\"failed\":1,"
                + "\"failures\":[{\"module\":\"example.com/gone\",\"version\":\"v1.0.0\",\"artifact\":\"zip\","
                + "\"status\":404,\"reason\":\"gone\"}]}");

        WarmupAnswer progress = client.progress(cache(spec -> { }));

        assertThat(progress.failures()).containsExactly(
                new WarmupAnswer.Failure("example.com/gone", "v1.0.0", "zip", 404, "gone"));
    }
}
