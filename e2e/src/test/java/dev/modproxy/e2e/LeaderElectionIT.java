package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Two operator processes and one Lease: one reconciles; when it dies, the other takes over. */
@ExtendWith(ControlPlane.class)
@Order(5)
class LeaderElectionIT {

    /** JOSDK's default lease duration, which the operator keeps. */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(15);

    @Test
    void whenTheLeaderIsKilledTheOtherOperatorTakesOverWithinTheLeaseDurationAndKeepsReconciling() {
        String namespace = Namespaces.of("failover");
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        chart.install(Map.of("operator.replicas", 2));
        OperatorProcess a = null;
        OperatorProcess b = null;
        try {
            Commands.Result scaled = cluster.kubectl("-n", ChartRelease.NAMESPACE, "scale", "deployment/modproxy-operator",
                    "--replicas=0");
            assertThat(scaled.succeeded()).as(scaled.toString()).isTrue();
            a = OperatorProcess.start("operator-a", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
            b = OperatorProcess.start("operator-b", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
            // an earlier operator's Lease (other test classes) expires first
            await("operator-a or operator-b holds the Lease").atMost(Duration.ofSeconds(60))
                    .until(() -> "operator-a".equals(holder(admin)) || "operator-b".equals(holder(admin)));
            String leader = holder(admin);
            OperatorProcess dying = leader.equals("operator-a") ? a : b;
            String follower = leader.equals("operator-a") ? "operator-b" : "operator-a";

            long killed = System.nanoTime();
            dying.kill();
            await("operator " + follower + " holds the Lease").atMost(LEASE_DURATION.plusSeconds(10))
                    .pollInterval(Duration.ofMillis(250)).until(() -> follower.equals(holder(admin)));
            Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
            assertThat(takeover).isLessThan(LEASE_DURATION.plusSeconds(5));

            Namespaces.ensure(admin, namespace);
            admin.genericKubernetesResources(Caches.GOPROXYCACHE).inNamespace(namespace)
                    .resource(Caches.cache(namespace, "default", Caches.smallSpec())).create();
            await("a cache created after the takeover Ready").atMost(Duration.ofSeconds(90))
                    .until(() -> Caches.conditionIs(Caches.get(admin, namespace, "default"), "Ready", "True"));
        } finally {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
            chart.uninstall();
        }
    }

    private static String holder(KubernetesClient admin) {
        Lease lease = admin.leases().inNamespace(ChartRelease.NAMESPACE).withName("modproxy-operator-lease").get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }
}
