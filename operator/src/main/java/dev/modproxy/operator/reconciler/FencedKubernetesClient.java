package dev.modproxy.operator.reconciler;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The operator's one KubernetesClient, which the operator SDK, its leader election and the webhook use too: the
 * kubernetes-client extension's own, built from the same Config and serialization, with {@link FencedWrites} added.
 * The extension offers no hook into the HTTP client it builds (its customizers see the Config and the ObjectMapper),
 * so this replaces its default bean.
 */
@Singleton
public class FencedKubernetesClient {

    @Produces
    @Singleton
    KubernetesClient kubernetesClient(KubernetesSerialization serialization, Config config, LeadershipFence fence) {
        return FencedWrites.install(
                        new KubernetesClientBuilder()
                                .withKubernetesSerialization(serialization)
                                .withConfig(config),
                        fence,
                        config.getMasterUrl())
                .build();
    }

    void close(@Disposes KubernetesClient client) {
        client.close();
    }
}
