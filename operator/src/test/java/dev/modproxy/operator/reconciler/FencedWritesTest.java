package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.webhook.tls.OperatorManagedCertificates;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator's client, as {@link FencedKubernetesClient} builds it, against an API server: a leader frozen in the
 * middle of a reconciliation (a paused VM, SIGSTOP, a long GC) sends none of that reconciliation's writes once it
 * wakes, and still renews or releases its Lease and keeps its webhook's certificate.
 */
@EnableKubernetesMockClient(crud = true)
class FencedWritesTest {

    static final String NS = "team-a";

    KubernetesMockServer server;
    /** Unfenced: what anyone else sees of the API server. */
    KubernetesClient client;

    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final LeadershipFence fence = new LeadershipFence(now::get, LeadershipFenceTest.LONGEST_PAUSE);
    KubernetesClient operator;

    @BeforeEach
    void operatorClient() {
        operator = fencedClient(client.getConfiguration());
        fence.startedLeading(() -> {});
    }

    @AfterEach
    void close() {
        fence.raise(); // stops its watch
        operator.close();
    }

    @Test
    void whileItLeadsTheOperatorsWritesGoOut() {
        operator.resource(configMap("builds-config", "v1")).create();
        operator.configMaps()
                .inNamespace(NS)
                .withName("builds-config")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"data\":{\"k\":\"v2\"}}");
        operator.resource(deployment("builds")).create();
        operator.apps().deployments().inNamespace(NS).withName("builds").delete();

