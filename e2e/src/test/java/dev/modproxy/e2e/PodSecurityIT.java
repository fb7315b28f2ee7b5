package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * "Non-root, read-only root filesystem, least-privilege RBAC" as a platform team's acceptance review checks it on
 * the API server: the operator's namespace and a team's namespace labelled {@code pod-security.kubernetes.io/enforce
 * =restricted} (warn and audit too) admit every pod the plain manifests, the chart and the operator make; a cache
 * whose securityContext override breaks the level says so in its status; the operator's ServiceAccount may do what
 * its code does and no more; the proxy pods get no API token; the webhook configuration as the server holds it.
 */
@ExtendWith(ControlPlane.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(5)
class PodSecurityIT {

    private static final Duration READY_WITHIN = Duration.ofSeconds(90);
    private static final Map<String, String> RESTRICTED = Map.of(
            "pod-security.kubernetes.io/enforce", "restricted",
            "pod-security.kubernetes.io/warn", "restricted",
            "pod-security.kubernetes.io/audit", "restricted");
    private static final String OPERATOR_SA =
            "system:serviceaccount:" + ChartRelease.NAMESPACE + ":" + ChartRelease.SERVICE_ACCOUNT;

    private ControlPlane cluster;
    private KubernetesClient admin;

    @BeforeAll
    void cluster() {
        cluster = ControlPlane.shared();
        admin = cluster.admin();
    }

    @AfterAll
    void leaveTheOperatorsNamespaceUnlabelled() {
        // the suites after this one install the chart into the same namespace and expect it as helm makes it
        if (admin.namespaces().withName(ChartRelease.NAMESPACE).get() != null) {
            Commands.Result unlabelled = cluster.kubectl(
                    "label",
                    "namespace",
                    ChartRelease.NAMESPACE,
                    "pod-security.kubernetes.io/enforce-",
                    "pod-security.kubernetes.io/warn-",
                    "pod-security.kubernetes.io/audit-");
            assertThat(unlabelled.succeeded()).as(unlabelled.toString()).isTrue();
        }
    }

    @Test
    @Order(1)
    void thePlainManifestsRunTheOperatorInARestrictedNamespaceWithoutAWarning() {
        String manifests = Repository.root().resolve("deploy/modproxy.yaml").toString();
        restricted(ChartRelease.NAMESPACE);
        try {
            Commands.Result applied = cluster.kubectl("apply", "-f", manifests);
            assertThat(applied.succeeded()).as(applied.toString()).isTrue();
            // the API server's PodSecurity warnings reach kubectl as "Warning: would violate PodSecurity ..."
            assertThat(applied.stderr()).doesNotContainIgnoringCase("PodSecurity");
            awaitOperatorPods(1);
            assertNoPodRefused(ChartRelease.NAMESPACE);
        } finally {
            Commands.Result deleted =
                    cluster.kubectl("delete", "--ignore-not-found", "--wait=true", "--timeout=120s", "-f", manifests);
            assertThat(deleted.succeeded()).as(deleted.toString()).isTrue();
        }
    }

    @Test
    @Order(2)
    void theChartsOperatorAndTheCachesItMakesAreAdmittedAtTheRestrictedLevel() {
        ChartRelease chart = new ChartRelease(cluster);
        restricted(ChartRelease.NAMESPACE);
        chart.install(Map.of());
        OperatorProcess operator = null;
        try {
            awaitOperatorPods(1);
            assertNoPodRefused(ChartRelease.NAMESPACE);
            assertThat(podSecurityWarnings(ChartRelease.NAMESPACE, "modproxy-operator"))
                    .doesNotContainIgnoringCase("PodSecurity");
            theWebhookConfigurationKeepsTheSystemAndItsOwnNamespaceOut();
            theOperatorsServiceAccountMayDoWhatItsCodeDoesAndNoMore();

            // the operator as shipped, with the chart's ServiceAccount; the chart's kwok pod stays out of the way
            Commands.Result scaled = cluster.kubectl(
                    "-n", ChartRelease.NAMESPACE, "scale", "deployment/modproxy-operator", "--replicas=0");
            assertThat(scaled.succeeded()).as(scaled.toString()).isTrue();
            operator = OperatorProcess.start(
                    "operator-psa", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());

            String team = Namespaces.of("restricted");
            restricted(team);
            create(team, "default", Caches.smallSpec());
            await("GoProxyCache " + team + "/default Ready in a restricted namespace")
                    .atMost(READY_WITHIN)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> Caches.conditionIs(Caches.get(admin, team, "default"), "Ready", "True"));
            assertNoPodRefused(team);
            assertThat(podSecurityWarnings(team, "default")).doesNotContainIgnoringCase("PodSecurity");
            Pod proxy = admin.pods().inNamespace(team).list().getItems().stream()
                    .filter(p -> "default".equals(p.getMetadata().getLabels().get("app.kubernetes.io/instance")))
                    .findFirst()
                    .orElseThrow();
            // the proxy never calls the API server: no token is mounted into its pods
            assertThat(proxy.getSpec().getAutomountServiceAccountToken()).isFalse();
            assertThat(proxy.getSpec().getVolumes())
                    .noneSatisfy(v -> assertThat(v.getName()).startsWith("kube-api-access"));

            // a user's override that breaks the level: the status names the refusal and the field to change
            Map<String, Object> escalating = Caches.smallSpec();
            escalating.put("securityContext", new LinkedHashMap<>(Map.of("allowPrivilegeEscalation", true)));
            create(team, "escalating", escalating);
            await("GoProxyCache " + team + "/escalating Degraded naming Pod Security")
                    .atMost(READY_WITHIN)
                    .untilAsserted(() -> {
                        GenericKubernetesResource cache = Caches.get(admin, team, "escalating");
                        assertThat(Caches.condition(cache, "Degraded"))
                                .hasValueSatisfying(c -> assertThat(c)
                                        .containsEntry("status", "True")
                                        .containsEntry("reason", "RolloutFailed")
                                        .hasEntrySatisfying(
                                                "message",
                                                m -> assertThat((String) m)
                                                        .contains("violates PodSecurity \"restricted:latest\"")
                                                        .contains("allowPrivilegeEscalation")
                                                        .contains("pod-security.kubernetes.io/enforce")
                                                        .contains("spec.securityContext")
                                                        .doesNotContain("ResourceQuota")));
                        assertThat(Caches.condition(cache, "Ready"))
                                .hasValueSatisfying(c -> assertThat(c)
                                        .containsEntry("status", "False")
                                        .containsEntry("reason", "PodsNotCreated"));
                    });
            // the same check of the Deployment the override made: the API server's warning is there
            assertThat(podSecurityWarnings(team, "escalating"))
                    .contains("would violate PodSecurity \"restricted:latest\"")
                    .contains("allowPrivilegeEscalation");
            operator.close();
            assertThat(operator.rbacDenials())
                    .as("requests of the operator (as the chart's tightened RBAC) the API server refused")
                    .isEmpty();
            operator = null;
        } finally {
            if (operator != null) {
                operator.close();
            }
            chart.uninstall();
        }
    }

    /** Creates or labels {@code namespace} so that it admits only pods of the restricted level, warns and audits. */
    private void restricted(String namespace) {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(namespace)
                        .withLabels(RESTRICTED)
                        .endMetadata()
                        .build())
                .createOr(existing -> existing.edit(n -> new NamespaceBuilder(n)
                        .editMetadata()
                        .addToLabels(RESTRICTED)
                        .endMetadata()
                        .build()));
    }

    private void create(String namespace, String name, Map<String, Object> spec) {
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .resource(Caches.cache(namespace, name, spec))
                .create();
    }

    /** kube-controller-manager made the operator's pods, the API server admitted them, kwok runs them. */
    private void awaitOperatorPods(int replicas) {
        await("the operator Deployment's pods admitted and ready")
                .atMost(Duration.ofSeconds(60))
                .until(() -> {
                    Deployment deployment = admin.apps()
                            .deployments()
                            .inNamespace(ChartRelease.NAMESPACE)
                            .withName("modproxy-operator")
                            .get();
                    return deployment != null
                            && deployment.getStatus() != null
                            && Integer.valueOf(replicas)
                                    .equals(deployment.getStatus().getReadyReplicas());
                });
    }

    /**
     * What the API server warns of a Deployment's pod template: the Deployment created again under another name with
     * a server-side dry run ({@code kubectl create --dry-run=server}); kubectl prints the warnings on stderr. (The
     * operator's client logs such warnings at debug level only, and helm-java does not return them.)
     */
    private String podSecurityWarnings(String namespace, String deployment) {
        Deployment running = admin.apps()
                .deployments()
                .inNamespace(namespace)
                .withName(deployment)
                .get();
        Deployment copy = new DeploymentBuilder()
                .withNewMetadata()
                .withName(deployment + "-psa-check")
                .withNamespace(namespace)
                .endMetadata()
                .withSpec(running.getSpec())
                .build();
        Commands.Result dryRun =
                cluster.kubectlWithInput(Serialization.asYaml(copy), "create", "--dry-run=server", "-f", "-");
        assertThat(dryRun.succeeded()).as(dryRun.toString()).isTrue();
        return dryRun.stderr();
    }

    /** No ReplicaSet in {@code namespace} had a pod refused (a PodSecurity refusal is a FailedCreate event). */
    private void assertNoPodRefused(String namespace) {
        List<Event> refusals = admin.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> "FailedCreate".equals(e.getReason()))
                .toList();
        assertThat(refusals).as("FailedCreate events in " + namespace).isEmpty();
    }

    private void theWebhookConfigurationKeepsTheSystemAndItsOwnNamespaceOut() {
        MutatingWebhookConfiguration configuration = admin.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName("modproxy")
                .get();
        assertThat(configuration.getWebhooks()).hasSize(2);
        for (MutatingWebhook webhook : configuration.getWebhooks()) {
            assertThat(webhook.getFailurePolicy()).as(webhook.getName()).isEqualTo("Ignore");
            assertThat(webhook.getSideEffects()).as(webhook.getName()).isEqualTo("None");
            assertThat(webhook.getTimeoutSeconds()).as(webhook.getName()).isEqualTo(3);
            assertThat(webhook.getRules()).singleElement().satisfies(rule -> {
                assertThat(rule.getOperations()).containsExactly("CREATE");
                assertThat(rule.getResources()).containsExactly("pods");
            });
            assertThat(webhook.getNamespaceSelector().getMatchExpressions())
                    .as(webhook.getName())
                    .anySatisfy(r -> {
                        assertThat(r.getKey()).isEqualTo("kubernetes.io/metadata.name");
                        assertThat(r.getOperator()).isEqualTo("NotIn");
                        assertThat(r.getValues()).contains("kube-system", ChartRelease.NAMESPACE);
                    });
            // "false" keeps a pod out, in every namespace
            assertThat(webhook.getObjectSelector().getMatchExpressions())
                    .as(webhook.getName())
                    .anySatisfy(r -> {
                        assertThat(r.getKey()).isEqualTo("modproxy.dev/inject");
                        assertThat(r.getOperator()).isIn("NotIn", "DoesNotExist");
                    });
        }
    }

    /**
     * Asked of the API server's RBAC (SubjectAccessReview) for the operator's ServiceAccount: what it needs is
     * allowed, and what it never does is not, whatever the namespace.
     */
    private void theOperatorsServiceAccountMayDoWhatItsCodeDoesAndNoMore() {
        String team = "team-any";
        for (String[] allowed : new String[][] {
            {"apps", "deployments", "", "patch", team},
            {"apps", "deployments", "", "create", team},
            {"", "configmaps", "", "create", team},
            {"", "configmaps", "", "update", team},
            {"", "persistentvolumeclaims", "", "patch", team},
            {"", "persistentvolumeclaims", "", "delete", team},
            {"policy", "poddisruptionbudgets", "", "delete", team},
            {"modproxy.dev", "goproxycaches", "status", "patch", team},
            {"modproxy.dev", "goproxycaches", "", "watch", team},
            {"", "secrets", "", "create", ChartRelease.NAMESPACE},
            // the proxy pods' status, read to say why they do not start
            {"", "pods", "", "list", team},
            {"", "pods", "", "watch", team},
        }) {
            assertThat(may(allowed))
                    .as("operator may " + String.join(" ", allowed))
                    .isTrue();
        }
        for (String[] refused : new String[][] {
            // never deleted by the operator: the garbage collector removes them with their cache
            {"apps", "deployments", "", "delete", team},
            {"", "services", "", "delete", team},
            {"", "configmaps", "", "delete", team},
            // applied server-side (patch), never replaced; a claim is resized by a patch too (server-side apply is
            // fixed at build time), and ConfigMaps, which the operator SDK writes without it, are never patched
            {"apps", "deployments", "", "update", team},
            {"", "services", "", "update", team},
            {"", "persistentvolumeclaims", "", "update", team},
            {"", "configmaps", "", "patch", team},
            // only a cache's status is written, by a patch of the status subresource, which is never read
            {"modproxy.dev", "goproxycaches", "status", "get", team},
            {"modproxy.dev", "goproxycaches", "", "patch", team},
            {"modproxy.dev", "goproxycaches", "", "update", team},
            {"modproxy.dev", "goproxycaches", "", "delete", team},
            {"modproxy.dev", "goproxycaches", "finalizers", "update", team},
            // pods only read, no Secrets outside its own webhook certificate, no Events, no RBAC
            {"", "pods", "", "create", team},
            {"", "pods", "", "delete", team},
            {"", "pods", "", "patch", team},
            {"", "pods", "status", "patch", team},
            {"", "pods", "log", "get", team},
            {"", "secrets", "", "get", team},
            {"", "secrets", "", "list", ChartRelease.NAMESPACE},
            {"", "events", "", "create", team},
            {"apps", "replicasets", "", "list", team},
            {"rbac.authorization.k8s.io", "rolebindings", "", "create", team},
            {"", "namespaces", "", "patch", ""},
            {"admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "list", ""},
        }) {
            assertThat(may(refused))
                    .as("operator may " + String.join(" ", refused))
                    .isFalse();
        }
    }

    private boolean may(String[] request) {
        SubjectAccessReview review = admin.authorization()
                .v1()
                .subjectAccessReview()
                .create(new SubjectAccessReviewBuilder()
                        .withNewSpec()
                        .withUser(OPERATOR_SA)
                        .withGroups("system:serviceaccounts", "system:serviceaccounts:" + ChartRelease.NAMESPACE)
                        .withResourceAttributes(new ResourceAttributesBuilder()
                                .withGroup(request[0])
                                .withResource(request[1])
                                .withSubresource(request[2].isEmpty() ? null : request[2])
                                .withVerb(request[3])
                                .withNamespace(request[4].isEmpty() ? null : request[4])
                                .build())
                        .endSpec()
                        .build());
        return review.getStatus().getAllowed();
    }
}
