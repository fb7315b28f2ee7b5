package dev.modproxy.operator.cluster;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;

/**
 * The Kubernetes API the operator tests talk to: the fabric8 mock server in CRUD mode, or a real cluster
 * when MODPROXY_TEST_CLUSTER is set, as for e2e/: {@code kubeconfig} for the cluster of the current
 * kubeconfig ($KUBECONFIG, else ~/.kube/config), or the path of a kubeconfig (the operator and the tests
 * then use it).
 */
public class ClusterUnderTest implements QuarkusTestResourceLifecycleManager {

    public static final String SWITCH = "MODPROXY_TEST_CLUSTER";
    /** The CRD users apply, which CommittedCrdTest keeps equal to the generated one. */
    static final Path COMMITTED_CRD = Path.of("..", "crds", "goproxycaches.modproxy.dev-v1.yml");

    private static final String FIELD_MANAGER = "modproxy-operator-tests";

    private static volatile KubernetesMockServer server;

    /** True when the tests run against a real API server, which has controllers and a garbage collector. */
    public static boolean isReal() {
        String value = System.getenv(SWITCH);
        return value != null && !value.isBlank();
    }

    /** A kubeconfig path in MODPROXY_TEST_CLUSTER becomes the one every fabric8 client of this JVM reads. */
    private static void useNamedKubeconfig() {
        String value = System.getenv(SWITCH);
        if (!"kubeconfig".equals(value)) {
            System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, value);
        }
    }

    /** The mock server, to script what it cannot do itself (quotas, admission); empty on a real cluster. */
    public static Optional<KubernetesMockServer> mock() {
        return Optional.ofNullable(server);
    }

    @Override
    public Map<String, String> start() {
        if (isReal()) {
            useNamedKubeconfig();
            try (KubernetesClient client = new KubernetesClientBuilder().build()) {
                applyCommittedCrd(client);
            }
            return Map.of();
        }
        Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
        server = new KubernetesMockServer(
                new io.fabric8.mockwebserver.Context(),
                new MockWebServer(),
                expectations,
                new KubernetesMixedDispatcher(expectations),
                false);
        server.init();
        // the mock has no authorizer; answer leader election's access check as the generated ClusterRole grants
        server.expect()
                .post()
                .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(
                        201,
                        new SelfSubjectRulesReviewBuilder()
                                .withNewStatus()
                                .addNewResourceRule()
                                .withApiGroups("coordination.k8s.io")
                                .withResources("leases")
                                .withVerbs("get", "list", "watch", "create", "update", "patch")
                                .endResourceRule()
                                .withIncomplete(false)
                                .endStatus()
                                .build())
                .always();
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", server.url("/"),
                "quarkus.kubernetes-client.trust-certs", "true",
                "quarkus.kubernetes-client.namespace", "default");
    }

    @Override
    public void stop() {
        if (isReal()) {
            try (KubernetesClient client = new KubernetesClientBuilder().build()) {
                deleteWhatThisRunMade(client);
            }
        }
        if (server != null) {
            server.destroy();
            server = null;
        }
    }

    /**
     * The committed CRD, applied server-side under the tests' own field manager: unlike the operator SDK's
     * replace (its crd.apply, off in this mode), that keeps what others own, such as a Helm release's labels.
     */
    private static void applyCommittedCrd(KubernetesClient client) {
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(COMMITTED_CRD)) {
            crd = client.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .load(in)
                    .item();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + COMMITTED_CRD, e);
        }
        client.resource(crd).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        await("CRD " + crd.getMetadata().getName() + " Established")
                .atMost(Duration.ofSeconds(60))
                .until(() -> established(client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName(crd.getMetadata().getName())
                        .get()));
    }

    private static boolean established(CustomResourceDefinition crd) {
        return crd != null
                && crd.getStatus() != null
                && crd.getStatus().getConditions().stream()
                        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Namespaces, webhook configurations and CRDs labelled with this run's id; waits until the namespaces are gone. */
    private static void deleteWhatThisRunMade(KubernetesClient client) {
        Map<String, String> labels = TestRun.labels();
        client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withLabels(labels)
                .delete();
        client.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withLabels(labels)
                .delete();
        client.namespaces().withLabels(labels).delete();
        // the next test application's operator must not find caches in namespaces that are going away
        await("this run's namespaces deleted")
                .atMost(Duration.ofSeconds(120))
                .until(() -> client.namespaces().withLabels(labels).list().getItems().stream()
                        .map(HasMetadata::getMetadata)
                        .toList()
                        .isEmpty());
    }
}