        assertThat(client.configMaps()
                        .inNamespace(NS)
                        .withName("builds-config")
                        .get()
                        .getData())
                .containsEntry("k", "v2");
        assertThat(client.apps()
                        .deployments()
                        .inNamespace(NS)
                        .withName("builds")
                        .get())
                .isNull();
    }

    /**
     * The reconciliation wrote its ConfigMap, then the process froze past the renew deadline; woken, it goes on with
     * the Deployment, its Service's ports, the status and a delete, before any tick of the fence's watch or the
     * elector has run: none of it reaches the API server.
     */
    @Test
    void aReconciliationFrozenPastTheRenewDeadlineSendsNothingOnceItWakes() throws InterruptedException {
        client.resource(deployment("builds")).create();
        GoProxyCache cache = client.resource(cache("builds")).create();
        operator.resource(configMap("builds-config", "v1")).create();
        requestsSent();

        now.addAndGet(Duration.ofSeconds(16).toNanos()); // frozen

        List<Runnable> writes = List.of(
                () -> operator.resource(deployment("builds-2")).create(),
                () -> operator.apps()
                        .deployments()
                        .inNamespace(NS)
                        .withName("builds")
                        .patch(
                                PatchContext.of(PatchType.JSON_MERGE),
                                "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}"),
                () -> operator.resource(configMap("builds-config", "v2")).update(),
                () -> operator.resource(withStatus(cache)).updateStatus(),
                () -> operator.resource(withStatus(cache)).patchStatus(),
                () -> operator.configMaps()
                        .inNamespace(NS)
                        .withName("builds-config")
                        .delete());
        for (Runnable write : writes) {
            assertThatThrownBy(write::run)
                    .as("the write's exception, or its cause")
                    .satisfies(e -> assertThat(fencedIn(e)).isTrue());
        }

        assertThat(requestsSent())
                .as("requests the API server received after the pause")
                .allMatch(request -> request.startsWith("GET "));
        assertThat(client.configMaps()
                        .inNamespace(NS)
                        .withName("builds-config")
                        .get()
                        .getData())
                .containsEntry("k", "v1");
        assertThat(client.resources(GoProxyCache.class)
                        .inNamespace(NS)
                        .withName("builds")
                        .get()
                        .getStatus())
                .isNull();
        assertThat(fence.raised()).as("for good").isTrue();
    }

    /** The elector reported the Lease lost while the Deployment was being made: the next write does not go out. */
    @Test
    void oneWriteGoesOutTheNextAfterTheFenceRoseDoesNot() {
        operator.resource(configMap("builds-config", "v1")).create();

        fence.raise();

        assertThatThrownBy(() -> operator.resource(deployment("builds")).create())
                .satisfies(e -> assertThat(fencedIn(e)).isTrue())
                .hasMessageContaining("POST /apis/apps/v1/namespaces/team-a/deployments not sent");
        assertThat(client.apps()
                        .deployments()
                        .inNamespace(NS)
                        .withName("builds")
                        .get())
                .isNull();
        assertThat(client.configMaps().inNamespace(NS).withName("builds-config").get())
                .isNotNull();
    }

    /**
     * The API server answered the Deployment's create with a 503 and fabric8 sends it again after a backoff, on its
     * scheduler's thread; the fence rose meanwhile. The create ends refused, at once, rather than never: an exception
     * thrown on that thread reaches nobody, and the reconciliation waiting for the answer would wait for good.
     */
    @Test
    void aWriteFabric8SendsAgainAfterTheFenceRoseEndsRefused() throws InterruptedException {
        String deployments = "/apis/apps/v1/namespaces/" + NS + "/deployments";
        server.expect()
                .post()
                .withPath(deployments)
                .andReply(503, request -> {
                    fence.raise(); // the Lease was lost while the API server was busy
                    return "{}";
                })
                .once();

        assertTimeoutPreemptively(
                Duration.ofSeconds(30),
                () -> assertThatThrownBy(
                                () -> operator.resource(deployment("builds")).create())
                        .satisfies(e -> assertThat(fencedIn(e)).isTrue()),
                "the create's answer, whatever it is");

        assertThat(requestsSent())
                .as("writes the API server received")
                .filteredOn(request -> !request.startsWith("GET "))
                .containsExactly("POST " + deployments);
        assertThat(client.apps()
                        .deployments()
                        .inNamespace(NS)
                        .withName("builds")
                        .get())
                .isNull();
    }

    /**
     * With a token that can be refreshed (an OIDC provider, a rotated service account token), fabric8 answers a 401 by
     * sending the write again at once with a fresh token, and without asking the interceptors first: the fence rose
     * while the first attempt was out, so the second is not sent.
     */
    @Test
    void aWriteAnswered401AfterTheFenceRoseIsNotSentAgainWithAFreshToken() throws InterruptedException {
        String deployments = "/apis/apps/v1/namespaces/" + NS + "/deployments";
        server.expect()
                .post()
                .withPath(deployments)
                .andReply(401, request -> {
                    fence.raise();
                    return "{}";
                })
                .once();
        requestsSent();

        try (KubernetesClient refreshing = fencedClient(new ConfigBuilder(client.getConfiguration())
                .withOauthTokenProvider(() -> "fresh")
                .build())) {
            assertThatThrownBy(() -> refreshing.resource(deployment("builds")).create())
                    .satisfies(e -> assertThat(fencedIn(e)).isTrue());
        }

        assertThat(requestsSent())
                .as("writes the API server received")
                .filteredOn(request -> !request.startsWith("GET "))
                .containsExactly("POST " + deployments);
        assertThat(client.apps()
                        .deployments()
                        .inNamespace(NS)
                        .withName("builds")
                        .get())
                .isNull();
    }

    @Test
    void readsGoOnWhileFenced() {
        client.resource(configMap("builds-config", "v1")).create();
        fence.raise();

        assertThat(operator.configMaps()
                        .inNamespace(NS)
                        .withName("builds-config")
                        .get())
                .isNotNull();
        assertThat(operator.configMaps().inNamespace(NS).list().getItems()).hasSize(1);
    }

    /** fabric8's elector renews with the same client; a replica shutting down releases the Lease after the fence rose. */
    @Test
    void theLeaseIsStillRenewedAndReleasedWhileFenced() {
        String lease = "modproxy-operator-lease";
        operator.leases()
                .inNamespace(NS)
                .resource(new LeaseBuilder()
                        .withNewMetadata()
                        .withName(lease)
                        .withNamespace(NS)
                        .endMetadata()
                        .withNewSpec()
                        .withHolderIdentity("operator-a")
                        .withLeaseDurationSeconds(15)
                        .withAcquireTime(ZonedDateTime.now())
                        .withRenewTime(ZonedDateTime.now())
                        .withLeaseTransitions(0)
                        .endSpec()
                        .build())
                .create();
        fence.raise();

        operator.leases()
                .inNamespace(NS)
                .withName(lease)
                .edit(l -> new LeaseBuilder(l)
                        .editSpec()
                        .withRenewTime(ZonedDateTime.now().plusSeconds(2))
                        .endSpec()
                        .build());
        LeaseHandover handover = new LeaseHandover(operator, NS, lease, "operator-a", true, status -> {}, fence);
        handover.shuttingDown();

        assertThat(handover.release()).as("released").isTrue();
        assertThat(client.leases()
                        .inNamespace(NS)
                        .withName(lease)
                        .get()
                        .getSpec()
                        .getHolderIdentity())
                .isNullOrEmpty();
    }

    /**
     * With modproxy.operator.exit-on-lost-lease=false a replica that lost the Lease goes on serving the webhook: it
     * still writes the certificate Secret and the caBundle.
     */
    @Test
    void theWebhookCertificateIsStillWrittenWhileFenced() {
        client.resource(new MutatingWebhookConfigurationBuilder()
                        .withNewMetadata()
                        .withName("modproxy")
                        .endMetadata()
                        .addNewWebhook()
                        .withName("pods.modproxy.dev")
                        .withNewClientConfig()
                        .withNewService()
                        .withName("modproxy-webhook")
                        .withNamespace(NS)
                        .endService()
                        .endClientConfig()
                        .endWebhook()
                        .build())
                .create();
        fence.raise();

        new OperatorManagedCertificates(
                        operator,
                        NS,
                        "modproxy-webhook-tls",
                        "modproxy",
                        List.of("modproxy-webhook." + NS + ".svc"),
                        Clock.systemUTC())
                .current();

        assertThat(client.secrets()
                        .inNamespace(NS)
                        .withName("modproxy-webhook-tls")
                        .get())
                .isNotNull();
        MutatingWebhookConfiguration configuration = client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName("modproxy")
                .get();
        assertThat(configuration.getWebhooks().get(0).getClientConfig().getCaBundle())
                .isNotEmpty();
    }

    /** Nothing a reconciliation writes may be of a kind left unfenced for the Lease and the webhook. */
    @Test
    void noDependentOfTheWorkflowIsOfAKindLeftUnfenced() throws Exception {
        Dependent[] dependents =
                GoProxyCacheReconciler.class.getAnnotation(Workflow.class).dependents();
        assertThat(dependents).hasSizeGreaterThan(5);
        for (Dependent dependent : dependents) {
            Class<? extends HasMetadata> type = ((KubernetesDependentResource<?, ?>)
                            dependent.type().getDeclaredConstructor().newInstance())
                    .resourceType();
            assertThat(HasMetadata.getGroup(type) + "/" + HasMetadata.getPlural(type))
                    .as(dependent.name())
                    .isNotIn(FencedWrites.UNFENCED);
        }
        assertThat(HasMetadata.getGroup(GoProxyCache.class) + "/" + HasMetadata.getPlural(GoProxyCache.class))
                .isNotIn(FencedWrites.UNFENCED);
    }

    @Test
    void theKindOfAWriteIsReadFromItsPath() {
        FencedWrites plain = new FencedWrites(fence, "https://10.0.0.1:6443/");
        FencedWrites proxied = new FencedWrites(fence, "https://rancher.example.com/k8s/clusters/c-1");

        Map.of(
                        "/api/v1/namespaces/a/secrets", "/secrets",
                        "/api/v1/namespaces/a/services/b", "/services",
                        "/apis/apps/v1/namespaces/a/deployments/b/scale", "apps/deployments",
                        "/apis/coordination.k8s.io/v1/namespaces/a/leases/l", "coordination.k8s.io/leases",
                        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/m",
                                "admissionregistration.k8s.io/mutatingwebhookconfigurations",
                        "/api/v1/namespaces/a", "/namespaces",
                        "/apis/modproxy.dev/v1alpha1/namespaces/a/goproxycaches/b/status", "modproxy.dev/goproxycaches")
                .forEach((path, kind) -> {
                    assertThat(plain.resourceOf(path)).as(path).contains(kind);
                    assertThat(proxied.resourceOf("/k8s/clusters/c-1" + path))
                            .as("behind a proxy: " + path)
                            .contains(kind);
                });
        assertThat(plain.resourceOf("/version")).isEmpty();
        assertThat(proxied.resourceOf("/api/v1/namespaces/a/secrets"))
                .as("outside the API server's path")
                .isEmpty();
    }

    /** The operator's client, as {@link FencedKubernetesClient} builds it. */
    private KubernetesClient fencedClient(Config config) {
        return FencedWrites.client(config, new KubernetesSerialization(), fence);
    }

    /** The requests the API server received since the last call, as {@code METHOD path}. */
    private List<String> requestsSent() throws InterruptedException {
        List<String> sent = new ArrayList<>();
        for (RecordedRequest r = server.takeRequest(0, TimeUnit.SECONDS);
                r != null;
                r = server.takeRequest(0, TimeUnit.SECONDS)) {
            sent.add(r.getMethod() + " " + r.getPath());
        }
        return sent;
    }

    private static boolean fencedIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FencedWriteException) {
                return true;
            }
        }
        return Arrays.stream(e.getSuppressed()).anyMatch(FencedWritesTest::fencedIn);
    }

    private static ConfigMap configMap(String name, String value) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .addToData("k", value)
                .build();
    }

    private static Deployment deployment(String name) {
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .addToMatchLabels("app", name)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", name)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("proxy")
                .withImage("ghcr.io/modproxy/proxy:test")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    private static GoProxyCache cache(String name) {
        GoProxyCache cache = new GoProxyCache();
        cache.setMetadata(
                new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        return cache;
    }

    private static GoProxyCache withStatus(GoProxyCache cache) {
        GoProxyCache copy = new GoProxyCache();
        copy.setMetadata(cache.getMetadata());
        copy.setSpec(cache.getSpec());
        GoProxyCacheStatus status = new GoProxyCacheStatus();
        status.setObservedGeneration(1L);
        copy.setStatus(status);
        return copy;
    }
}
