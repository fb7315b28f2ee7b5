package dev.modproxy.operator.cluster;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;

import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.util.HashMap;
import java.util.Queue;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * The Kubernetes API the operator tests talk to: the fabric8 mock server in CRUD mode, or the cluster of
 * the current kubeconfig when MODPROXY_TEST_CLUSTER=kubeconfig (the operator and the tests then use it).
 */
public class ClusterUnderTest implements QuarkusTestResourceLifecycleManager {

    public static final String SWITCH = "MODPROXY_TEST_CLUSTER";

    private static volatile KubernetesMockServer server;

    /** True when the tests run against a real API server, which has controllers and a garbage collector. */
    public static boolean isReal() {
        return "kubeconfig".equals(System.getenv(SWITCH));
    }

    /** The mock server, to script what it cannot do itself (quotas, admission); empty on a real cluster. */
    public static java.util.Optional<KubernetesMockServer> mock() {
        return java.util.Optional.ofNullable(server);
    }

    @Override
    public Map<String, String> start() {
        if (isReal()) {
            return Map.of();
        }
        Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), expectations,
                new KubernetesMixedDispatcher(expectations), false);
        server.init();
        // the mock has no authorizer; answer leader election's access check as the generated ClusterRole grants
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewStatus()
                        .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                        .withVerbs("get", "list", "watch", "create", "update", "patch").endResourceRule()
                        .withIncomplete(false)
                        .endStatus().build())
                .always();
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", server.url("/"),
                "quarkus.kubernetes-client.trust-certs", "true",
                "quarkus.kubernetes-client.namespace", "default");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.destroy();
            server = null;
        }
    }
}
