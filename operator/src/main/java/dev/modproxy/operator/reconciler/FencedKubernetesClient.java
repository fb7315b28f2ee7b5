package dev.modproxy.operator.reconciler;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The operator's one KubernetesClient, which the operator SDK, its leader election and the webhook use too: made of
 * what the kubernetes-client extension's own producer builds with ({@code new KubernetesClientBuilder()} on the same
 * Config and serialization, so the same HTTP client factory: Quarkus' own, on its managed Vert.x; Quarkus 3.30), with
 * {@link FencedWrites} added (see {@link FencedWrites#client} for why it is assembled by hand). The extension offers no
 * hook into the HTTP client it builds (its customizers see the Config and the ObjectMapper), so this replaces its
 * default bean.
 */
@Singleton
public class FencedKubernetesClient {

    @Produces
    @Singleton
    KubernetesClient kubernetesClient(KubernetesSerialization serialization, Config config, LeadershipFence fence) {
        return FencedWrites.client(config, serialization, fence);
    }

    void close(@Disposes KubernetesClient client) {
        client.close();
    }
}
