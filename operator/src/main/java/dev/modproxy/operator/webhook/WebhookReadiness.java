package dev.modproxy.operator.webhook;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The operator pod is Ready only once its webhook answers as a settled replica does: listening with its certificate,
 * with the caches and namespaces listed, and warmed up. Before the lists a review would find no cache and no opted-in
 * namespace and let the pod through without GOPROXY (the webhook fails open); before the warm-up ({@link WebhookWarmup})
 * the first reviews wait while the JIT compiles their path. While a new replica is not Ready, its Service sends the API
 * server's reviews to the replicas that are.
 */
@Readiness
@Singleton
public class WebhookReadiness implements HealthCheck {

    static final String NAME = "admission webhook";

    private final boolean enabled;
    private final IntSupplier port;
    private final BooleanSupplier listed;
    private final BooleanSupplier warmedUp;

    @Inject
    WebhookReadiness(WebhookConfig config, WebhookServer server, KubernetesCacheDirectory directory) {
        this(config.enabled(), server::port, directory::synced, server::warmedUp);
    }

    WebhookReadiness(boolean enabled, IntSupplier port, BooleanSupplier listed, BooleanSupplier warmedUp) {
        this.enabled = enabled;
        this.port = port;
        this.listed = listed;
        this.warmedUp = warmedUp;
    }

    @Override
    public HealthCheckResponse call() {
        if (!enabled) {
            return HealthCheckResponse.named(NAME)
                    .up()
                    .withData("enabled", false)
                    .build();
        }
        boolean listening = port.getAsInt() > 0;
        boolean cachesListed = listed.getAsBoolean();
        boolean warm = warmedUp.getAsBoolean();
        return HealthCheckResponse.named(NAME)
                .status(listening && cachesListed && warm)
                .withData("listening", listening)
                .withData("cachesAndNamespacesListed", cachesListed)
                .withData("warmedUp", warm)
                .build();
    }
}
