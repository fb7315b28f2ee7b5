package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.cluster.ClusterUnderTest;
import dev.modproxy.operator.cluster.TestRun;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator configured as a platform team would run it: a namespace list and leader election. */
@QuarkusTest
@TestProfile(ProductionSettingsTest.WatchedNamespacesWithLeaderElection.class)
@QuarkusTestResource(ClusterUnderTest.class)
class ProductionSettingsTest {

    // this run's own: on a real cluster a rerun must not meet the caches of the last one
    static final String WATCHED = TestRun.name("modproxy-watched");
    static final String IGNORED = TestRun.name("modproxy-ignored");

    public static class WatchedNamespacesWithLeaderElection implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.operator-sdk.controllers.goproxycache.namespaces", WATCHED,
                    "quarkus.operator-sdk.activate-leader-election-for-profiles", "test,prod",
                    "quarkus.kubernetes-client.namespace", WATCHED);
        }
    }

    @Inject
    KubernetesClient client;

    @Test
    void onlyCachesInWatchedNamespacesAreReconciled() {
        createNamespace(WATCHED);
        createNamespace(IGNORED);
        createCache(IGNORED, "elsewhere");
        createCache(WATCHED, "here");

        await().atMost(Duration.ofSeconds(30)).until(() -> deployment(WATCHED, "here") != null);
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> deployment(IGNORED, "elsewhere") == null);
        assertThat(client.resources(GoProxyCache.class)
                        .inNamespace(IGNORED)
                        .withName("elsewhere")
                        .get()
                        .getStatus())
                .isNull();
    }

    @Test
    void runningOperatorHoldsTheLeaderLease() {
        Lease lease = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> client.leases()
                                .inNamespace(WATCHED)
                                .withName("modproxy-operator-lease")
                                .get(),
                        l -> l != null && l.getSpec().getHolderIdentity() != null);
        assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();
    }

    private Deployment deployment(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get();
    }

    private void createNamespace(String name) {
        if (client.namespaces().withName(name).get() == null) {
            client.namespaces().resource(TestRun.namespace(name)).create();
        }
    }

    private void createCache(String ns, String name) {
        GoProxyCache cache = new GoProxyCache();
        cache.setMetadata(
                new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        client.resource(cache).create();
    }
}
