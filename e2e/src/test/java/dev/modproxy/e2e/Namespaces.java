package dev.modproxy.e2e;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Namespaces of this test run: unique per run, so the suite can run again against the same
 * cluster (MODPROXY_TEST_CLUSTER) while the previous run's namespaces are still terminating.
 */
public final class Namespaces {

    private static final String RUN = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36), 36);

    private Namespaces() {}

    /** {@code team-<purpose>-<run>}. */
    public static String of(String purpose) {
        return "team-" + purpose + "-" + RUN;
    }

    /** Creates the namespace, or keeps it when a test of the run made it already. */
    public static void ensure(KubernetesClient admin, String name) {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .build())
                .createOr(existing -> existing.update());
    }
}
