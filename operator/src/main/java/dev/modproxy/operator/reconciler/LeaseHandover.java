package dev.modproxy.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.javaoperatorsdk.operator.LeaderElectionManager;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import org.jboss.logging.Logger;

/**
 * What a replica does when it stops leading. Shutting down (a rolling update, a drain), it releases the Lease, so
 * the next replica leads within a retry period instead of after the lease duration; JOSDK 5.2 cannot be told to
 * (it builds fabric8's elector with releaseOnCancel off). Having lost the Lease while running, it exits so its pod
 * restarts clean. JOSDK's own exit is not used: it calls System.exit inside the shutdown sequence too, and while
 * holding the elector's lock, and either way the process hangs until the kubelet's SIGKILL.
 */
final class LeaseHandover {

    private static final Logger LOG = Logger.getLogger(LeaseHandover.class);
    /**
     * fabric8's elector. The shutdown interrupts the renewal it may have in flight, and it logs that as a WARN
     * ("Exception occurred while acquiring lock ... retrying", caused by an InterruptedIOException) although nothing
     * is wrong: from then on only its errors are logged; {@link #release} reports its own failures. Held here so the
     * level set on it stays with it.
     */
    private static final java.util.logging.Logger ELECTOR_LOG =
            java.util.logging.Logger.getLogger(LeaderElector.class.getName());
    /**
     * JOSDK's, which follows this class's callback with "Stopped leading, configured not to exit" at INFO: untrue of a
     * replica that shuts down or exits, as each does here (it is off so that this class exits instead). Quieted
     * before it says so; its warnings stay.
     */
    private static final java.util.logging.Logger JOSDK_ELECTION_LOG =
            java.util.logging.Logger.getLogger(LeaderElectionManager.class.getName());

    private final KubernetesClient client;
    private final String namespace;
    private final String leaseName;
    private final String identity;
    private final boolean exitOnLostLease;
    private final IntConsumer exit;
    private final LeadershipFence fence;
    private volatile boolean shuttingDown;
    /** Once: a pause while leading and then the elector's report of the lost Lease both end the process. */
    private final AtomicBoolean exiting = new AtomicBoolean();

    /**
     * @param namespace the Lease's namespace (null when the client has none: leader election then fails to start)
     * @param exit      ends the process with a status ({@code System::exit}; tests record it instead)
     * @param fence     raised first thing once this replica stops leading: its reconciliations write nothing after
     */
    LeaseHandover(
            KubernetesClient client,
            String namespace,
            String leaseName,
            String identity,
            boolean exitOnLostLease,
            IntConsumer exit,
            LeadershipFence fence) {
        this.client = client;
        this.namespace = namespace;
        this.leaseName = leaseName;
        this.identity = identity;
        this.exitOnLostLease = exitOnLostLease;
        this.exit = exit;
        this.fence = fence;
    }

    String namespace() {
        return namespace;
    }

    String identity() {
        return identity;
    }

    /** Called as the application starts shutting down, before the operator stops and gives up leadership. */
    void shuttingDown() {
        shuttingDown = true;
        ELECTOR_LOG.setLevel(Level.SEVERE);
    }

    /** fabric8 calls this once this replica holds the Lease, before JOSDK starts dispatching reconciliations. */
    void onStartLeading() {
        fence.startedLeading(this::onPausedWhileLeading);
    }

    /**
     * The fence saw this replica paused past the renew deadline while it led, and writes nothing from now on. The
     * elector may still hold the Lease and go on renewing it (a renewal in flight through the pause succeeded): the
     * replica exits as for a lost Lease, so that another leads instead of none.
     */
    private void onPausedWhileLeading() {
        if (shuttingDown) {
            return; // the shutdown under way releases the Lease
        }
        if (!exitOnLostLease) {
            LOG.infof(
                    "Paused while it led the Lease %s/%s as %s; this replica reconciles no more until it is "
                            + "restarted, and may hold the Lease meanwhile",
                    namespace, leaseName, identity);
            return;
        }
        JOSDK_ELECTION_LOG.setLevel(Level.WARNING);
        LOG.infof(
                "Paused while it led the Lease %s/%s as %s; exiting: the pod restarts and leads again once it "
                        + "holds the Lease",
                namespace, leaseName, identity);
        exit();
    }

    /** fabric8 calls this after this replica led: on shutdown once event processing has stopped, or when the Lease was lost. */
    void onStopLeading() {
        // before anything else: JOSDK keeps dispatching the events queued meanwhile (e.g. while this process was
        // frozen past the lease duration) until the exit below stops it, and another replica leads already
        fence.raise();
        if (shuttingDown) {
            JOSDK_ELECTION_LOG.setLevel(Level.WARNING);
            release();
        } else if (!exitOnLostLease) {
            LOG.infof(
                    "Lost the Lease %s/%s as %s; this replica reconciles no more until it is restarted",
                    namespace, leaseName, identity);
        } else if (!exiting.get()) { // else a pause already ended the process, and said why
            JOSDK_ELECTION_LOG.setLevel(Level.WARNING);
            // the one line this exit is meant to leave: the reconciliations it interrupts are logged at DEBUG
            LOG.infof(
                    "Lost the Lease %s/%s as %s (not renewed within %d s: the API server did not answer, or another "
                            + "replica holds it); exiting: the pod restarts and leads again once it holds the Lease",
                    namespace,
                    leaseName,
                    identity,
                    LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE.toSeconds());
            exit();
        }
    }

    private void exit() {
        if (exiting.compareAndSet(false, true)) {
            // not on the caller's thread, which the shutdown this starts would wait for: the elector's holds its
            // lock, and a reconciliation's (a pause noticed there) is one the operator's stop waits to finish
            new Thread(() -> exit.accept(1), "modproxy-lost-lease-exit").start();
        }
    }

    /** Frees the Lease if this replica still holds it; true when it did. */
    boolean release() {
        if (namespace == null) {
            return false;
        }
        LeaseLock lock = new LeaseLock(namespace, leaseName, identity);
        LeaderCallbacks none = new LeaderCallbacks(() -> {}, () -> {}, leader -> {});
        // fabric8's release(): empty holder, duration 1 s, only if the Lease still names this identity
        var elector = new LeaderElectorBuilder(client, Runnable::run)
                .withConfig(new LeaderElectionConfig(
                        lock,
                        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
                        none,
                        true,
                        leaseName))
                .build();
        try {
            boolean released = elector.release();
            if (released) {
                LOG.infof(
                        "Released the Lease %s/%s held by %s: another replica leads at once",
                        namespace, leaseName, identity);
            }
            return released;
        } catch (KubernetesClientException e) {
            LOG.warnf(
                    "Could not release the Lease %s/%s (%s); another replica leads once it expires",
                    namespace, leaseName, e.getMessage());
            return false;
        }
    }
}
