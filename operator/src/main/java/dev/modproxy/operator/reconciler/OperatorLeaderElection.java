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

    public OperatorLeaderElection(@ConfigProperty(name = "modproxy.operator.lease-name",
            defaultValue = "modproxy-operator-lease") String leaseName) {
        super(leaseName);
    }
}
