package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.LeaderElectionManager;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/** A replica that stops leading: on shutdown it frees the Lease for the next one; having lost it, it exits. */
@EnableKubernetesMockClient(crud = true)
class LeaseHandoverTest {

    static final String NAMESPACE = "modproxy-system";
    static final String LEASE = "modproxy-operator-lease";

    KubernetesClient client;
    final List<Integer> exits = new CopyOnWriteArrayList<>();
    final LeadershipFence fence = new LeadershipFence();

    @Test
    void aLeaderShuttingDownReleasesTheLeaseAndDoesNotExit() {
        heldBy("operator-a");
        LeaseHandover handover = handover("operator-a", true);

        handover.shuttingDown();
        handover.onStopLeading();

        Lease lease = lease();
        assertThat(lease.getSpec().getHolderIdentity())
                .as("holder after release")
                .isNullOrEmpty();
        assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(1);
        assertThat(exits).isEmpty();
    }

    @Test
    void shuttingDownQuietsTheElectorsWarningAboutTheRenewalTheShutdownInterruptsButNotItsErrors() {
        java.util.logging.Logger elector = java.util.logging.Logger.getLogger(LeaderElector.class.getName());
        elector.setLevel(null); // as in a running replica (another test's shutdown may have set it)
        try {
            handover("operator-a", true).shuttingDown();

            assertThat(elector.isLoggable(Level.WARNING))
                    .as("'Exception occurred while acquiring lock ... retrying' from an interrupted renewal")
                    .isFalse();
            assertThat(elector.isLoggable(Level.SEVERE)).isTrue();
        } finally {
            elector.setLevel(null); // other tests' replicas are running ones
        }
    }

