package dev.modproxy.operator.reconciler;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * One active operator replica at a time, through a Lease in the operator's namespace. Active in the
 * profiles listed by quarkus.operator-sdk.activate-leader-election-for-profiles (prod by default).
 */
@Singleton
public class OperatorLeaderElection extends LeaderElectionConfiguration {

    public OperatorLeaderElection(
            @ConfigProperty(name = "modproxy.operator.lease-name", defaultValue = "modproxy-operator-lease")
            String leaseName,
            // a replica that lost the lease exits so its pod restarts clean; tests keep the JVM alive
            @ConfigProperty(name = "modproxy.operator.exit-on-lost-lease", defaultValue = "true")
            boolean exitOnLostLease) {
        super(leaseName, null, LEASE_DURATION_DEFAULT_VALUE, RENEW_DEADLINE_DEFAULT_VALUE, RETRY_PERIOD_DEFAULT_VALUE,
                null, null, exitOnLostLease);
    }
}
