package dev.modproxy.operator.figures;

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

class HttpCacheStatsClientTest {

    private AdminApiStub proxy;

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private HttpCacheStatsClient client(int status, String stats) {
        proxy = AdminApiStub.start().answer("/admin/stats", status, stats);
        return new HttpCacheStatsClient(new ObjectMapper(), new ProxyAdminAddress(Optional.of(proxy.baseUrl() + "/")));
    }

    @Test
    void readsTheFiguresTheProxyReportsAndIgnoresFieldsItDoesNotShow() throws IOException {
        HttpCacheStatsClient client = client(200, "{\"sizeBytes\":2048,\"entries\":3,\"hits\":1,\"misses\":1,"
                + "\"hitRatio\":0.5,\"evictions\":0,\"lastWarmup\":null,\"upstreams\":[{\"url\":\"https://proxy.golang.org\"}]}");

        CacheStats stats = client.read(cache(spec -> { }));

        assertThat(stats).isEqualTo(new CacheStats(2048, 3, 0.5, 0, null));
    }

    @Test
    void anErrorAnswerIsAFailureNamingTheUrlAndStatus() {
        HttpCacheStatsClient client = client(503, "starting");
        assertThatThrownBy(() -> client.read(cache(spec -> { })))
                .isInstanceOf(IOException.class).hasMessageEndingWith("/admin/stats answered HTTP 503");
    }

    @Test
    void somethingOtherThanStatsJsonIsAFailure() {
        HttpCacheStatsClient client = client(200, "<html>not the proxy</html>");
        assertThatThrownBy(() -> client.read(cache(spec -> { })))
                .isInstanceOf(IOException.class).hasMessageContaining("did not answer cache stats JSON");
    }

    @Test
    void withoutOverrideTheCacheIsReadThroughItsManagementService() {
        ProxyAdminAddress inCluster = new ProxyAdminAddress(Optional.empty());
        // not the Service build pods are given: the admin API is on the management port only
        assertThat(inCluster.baseUrl(cache("ci", "builds", spec -> { }))).isEqualTo("http://builds-management.ci.svc:9000");
    }
}
