package dev.modproxy.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class WebhookReadinessTest {

    KubernetesClient client;

    @Test
    void notReadyUntilTheCachesAndNamespacesAreListedAndTheServerListens() {
        KubernetesCacheDirectory directory = new KubernetesCacheDirectory(client, List.of());
        try {
            int[] port = {-1};
            WebhookReadiness readiness = new WebhookReadiness(true, () -> port[0], directory::synced, () -> true);

            HealthCheckResponse starting = readiness.call();
            assertThat(starting.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
            assertThat(starting.getData().orElseThrow()).containsEntry("cachesAndNamespacesListed", false);

            directory.start();
            await().atMost(Duration.ofSeconds(30)).until(directory::synced);
            assertThat(readiness.call().getStatus())
                    .as("listed, but no certificate yet, so nothing listens")
                    .isEqualTo(HealthCheckResponse.Status.DOWN);

            port[0] = 8443;
            HealthCheckResponse ready = readiness.call();
            assertThat(ready.getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
            assertThat(ready.getData().orElseThrow())
                    .containsEntry("listening", true)
                    .containsEntry("cachesAndNamespacesListed", true);
        } finally {
            directory.close();
        }
    }

    @Test
    void aDisabledWebhookNeverHoldsTheOperatorBack() {
        WebhookReadiness readiness = new WebhookReadiness(false, () -> -1, () -> false, () -> false);

        assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
    }
}
