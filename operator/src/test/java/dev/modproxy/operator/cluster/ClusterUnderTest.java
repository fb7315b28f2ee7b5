package dev.modproxy.operator.cluster;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;

import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * The Kubernetes API the operator tests talk to: the fabric8 mock server in CRUD mode, or the cluster of
 * the current kubeconfig when MODPROXY_TEST_CLUSTER=kubeconfig (the operator and the tests then use it).
 */
public class ClusterUnderTest implements QuarkusTestResourceLifecycleManager {

    public static final String SWITCH = "MODPROXY_TEST_CLUSTER";

    private KubernetesMockServer server;

    /** True when the tests run against a real API server, which has controllers and a garbage collector. */
    public static boolean isReal() {
        return "kubeconfig".equals(System.getenv(SWITCH));
    }

    @Override
    public Map<String, String> start() {
        if (isReal()) {
            return Map.of();
        }
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", server.url("/"),
                "quarkus.kubernetes-client.trust-certs", "true",
                "quarkus.kubernetes-client.namespace", "default");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.destroy();
        }
    }
}
