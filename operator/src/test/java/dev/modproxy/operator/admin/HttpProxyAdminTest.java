package dev.modproxy.operator.admin;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modproxy.contract.admin.AdminExamples;
import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.contract.admin.WarmupReport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HttpProxyAdminTest {

    private static final String STATS = "/admin/stats";
    private static final String WARMUP = "/admin/warmup";
    private AdminApiStub proxy;

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private HttpProxyAdmin admin(String path, int status, String answer) {
        proxy = AdminApiStub.start().answer(path, status, answer);
        return new HttpProxyAdmin(new ObjectMapper(), new ProxyAdminAddress(Optional.of(proxy.baseUrl() + "/")));
    }

    /** The proxy's tests check it writes exactly these files; here the operator reads them. */
    @ParameterizedTest
    @EnumSource(value = AdminExamples.class, names = "CACHE_STATS.*", mode = EnumSource.Mode.MATCH_ANY)
    void readsTheContractsStatsAnswers(AdminExamples example) throws IOException {
        assertThat(admin(STATS, 200, example.json()).stats(cache(spec -> {}))).isEqualTo(example.value());
    }

    @ParameterizedTest
    @EnumSource(value = AdminExamples.class, names = "WARMUP_.*", mode = EnumSource.Mode.MATCH_ANY)
    void readsTheContractsWarmupAnswers(AdminExamples example) throws IOException {
        assertThat(admin(WARMUP, 200, example.json()).warmup(cache(spec -> {}))).isEqualTo(example.value());
    }

    @Test
    void readsTheFiguresTheProxyReportsAndIgnoresFieldsItDoesNotKnow() throws IOException {
        HttpProxyAdmin admin = admin(
                STATS,
                200,
                "{\"sizeBytes\":2048,\"entries\":3,\"hits\":1,\"misses\":1,"
                        + "\"hitRatio\":0.5,\"evictions\":0,\"lastWarmup\":null,\"upstreams\":[{\"url\":\"https://proxy.golang.org\"}],"
                        + "\"addedByANewerProxy\":true}");

        CacheStats stats = admin.stats(cache(spec -> {}));

        assertThat(stats)
                .isEqualTo(new CacheStats(
                        2048,
                        3,
                        1,
                        1,
                        0, // a proxy from before negativeHits leaves it out
                        0.5,
                        0,
                        null,
                        List.of(new CacheStats.UpstreamHealth("https://proxy.golang.org", null))));
    }

    @Test
    void anErrorAnswerIsAFailureNamingTheUrlAndStatus() {
        HttpProxyAdmin admin = admin(STATS, 503, "starting");
        assertThatThrownBy(() -> admin.stats(cache(spec -> {})))
                .isInstanceOf(IOException.class)
                .hasMessageEndingWith("/admin/stats answered HTTP 503");
    }

    /** The reason ends up in the Ready condition's message ("Cache figures not refreshed: ..."). */
    @Test
    void aProxyThatRefusesTheConnectionIsAFailureNamingTheUrlAndWhy() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        HttpProxyAdmin admin = new HttpProxyAdmin(
                new ObjectMapper(), new ProxyAdminAddress(Optional.of("http://127.0.0.1:" + closedPort)));

        assertThatThrownBy(() -> admin.stats(cache(spec -> {})))
                .isInstanceOf(IOException.class)
                .hasMessage("http://127.0.0.1:" + closedPort + "/admin/stats did not answer: "
                        + "could not connect (refused or closed)");
        assertThatThrownBy(() -> admin.warmup(cache(spec -> {})))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("http://127.0.0.1:" + closedPort + "/admin/warmup did not answer: ")
                .hasMessageNotContaining("null");
    }

    @Test
    void somethingOtherThanStatsJsonIsAFailure() {
        HttpProxyAdmin admin = admin(STATS, 200, "<html>not the proxy</html>");
        assertThatThrownBy(() -> admin.stats(cache(spec -> {})))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("did not answer cache stats JSON");
    }

    @Test
    void withoutOverrideTheCacheIsReadThroughItsManagementService() {
        ProxyAdminAddress inCluster = new ProxyAdminAddress(Optional.empty());
        // not the Service build pods are given: the admin API is on the management port only
        assertThat(inCluster.baseUrl(cache("ci", "builds", spec -> {})))
                .isEqualTo("http://builds-management.ci.svc:9000");
    }

    @Test
    void startPostsTheListAndReturnsTheProxysAccount() throws IOException {
        HttpProxyAdmin admin = admin(
                WARMUP,
                202,
                "{\"state\":\"running\",\"requested\":2,\"completed\":0,\"failed\":0,"
                        + "\"failures\":[],\"startedAt\":\"2026-11-23T22:00:00Z\"}");

        WarmupReport started = admin.startWarmup(cache(spec -> {}), "golang.org/x/text@v0.14.0\n");

        assertThat(proxy.posted(WARMUP)).containsExactly("golang.org/x/text@v0.14.0\n");
        assertThat(started.state()).isEqualTo("running");
        assertThat(started.requested()).isEqualTo(2);
    }

    @Test
    void aBadLineIsARefusalInTheProxysWords() {
        HttpProxyAdmin admin =
                admin(WARMUP, 400, "{\"error\":\"bad warm-up list: line 1: expected module@version, got 'nonsense'\"}");
        assertThatThrownBy(() -> admin.startWarmup(cache(spec -> {}), "nonsense\n"))
                .isInstanceOfSatisfying(ProxyAdmin.WarmupRefused.class, e -> {
                    assertThat(e.busy()).isFalse();
                    assertThat(e.getMessage())
                            .isEqualTo("bad warm-up list: line 1: expected module@version, got 'nonsense'");
                });
    }

    @Test
    void aRunningWarmupIsABusyRefusal() {
        HttpProxyAdmin admin =
                admin(WARMUP, 409, "{\"error\":\"a warm-up is already running; see GET /admin/warmup\"}");
        assertThatThrownBy(() -> admin.startWarmup(cache(spec -> {}), "golang.org/x/text@v0.14.0\n"))
                .isInstanceOfSatisfying(
                        ProxyAdmin.WarmupRefused.class,
                        e -> assertThat(e.busy()).isTrue());
    }

    @Test
    void progressReadsFailuresOfAFinishedWarmup() throws IOException {
        HttpProxyAdmin admin = admin(
                WARMUP,
                200,
                "{\"state\":\"finished\",\"requested\":1,\"completed\":1,\"failed\":1,"
                        + "\"failures\":[{\"module\":\"example.com/gone\",\"version\":\"v1.0.0\",\"artifact\":\"zip\","
                        + "\"status\":404,\"reason\":\"gone\"}]}");

        WarmupReport progress = admin.warmup(cache(spec -> {}));

        assertThat(progress.failures())
                .containsExactly(new WarmupReport.Failure("example.com/gone", "v1.0.0", "zip", 404, "gone"));
    }
}
