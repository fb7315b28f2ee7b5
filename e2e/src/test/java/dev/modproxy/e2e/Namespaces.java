package dev.modproxy.e2e;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Namespaces of this test run: unique per run, so the suite can run again against the same
 * cluster (MODPROXY_TEST_CLUSTER) while the previous run's namespaces are still terminating.
 */
public final class Namespaces {

    private static final String RUN = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36), 36);

    private Namespaces() {
    }

    /** {@code team-<purpose>-<run>}. */
    public static String of(String purpose) {
        return "team-" + purpose + "-" + RUN;
    }
}
