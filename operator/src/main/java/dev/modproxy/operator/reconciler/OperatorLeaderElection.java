package dev.modproxy.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * One active operator replica at a time, through a Lease in the operator's namespace. Active in the
 * profiles listed by quarkus.operator-sdk.activate-leader-election-for-profiles (prod by default).
 * A replica that shuts down hands the Lease over at once ({@link LeaseHandover}).
 */
@Singleton
public class OperatorLeaderElection extends LeaderElectionConfiguration {

    private final LeaseHandover handover;

    @Inject
    public OperatorLeaderElection(
            @ConfigProperty(name = "modproxy.operator.lease-name", defaultValue = "modproxy-operator-lease")
                    String leaseName,
            // a replica that lost the lease exits so its pod restarts clean; tests keep the JVM alive
            @ConfigProperty(name = "modproxy.operator.exit-on-lost-lease", defaultValue = "true")
                    boolean exitOnLostLease,
            KubernetesClient client,
            LeadershipFence fence) {
        this(
                leaseName,
                new LeaseHandover(
                        client,
                        client.getConfiguration().getNamespace(),
                        leaseName,
                        identity(),
                        exitOnLostLease,
                        System::exit,
                        fence));
    }

    private OperatorLeaderElection(String leaseName, LeaseHandover handover) {
        // the namespace JOSDK would infer from the client, named here so that the handover releases the same Lease;
        // exitOnStopLeading off: the handover exits itself, and never during shutdown
        super(
                leaseName,
                handover.namespace(),
                LEASE_DURATION_DEFAULT_VALUE,
                RENEW_DEADLINE_DEFAULT_VALUE,
                RETRY_PERIOD_DEFAULT_VALUE,
                handover.identity(),
                new LeaderCallbacks(handover::onStartLeading, handover::onStopLeading, leader -> {}),
                false);
        this.handover = handover;
    }

    // before quarkus-operator-sdk's own observer (default priority) stops the operator and with it the election
    void onShutdown(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        handover.shuttingDown();
    }

    /** The pod's name in a cluster (as JOSDK's default), else a name of this process alone. */
    private static String identity() {
        String hostname = System.getenv("HOSTNAME");
        return hostname != null && !hostname.isBlank() ? hostname : "modproxy-operator-" + UUID.randomUUID();
    }
}
