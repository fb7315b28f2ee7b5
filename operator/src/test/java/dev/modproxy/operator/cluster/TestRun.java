package dev.modproxy.operator.cluster;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * This test run on a real cluster: its id is part of every fixed name the tests use (so a run can follow
 * another on the same cluster while the last one's namespaces are still terminating), and its label is on
 * every namespace and cluster-wide object they make, which {@link ClusterUnderTest} deletes at the end.
 */
public final class TestRun {

    public static final String LABEL = "modproxy.dev/test-run";
    // a system property, not a static field: Quarkus loads test classes and profiles in more than one class loader
    private static final String PROPERTY = "modproxy.test.run";

    private TestRun() {}

    /** Five base-36 characters, the same for the whole test JVM. */
    public static String id() {
        return (String) System.getProperties()
                .computeIfAbsent(
                        PROPERTY,
                        key -> Long.toString(
                                36L * 36 * 36 * 36 + ThreadLocalRandom.current().nextLong(35L * 36 * 36 * 36 * 36),
                                36));
    }

    /** {@code <prefix>-<id>}. */
    public static String name(String prefix) {
        return prefix + "-" + id();
    }

    public static Map<String, String> labels() {
        return Map.of(LABEL, id());
    }

    /** A namespace of this run, to create. */
    public static Namespace namespace(String name) {
        return new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels())
                .endMetadata()
                .build();
    }
}
