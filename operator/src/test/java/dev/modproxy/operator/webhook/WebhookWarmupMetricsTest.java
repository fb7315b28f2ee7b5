package dev.modproxy.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modproxy.operator.cluster.ClusterUnderTest;
import dev.modproxy.operator.cluster.TestRun;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The warm-up in the running operator: an application of its own (no other test's reviews counted), so what the
 * webhook's metrics hold once it is warmed up is what the warm-up left in them.
 */
@QuarkusTest
@TestProfile(WebhookWarmupMetricsTest.WarmupProfile.class)
@QuarkusTestResource(ClusterUnderTest.class)
class WebhookWarmupMetricsTest {

    /** The webhook on, as in the other webhook tests, in an application no other test class shares. */
    public static class WarmupProfile extends WebhookEnabledProfile {

        static final int REVIEWS = 40;

        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("modproxy.webhook.warmup-reviews", Integer.toString(REVIEWS));
            overrides.put("modproxy.webhook.warmup-time-limit", "1m");
            return overrides;
        }
    }

    @Inject
    WebhookServer server;

    @Inject
    MeterRegistry registry;

    @Inject
    KubernetesClient client;

    @Test
    void theWarmupsReviewsLeaveTheInjectionMetricsAtZero() {
        // the certificate Secret lives there; a real API server needs the namespace to exist
        if (client.namespaces()
                        .withName(WebhookEnabledProfile.OPERATOR_NAMESPACE)
                        .get()
                == null) {
            client.namespaces()
                    .resource(TestRun.namespace(WebhookEnabledProfile.OPERATOR_NAMESPACE))
                    .create();
        }
        await().atMost(Duration.ofSeconds(90)).until(server::warmedUp);

        assertThat(server.warmupReviewsAnswered())
                .as("reviews the warm-up had answered with a patch")
                .isEqualTo(WarmupProfile.REVIEWS);
        assertThat(counts("modproxy.webhook.injections"))
                .as("pods seen, by outcome")
                .containsOnlyKeys("injected", "fallback-only", "skipped", "error")
                .allSatisfy((outcome, count) -> assertThat(count).isZero());
        assertThat(counts("modproxy.webhook.dry.runs"))
                .allSatisfy((outcome, count) -> assertThat(count).isZero());
        assertThat(registry.get("modproxy.webhook.review").timer().count()).isZero();
    }

    private Map<String, Double> counts(String counter) {
        Collection<Counter> counters = registry.get(counter).counters();
        Map<String, Double> byOutcome = new HashMap<>();
        counters.forEach(c -> byOutcome.put(c.getId().getTag("outcome"), c.count()));
        return byOutcome;
    }
}