    /**
     * JOSDK follows the handover with "Stopped leading, configured not to exit" (its own exit is off so that the
     * handover exits instead): untrue of a replica that exits or shuts down. A lost Lease leaves one INFO line that
     * says why the replica exits and that its pod restarts.
     */
    @Test
    void aReplicaThatStopsLeadingToExitOrShutDownSaysWhyOnceAndJosdkDoesNotSayItStays() {
        heldBy("operator-b");
        java.util.logging.Logger josdk = java.util.logging.Logger.getLogger(LeaderElectionManager.class.getName());
        try (CapturedLog log = new CapturedLog(LeaseHandover.class.getName())) {
            josdk.setLevel(null); // as in a running replica (another test's handover may have set it)
            handover("operator-a", true).onStopLeading();

            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(exits).containsExactly(1));
            assertThat(josdk.isLoggable(Level.INFO))
                    .as("JOSDK's 'configured not to exit'")
                    .isFalse();
            assertThat(josdk.isLoggable(Level.WARNING)).isTrue();
            assertThat(log.records).singleElement().satisfies(line -> {
                assertThat(line.getLevel()).isEqualTo(Level.INFO);
                assertThat(CapturedLog.text(line))
                        .contains("Lost the Lease " + NAMESPACE + "/" + LEASE + " as operator-a")
                        .contains("not renewed within 10 s")
                        .contains("the pod restarts");
            });

            josdk.setLevel(null);
            LeaseHandover shuttingDown = handover("operator-a", true);
            shuttingDown.shuttingDown();
            shuttingDown.onStopLeading();
            assertThat(josdk.isLoggable(Level.INFO))
                    .as("JOSDK's 'configured not to exit'")
                    .isFalse();

            josdk.setLevel(null);
            handover("operator-a", false).onStopLeading();
            assertThat(josdk.isLoggable(Level.INFO))
                    .as("a replica configured to stay alive does not exit: JOSDK says so truly")
                    .isTrue();
        } finally {
            josdk.setLevel(null); // other tests' replicas are running ones
        }
    }

    @Test
    void aReplicaShuttingDownLeavesALeaseAnotherReplicaHoldsAlone() {
        heldBy("operator-b");
        String version = lease().getMetadata().getResourceVersion();
        LeaseHandover handover = handover("operator-a", true);

        handover.shuttingDown();
        handover.onStopLeading();

        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("operator-b");
        assertThat(lease().getMetadata().getResourceVersion()).isEqualTo(version);
    }

    @Test
    void aLeaderThatLostTheLeaseWhileRunningExitsWithoutTouchingIt() {
        heldBy("operator-b");
        String version = lease().getMetadata().getResourceVersion();

        handover("operator-a", true).onStopLeading();

        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(exits).containsExactly(1));
        assertThat(lease().getMetadata().getResourceVersion()).isEqualTo(version);
    }

    @Test
    void theExitDoesNotRunOnTheElectorsThreadWhoseLockTheShutdownNeeds() {
        heldBy("operator-b");
        CountDownLatch shutdownHooksDone = new CountDownLatch(1);
        // System.exit returns only after the shutdown hooks, which wait for the elector's lock
        LeaseHandover handover = new LeaseHandover(
                client,
                NAMESPACE,
                LEASE,
                "operator-a",
                true,
                status -> {
                    exits.add(status);
                    awaitQuietly(shutdownHooksDone);
                },
                fence);

        CompletableFuture<Void> electorThread = CompletableFuture.runAsync(handover::onStopLeading);

        await().atMost(Duration.ofSeconds(5)).until(electorThread::isDone);
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(exits).containsExactly(1));
        shutdownHooksDone.countDown();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aLeaderConfiguredToStayAliveKeepsRunningAfterLosingTheLease() {
        heldBy("operator-b");

        handover("operator-a", false).onStopLeading();

        assertThat(exits).isEmpty();
        assertThat(fence.raised())
                .as("JOSDK goes on dispatching reconciliations: they must not write")
                .isTrue();
    }

    /**
     * A leader frozen past the lease duration (SIGSTOP, a paused VM) wakes up with events queued: JOSDK dispatched
     * them after the elector reported the Lease lost, in the second before the exit stopped it, beside the new leader.
     */
    @Test
    void aLeaderThatLostTheLeaseRaisesTheFenceBeforeItStartsToExit() {
        heldBy("operator-b");
        List<Boolean> fencedAtExit = new CopyOnWriteArrayList<>();
        LeaseHandover handover = new LeaseHandover(
                client, NAMESPACE, LEASE, "operator-a", true, status -> fencedAtExit.add(fence.raised()), fence);
        assertThat(fence.raised()).isFalse();

        handover.onStopLeading();

        assertThat(fence.raised()).as("raised when onStopLeading returns").isTrue();
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(fencedAtExit).containsExactly(true));
    }

    /**
     * A pause the fence notices while the elector keeps the Lease (a renewal in flight through the freeze succeeds
     * once the process wakes, nobody having taken the Lease yet): fenced and still leading, the replica would renew
     * the Lease and write nothing, and no other replica could take over.
     */
    @Test
    void aLeaderFencedByAPauseExitsOnceThoughTheElectorStillHoldsTheLease() {
        heldBy("operator-a");
        AtomicLong now = new AtomicLong();
        LeadershipFence paused = new LeadershipFence(now::get, Duration.ofMillis(10_500));
        LeaseHandover handover = new LeaseHandover(client, NAMESPACE, LEASE, "operator-a", true, exits::add, paused);
        handover.onStartLeading();

        now.addAndGet(Duration.ofSeconds(11).toNanos());

        assertThat(paused.raised()).isTrue();
        await("the pod restarts")
                .atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(exits).containsExactly(1));
        handover.onStopLeading(); // the elector, later, if it learns the Lease is lost
        await().during(Duration.ofMillis(300))
                .atMost(Duration.ofSeconds(2))
                .untilAsserted(() -> assertThat(exits).as("one exit").containsExactly(1));
    }

    @Test
    void aLeaderShuttingDownIsFencedToo() {
        heldBy("operator-a");
        LeaseHandover handover = handover("operator-a", true);

        handover.shuttingDown();
        handover.onStopLeading();

        assertThat(fence.raised()).isTrue();
    }

    @Test
    void withoutALeaseThereIsNothingToReleaseAndNoError() {
        // no Lease at all: nothing to release, and no exception escapes into the shutdown
        LeaseHandover handover = handover("operator-a", true);
        handover.shuttingDown();

        assertThat(handover.release()).isFalse();
        assertThat(exits).isEmpty();
    }

    private LeaseHandover handover(String identity, boolean exitOnLostLease) {
        return new LeaseHandover(client, NAMESPACE, LEASE, identity, exitOnLostLease, exits::add, fence);
    }

    private void heldBy(String holder) {
        client.leases()
                .inNamespace(NAMESPACE)
                .resource(new LeaseBuilder()
                        .withNewMetadata()
                        .withName(LEASE)
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withHolderIdentity(holder)
                        .withLeaseDurationSeconds(15)
                        .withAcquireTime(ZonedDateTime.now())
                        .withRenewTime(ZonedDateTime.now())
                        .withLeaseTransitions(0)
                        .endSpec()
                        .build())
                .create();
    }

    private Lease lease() {
        return client.leases().inNamespace(NAMESPACE).withName(LEASE).get();
    }
}
