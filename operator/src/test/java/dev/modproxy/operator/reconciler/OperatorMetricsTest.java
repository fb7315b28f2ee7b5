package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.cluster.ClusterUnderTest;
import dev.modproxy.operator.cluster.TestRun;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Prometheus finds the operator's reconciliation metrics and its health on the usual Quarkus paths. */
@QuarkusTest
@QuarkusTestResource(ClusterUnderTest.class)
class OperatorMetricsTest {

    @Inject
    KubernetesClient client;

    @TestHTTPResource("/q/metrics")
    URI metrics;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @Test
    void reconciliationsShowUpOnTheMetricsEndpoint() throws Exception {
        String ns = "metrics-" + System.nanoTime();
        client.namespaces().resource(TestRun.namespace(ns)).create();
        GoProxyCache cache = new GoProxyCache();
        cache.setMetadata(
                new ObjectMetaBuilder().withName("counted").withNamespace(ns).build());
        client.resource(cache).create();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String body = get(metrics).body();
            assertThat(body)
                    .contains("operator_sdk_reconciliations_success_total")
                    .contains("goproxycache");
        });
        assertThat(get(ready).statusCode()).isEqualTo(200);
        client.namespaces().withName(ns).delete();
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        // HTTP/1.1: the JDK client's HTTP/2 default asks the plain management port for an h2c upgrade
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(
                        HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofMinutes(1))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    /** Once the operator started, a thread without a handler of its own (as the SDK's are) logs what escapes it. */
    @Test
    void whatEscapesAThreadGoesToTheOperatorsLog() throws Exception {
        IllegalArgumentException thrown = new IllegalArgumentException("nothing caught this");
        try (CapturedLog log = new CapturedLog(UncaughtFailures.class.getName())) {
            Thread thread = new Thread(
                    () -> {
                        throw thrown;
                    },
                    "escaping-thread");
            thread.start();
            thread.join();

            assertThat(log.records).singleElement().satisfies(record -> {
                assertThat(CapturedLog.text(record)).contains("escaping-thread");
                assertThat(record.getThrown()).isSameAs(thrown);
            });
        }
    }
}
