package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two operator processes and one Lease: one reconciles. Stopped the way a rolling update stops a pod
 * (SIGTERM), the leader hands the Lease over and the other leads within seconds; killed (SIGKILL, a node
 * dying), the other takes over once the Lease expires. Either way caches keep being reconciled.
 */
@ExtendWith(ControlPlane.class)
@Order(6)
class LeaderElectionIT {

    /** JOSDK's default lease duration, which the operator keeps. */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(15);
    /** How often a follower tries to acquire the Lease: JOSDK's retry period, 2 s, with fabric8's jitter of up to 1.2. */
    private static final Duration RETRY_PERIOD = Duration.ofMillis(2400);

    /** Each test's operators have names of their own: a killed one's Lease must not pass for the next one's. */
    private static int round;

    private ControlPlane cluster;
    private KubernetesClient admin;
    private ChartRelease chart;
    private OperatorProcess a;
    private OperatorProcess b;
    private OperatorProcess leader;
    private String follower;

    @BeforeEach
    void twoOperatorsOneOfThemLeading() {
        cluster = ControlPlane.shared();
        admin = cluster.admin();
        chart = new ChartRelease(cluster);
        chart.install(Map.of("operator.replicas", 2));
        Commands.Result scaled =
                cluster.kubectl("-n", ChartRelease.NAMESPACE, "scale", "deployment/modproxy-operator", "--replicas=0");
        assertThat(scaled.succeeded()).as(scaled.toString()).isTrue();
        round++;
        a = OperatorProcess.start(
                "operator-a" + round, cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
        b = OperatorProcess.start(
                "operator-b" + round, cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
        // a Lease an earlier, killed operator left behind expires first
        await(a.name() + " or " + b.name() + " holds the Lease")
                .atMost(Duration.ofSeconds(60))
                .until(() -> a.name().equals(holder()) || b.name().equals(holder()));
        leader = a.name().equals(holder()) ? a : b;
        follower = (leader == a ? b : a).name();
    }

    @AfterEach
    void stopOperatorsAndUninstall() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        chart.uninstall();
    }

    @Test
    void whenTheLeaderIsStoppedGracefullyTheOtherLeadsWithinARetryPeriodNotTheLeaseDuration() {
        long stopped = System.nanoTime();
        leader.terminate();

        await(follower + " holds the Lease")
                .atMost(LEASE_DURATION.plusSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> follower.equals(holder()));
        Duration takeover = Duration.ofNanos(System.nanoTime() - stopped);
        // without the handover it is the lease duration (15 s) plus up to a retry period
        assertThat(takeover)
                .as("from SIGTERM of %s to %s holding the Lease", leader.name(), follower)
                .isLessThan(RETRY_PERIOD.plusSeconds(2));
        assertThat(leader.awaitExit(Duration.ofSeconds(10)))
                .as(
                        "%s exits on SIGTERM by itself (no SIGKILL needed); its log:%n%s",
                        leader.name(), leader.tailOfLog())
                .isTrue();
        assertThat(leader.tailOfLog())
                .contains("Released the Lease " + ChartRelease.NAMESPACE + "/modproxy-operator-lease");

        aCacheCreatedNowTurnsReady(Namespaces.of("handover"));
        // starting, leading, handing over and stopping are all healthy: nothing for a platform team to chase
        assertThat(leader.warningsAndErrors())
                .as("WARN and ERROR lines of %s", leader.name())
                .isEmpty();
        assertThat((leader == a ? b : a).warningsAndErrors())
                .as("WARN and ERROR lines of %s", follower)
                .isEmpty();
    }

    @Test
    void whenTheLeaderIsKilledTheOtherOperatorTakesOverWithinTheLeaseDurationAndKeepsReconciling() {
        long killed = System.nanoTime();
        leader.kill();

        await(follower + " holds the Lease")
                .atMost(LEASE_DURATION.plusSeconds(10))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> follower.equals(holder()));
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        assertThat(takeover).isLessThan(LEASE_DURATION.plusSeconds(5));

        aCacheCreatedNowTurnsReady(Namespaces.of("failover"));
    }

    private void aCacheCreatedNowTurnsReady(String namespace) {
        Namespaces.ensure(admin, namespace);
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .resource(Caches.cache(namespace, "default", Caches.smallSpec()))
                .create();
        await("a cache created after the takeover Ready")
                .atMost(Duration.ofSeconds(90))
                .until(() -> Caches.conditionIs(Caches.get(admin, namespace, "default"), "Ready", "True"));
    }

    private String holder() {
        Lease lease = admin.leases()
                .inNamespace(ChartRelease.NAMESPACE)
                .withName("modproxy-operator-lease")
                .get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }
}
