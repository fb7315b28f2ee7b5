package dev.modproxy.operator.reconciler;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.dependent.CacheNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Which pods the operator watches, and which cache a pod's event wakes. */
class ProxyPodsTest {

    @Test
    void aProxyPodWakesTheCacheOfItsInstanceLabelInItsNamespace() {
        GoProxyCache cache = cache("team-a", "builds", spec -> {});
        Pod pod = pod("team-a", CacheNames.labels(cache));

        assertThat(ProxyPods.cacheOf(pod)).containsExactly(new ResourceID("builds", "team-a"));
    }

    @Test
    void aPodWithoutTheInstanceLabelWakesNothing() {
        assertThat(ProxyPods.cacheOf(pod("team-a", Map.of("app", "builds")))).isEmpty();
        assertThat(ProxyPods.cacheOf(new PodBuilder()
                        .withNewMetadata()
                        .withName("bare")
                        .withNamespace("team-a")
                        .endMetadata()
                        .build()))
                .isEmpty();
    }

    /** Only the operator's proxy pods: the selector holds the labels every proxy pod has, and no others. */
    @Test
    void theInformerSelectsTheLabelsEveryProxyPodCarries() {
        GoProxyCache cache = cache("team-a", "builds", spec -> spec.setPodLabels(Map.of("team", "a")));
        Map<String, String> selector = Arrays.stream(ProxyPods.SELECTOR.split(","))
                .map(term -> term.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1]));

        assertThat(CacheNames.labels(cache)).containsAllEntriesOf(selector);
        assertThat(selector)
                .containsEntry(CacheNames.MANAGED_BY_LABEL, CacheNames.MANAGER)
                .containsEntry(CacheNames.COMPONENT_LABEL, CacheNames.COMPONENT)
                .as("one informer for every cache's pods")
                .doesNotContainKey(CacheNames.INSTANCE_LABEL);
    }

    private static Pod pod(String namespace, Map<String, String> labels) {
        return new PodBuilder()
                .withNewMetadata()
                .withName("builds-7d9f8c6b5-abcde")
                .withNamespace(namespace)
                .withLabels(labels)
                .endMetadata()
                .build();
    }
}
