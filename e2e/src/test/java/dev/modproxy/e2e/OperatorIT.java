package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator jar in its production profile, out of the cluster, as the chart's ServiceAccount:
 * caches become real Deployments, ReplicaSets and (kwok) pods, with RBAC, server-side apply, CEL and
 * the garbage collector of a real control plane.
 */
@ExtendWith(ControlPlane.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Order(3)
class OperatorIT {

    private static final Duration READY_WITHIN = Duration.ofSeconds(90);
    private ControlPlane cluster;
    private KubernetesClient admin;
    private ChartRelease chart;
    private OperatorProcess operator;
    private MonitoringCrds monitoringCrds;

    @BeforeAll
    void installChartAndStartOperator() {
        cluster = ControlPlane.shared();
        admin = cluster.admin();
        chart = new ChartRelease(cluster);
        chart.install(Map.of());
        // the operator runs out of the cluster in this test; the chart's own (kwok-simulated) pod stays out of the way
        Commands.Result scaled =
                cluster.kubectl("-n", ChartRelease.NAMESPACE, "scale", "deployment/modproxy-operator", "--replicas=0");
        assertThat(scaled.succeeded()).as(scaled.toString()).isTrue();
        // before the operator starts, so it watches ServiceMonitors (as the chart's ServiceAccount) from the outset
        monitoringCrds = MonitoringCrds.installUnlessPresent(cluster);
        operator =
                OperatorProcess.start("operator-a", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
    }

    @AfterAll
    void stopOperatorAndUninstall() {
        try {
            if (operator != null) {
                operator.close();
                // everything the tests above made it do, it did with the chart's RBAC and nothing more
                assertThat(operator.rbacDenials())
                        .as("requests of the operator (as the chart's ServiceAccount) the API server's RBAC refused")
                        .isEmpty();
            }
        } finally {
            try {
                if (chart != null) {
                    chart.uninstall();
                }
            } finally {
                // the operator module's tests that run here later (OperatorTestsAgainstClusterIT) start without them
                if (monitoringCrds != null) {
                    monitoringCrds.close();
                }
            }
        }
    }

    private GenericKubernetesResource create(String namespace, String name, Map<String, Object> spec) {
        Namespaces.ensure(admin, namespace);
        return admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .resource(Caches.cache(namespace, name, spec))
                .create();
    }

    private GenericKubernetesResource awaitReady(String namespace, String name) {
        await("GoProxyCache " + namespace + "/" + name + " Ready (operator log: " + operator.name() + ")")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofMillis(500))
                .until(() -> Caches.conditionIs(Caches.get(admin, namespace, name), "Ready", "True"));
        return Caches.get(admin, namespace, name);
    }

    /** Waits for Degraded=True with {@code reason} and a message containing each of {@code messageParts}. */
    private void awaitDegraded(String namespace, String name, String reason, String... messageParts) {
        awaitDegradedCondition(namespace, name, "True", reason, messageParts);
    }

    /** Waits for Degraded={@code status} with {@code reason} and a message containing each of {@code messageParts}. */
    private void awaitDegradedCondition(
            String namespace, String name, String status, String reason, String... messageParts) {
        await("GoProxyCache " + namespace + "/" + name + " Degraded=" + status + " " + reason + " (operator log: "
                        + operator.name() + ")")
                .atMost(READY_WITHIN)
                .untilAsserted(() -> assertThat(Caches.condition(Caches.get(admin, namespace, name), "Degraded"))
                        .hasValueSatisfying(c -> assertThat(c)
                                .containsEntry("status", status)
                                .containsEntry("reason", reason)
                                .hasEntrySatisfying(
                                        "message", m -> assertThat((String) m).contains(messageParts))));
    }

    @Test
    void aCacheBecomesItsObjectsAndTurnsReadyWithItsObservedGeneration() {
        String namespace = Namespaces.of("ready");
        create(namespace, "default", Caches.smallSpec());

        GenericKubernetesResource cache = awaitReady(namespace, "default");

        assertThat(admin.configMaps()
                        .inNamespace(namespace)
                        .withName("default-config")
                        .get())
                .isNotNull();
        assertThat(cacheClaimPhase(namespace)).isEqualTo("Bound");
        assertThat(admin.services().inNamespace(namespace).withName("default").get())
                .isNotNull();
        Deployment deployment = admin.apps()
                .deployments()
                .inNamespace(namespace)
                .withName("default")
                .get();
        assertThat(deployment.getStatus().getReadyReplicas()).isEqualTo(1);
        // made by kube-controller-manager from the operator's Deployment, and run by kwok
        assertThat(admin.apps().replicaSets().inNamespace(namespace).list().getItems())
                .hasSize(1);
        assertThat(admin.pods().inNamespace(namespace).list().getItems())
                .singleElement()
                .satisfies(pod -> assertThat(pod.getStatus().getPhase()).isEqualTo("Running"));
        assertThat(Caches.status(cache, "observedGeneration"))
                .isEqualTo(cache.getMetadata().getGeneration().intValue());
        assertThat(Caches.status(cache, "url")).isEqualTo("http://default." + namespace + ".svc");
    }

    /**
     * A proxy pod that stops being ready after its rollout (its node NotReady in an API server outage, a failing probe)
     * is no rollout: the cache says Ready=False PodsNotReady and stays Progressing=False RolledOut, as the Deployment
     * controller keeps its own Progressing reason NewReplicaSetAvailable. It once said RollingOut, so an outage made
     * every cache look like a rollout.
     */
    @Test
    void aProxyPodThatTurnsUnreadyWithoutARolloutIsNotReportedAsRollingOut() {
        String namespace = Namespaces.of("unready");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        String pod = admin.pods()
                .inNamespace(namespace)
                .list()
                .getItems()
                .get(0)
                .getMetadata()
                .getName();

        // what the kubelet reports when the readiness probe fails (kwok sets Ready only while a pod is Pending)
        Commands.Result unready = cluster.kubectl(
                "-n", namespace, "patch", "pod", pod, "--subresource=status", "--type=strategic", "-p", """
                {"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "ProbeFailed"},
                  {"type": "ContainersReady", "status": "False", "reason": "ProbeFailed"}]}}""");
        assertThat(unready.succeeded()).as(unready.toString()).isTrue();

        await("Ready=False PodsNotReady (operator log: " + operator.name() + ")")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Ready"))
                        .hasValueSatisfying(c -> assertThat(c)
                                .containsEntry("status", "False")
                                .containsEntry("reason", "PodsNotReady")));
        Deployment deployment = admin.apps()
                .deployments()
                .inNamespace(namespace)
                .withName("default")
                .get();
        assertThat(deployment.getStatus().getConditions())
                .as("the Deployment controller's own view")
                .anySatisfy(c ->
                        assertThat(c.getType() + "/" + c.getReason()).isEqualTo("Progressing/NewReplicaSetAvailable"));
        assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Progressing"))
                .hasValueSatisfying(
                        c -> assertThat(c).containsEntry("status", "False").containsEntry("reason", "RolledOut"));
    }

    /**
     * A cache whose egress proxy login Secret does not exist: the kubelet does not start the proxy container and
     * writes CreateContainerConfigError into the pod's status within seconds, which the cache reports at once (not
     * when the Deployment passes its 10-minute progress deadline), and Ready follows once the Secret exists and the
     * pod runs. No kubelet runs here: kwok makes every pod Running and Ready at once (and again while it is Pending),
     * so the test writes the pod's status as the kubelet would, through the status subresource, and keeps the phase
     * Running that kwok left. The operator reads only the pod, never the Secret.
     */
    @Test
    void aMissingLoginSecretIsNamedWithinSecondsAndReadyFollowsOnceThePodRuns() {
        String namespace = Namespaces.of("nologin");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put(
                "egressProxy",
                Map.of(
                        "httpsProxy",
                        "http://egress.corp.example:3128",
                        "loginSecretRef",
                        Map.of("name", "egress-login")));
        create(namespace, "default", spec);
        awaitReady(namespace, "default");
        String pod = admin.pods()
                .inNamespace(namespace)
                .list()
                .getItems()
                .get(0)
                .getMetadata()
                .getName();

        long written = System.nanoTime();
        writePodStatus(namespace, pod, "False", """
                {"waiting": {"reason": "CreateContainerConfigError", "message": "secret \\"egress-login\\" not found"}}""");
        await("Degraded=True ContainerConfigError within seconds (operator log: " + operator.name() + ")")
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(
                        () -> assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Degraded"))
                                .hasValueSatisfying(
                                        c -> assertThat(c)
                                                .containsEntry("status", "True")
                                                .containsEntry("reason", "ContainerConfigError")
                                                .hasEntrySatisfying(
                                                        "message",
                                                        m -> assertThat((String) m)
                                                                .contains(pod)
                                                                .contains("secret \"egress-login\" not found")
                                                                .contains("spec.egressProxy.loginSecretRef (key login")
                                                                .contains(
                                                                        "kubectl -n " + namespace
                                                                                + " create secret generic egress-login --from-literal=login="))));
        System.out.printf(
                "OperatorIT: Degraded=True ContainerConfigError %d ms after the pod status was written%n",
                Duration.ofNanos(System.nanoTime() - written).toMillis());
        await("Ready=False PodsNotReady naming the cause (operator log: " + operator.name() + ")")
                .atMost(READY_WITHIN)
                .untilAsserted(() -> assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Ready"))
                        .hasValueSatisfying(c -> assertThat(c)
                                .containsEntry("status", "False")
                                .containsEntry("reason", "PodsNotReady")
                                .hasEntrySatisfying(
                                        "message", m -> assertThat((String) m).contains("(ContainerConfigError)"))));

        Commands.Result secret = cluster.kubectl(
                "-n", namespace, "create", "secret", "generic", "egress-login", "--from-literal=login=ci:s3cret");
        assertThat(secret.succeeded()).as(secret.toString()).isTrue();
        // the kubelet's next attempt finds it and starts the container
        writePodStatus(namespace, pod, "True", """
                {"running": {"startedAt": "%s"}}""".formatted(
                        java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        awaitReady(namespace, "default");
        awaitDegradedCondition(namespace, "default", "False", "AsExpected", "Nothing needs attention");
        assertThat(Caches.get(admin, namespace, "default").toString())
                .as("no Secret's value in the cache")
                .doesNotContain("s3cret");
    }

    /**
     * A cache whose spec.nodeSelector names labels no node has: the real kube-scheduler of this control plane finds
     * no node for its pod and writes PodScheduled=False Unschedulable into the pod's status, which the cache reports
     * as Degraded once the pod has waited the grace (60 s), quoting the scheduler and naming spec.nodeSelector (not
     * only when the Deployment passes its 10-minute progress deadline). Once a node gets the labels, the scheduler
     * places the pod (kwok runs it) and Degraded clears by itself.
     */
    @Test
    void aPodNoNodeCanTakeIsNamedAfterItsGraceAndClearsOnceANodeTakesIt() {
        String namespace = Namespaces.of("unschedulable");
        String node = "kwok-node-0";
        String label = "modproxy.dev/e2e-pool";
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("nodeSelector", Map.of(label, namespace));
        create(namespace, "default", spec);
        try {
            await("the scheduler's PodScheduled=False Unschedulable on the proxy pod")
                    .atMost(READY_WITHIN)
                    .until(() -> admin.pods().inNamespace(namespace).list().getItems().stream()
                            .flatMap(p -> p.getStatus() == null || p.getStatus().getConditions() == null
                                    ? java.util.stream.Stream.empty()
                                    : p.getStatus().getConditions().stream())
                            .anyMatch(c -> "PodScheduled".equals(c.getType())
                                    && "False".equals(c.getStatus())
                                    && "Unschedulable".equals(c.getReason())));
            long unscheduled = System.nanoTime();
            // within its grace the pod may still be placed: not reported for a third of it (the cache may have no
            // Degraded condition yet at all, its first status being under way)
            await("no Degraded Unschedulable within the grace")
                    .during(Duration.ofSeconds(20))
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> Caches.condition(Caches.get(admin, namespace, "default"), "Degraded")
                            .map(c -> c.get("reason"))
                            .filter("Unschedulable"::equals)
                            .isEmpty());

            await("Degraded=True Unschedulable once the grace is over (operator log: " + operator.name() + ")")
                    .atMost(Duration.ofSeconds(60 + 30))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(
                                    Caches.condition(Caches.get(admin, namespace, "default"), "Degraded"))
                            .hasValueSatisfying(c -> assertThat(c)
                                    .containsEntry("status", "True")
                                    .containsEntry("reason", "Unschedulable")
                                    .hasEntrySatisfying(
                                            "message",
                                            m -> assertThat((String) m)
                                                    .contains("has not been placed on a node")
                                                    .contains("didn't match Pod's node affinity/selector")
                                                    .contains("spec.nodeSelector")
                                                    .contains("kubectl -n " + namespace + " describe pod default-"))));
            System.out.printf(
                    "OperatorIT: Degraded=True Unschedulable %d ms after the pod was seen unschedulable%n",
                    Duration.ofNanos(System.nanoTime() - unscheduled).toMillis());
            assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Progressing"))
                    .hasValueSatisfying(c ->
                            assertThat(c).containsEntry("status", "False").containsEntry("reason", "RolloutStuck"));

            Commands.Result labelled = cluster.kubectl("label", "node", node, label + "=" + namespace);
            assertThat(labelled.succeeded()).as(labelled.toString()).isTrue();
            awaitReady(namespace, "default");
            awaitDegradedCondition(namespace, "default", "False", "AsExpected", "Nothing needs attention");
        } finally {
            cluster.kubectl("label", "node", node, label + "-");
            admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                    .inNamespace(namespace)
                    .withName("default")
                    .delete();
        }
    }

    /** The proxy pod's status as the kubelet writes it, with its container in {@code state}; a JSON merge patch. */
    private void writePodStatus(String namespace, String pod, String ready, String state) {
        boolean isReady = "True".equals(ready);
        String because = isReady ? "" : ", \"reason\": \"ContainersNotReady\"";
        Commands.Result written = cluster.kubectl(
                "-n", namespace, "patch", "pod", pod, "--subresource=status", "--type=merge", "-p", """
                {"status": {"conditions": [
                  {"type": "PodScheduled", "status": "True"},
                  {"type": "Initialized", "status": "True"},
                  {"type": "Ready", "status": "%s"%s},
                  {"type": "ContainersReady", "status": "%s"%s}],
                 "containerStatuses": [{"name": "proxy", "image": "ghcr.io/modproxy/proxy:e2e", "imageID": "",
                   "ready": %s, "started": %s, "restartCount": 0, "state": %s}]}}""".formatted(
                                ready, because, ready, because, isReady, isReady, state));
        assertThat(written.succeeded()).as(written.toString()).isTrue();
    }

    /**
     * status.conditions has metav1.Condition's schema, as tools written for Kubernetes' own conditions expect: what
     * the operator writes passes it on the API server, and a condition written by hand without a reason, or with a
     * sentence for one, is refused with the field named.
     */
    @Test
    void theOperatorsConditionsHaveEveryFieldOfAKubernetesConditionAndIncompleteOnesAreRefused() {
        String namespace = Namespaces.of("conditions");
        create(namespace, "default", Caches.smallSpec());
        GenericKubernetesResource cache = awaitReady(namespace, "default");
        for (String type : List.of("Ready", "Progressing", "Degraded")) {
            assertThat(Caches.condition(cache, type))
                    .as(type)
                    .hasValueSatisfying(c -> assertThat(c)
                            .containsKeys("type", "status", "reason", "message", "lastTransitionTime")
                            .containsEntry("observedGeneration", 1));
        }

        Commands.Result noReason = patchStatus(namespace, "default", """
                {"status": {"conditions": [
                  {"type": "Ready", "status": "True", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}""");
        assertThat(noReason.succeeded()).as(noReason.toString()).isFalse();
        assertThat(noReason.stderr()).contains("status.conditions[0].reason").contains("Required value");
        Commands.Result sentence = patchStatus(namespace, "default", """
                {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "All good",
                  "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}""");
        assertThat(sentence.succeeded()).as(sentence.toString()).isFalse();
        assertThat(sentence.stderr()).contains("status.conditions[0].reason").contains("should match");
    }

    private Commands.Result patchStatus(String namespace, String name, String mergePatch) {
        return cluster.kubectl(
                "-n",
                namespace,
                "patch",
                "goproxycache",
                name,
                "--subresource=status",
                "--type=merge",
                "-p",
                mergePatch);
    }

    @Test
    void kubectlGetGpcShowsThePrinterColumns() {
        String namespace = Namespaces.of("columns");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");

        Commands.Result get = cluster.kubectl("-n", namespace, "get", "gpc");

        assertThat(get.succeeded()).as(get.toString()).isTrue();
        List<String> header =
                List.of(get.stdout().lines().findFirst().orElseThrow().trim().split("\\s{2,}"));
        // the CRD's printer columns in their order (HitRatio has priority 1: only with -o wide)
        assertThat(header).containsExactly("NAME", "READY", "DEGRADED", "REPLICAS", "URL", "SIZE", "USED", "AGE");
        assertThat(get.stdout())
                .contains("http://default." + namespace + ".svc")
                .contains("True");
    }

    private Deployment deployment(String namespace, String name) {
        return admin.apps().deployments().inNamespace(namespace).withName(name).get();
    }

    private static String configHash(Deployment deployment) {
        return deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("modproxy.dev/config-hash");
    }

    /**
     * Read, change, write, as {@code kubectl edit} does; again on a 409, since the operator writing the status in
     * between changes the resourceVersion the write is conditional on (client-go's RetryOnConflict).
     */
    @SuppressWarnings("unchecked")
    private GenericKubernetesResource editSpec(
            String namespace, String name, java.util.function.Consumer<Map<String, Object>> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                        .inNamespace(namespace)
                        .withName(name)
                        .edit(cache -> {
                            change.accept((Map<String, Object>)
                                    cache.getAdditionalProperties().get("spec"));
                            return cache;
                        });
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private void awaitObserved(String namespace, String name, long generation) {
        await("status.observedGeneration of " + namespace + "/" + name + " reaches " + generation)
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    Object observed = Caches.status(Caches.get(admin, namespace, name), "observedGeneration");
                    return observed instanceof Number n && n.longValue() >= generation;
                });
    }

    @Test
    void aChangeOfTheProxySettingsRollsThePodsAndAChangeOfTheInjectionDefaultsDoesNot() {
        String namespace = Namespaces.of("roll");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        Deployment before = deployment(namespace, "default");

        // injection.fallback is for build pods only: the proxy's configuration does not change
        GenericKubernetesResource unrelated = editSpec(
                namespace, "default", spec -> spec.put("injection", Map.of("fallback", "https://goproxy.cn,direct")));
        awaitObserved(namespace, "default", unrelated.getMetadata().getGeneration());
        assertThat(deployment(namespace, "default").getMetadata().getGeneration())
                .isEqualTo(before.getMetadata().getGeneration());
        assertThat(admin.apps().replicaSets().inNamespace(namespace).list().getItems())
                .hasSize(1);

        GenericKubernetesResource changed = editSpec(
                namespace, "default", spec -> spec.put("upstream", "https://goproxy.cn|https://proxy.golang.org"));
        awaitObserved(namespace, "default", changed.getMetadata().getGeneration());
        await("a new ReplicaSet rolled out")
                .atMost(READY_WITHIN)
                .until(() -> admin.apps()
                                .replicaSets()
                                .inNamespace(namespace)
                                .list()
                                .getItems()
                                .size()
                        == 2);
        assertThat(configHash(deployment(namespace, "default"))).isNotEqualTo(configHash(before));
        assertThat(admin.configMaps()
                        .inNamespace(namespace)
                        .withName("default-config")
                        .get()
                        .getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn|https://proxy.golang.org");
        await("the rolled pod Ready")
                .atMost(READY_WITHIN)
                .until(() -> Caches.conditionIs(Caches.get(admin, namespace, "default"), "Ready", "True")
                        && deployment(namespace, "default").getStatus().getUpdatedReplicas() != null
                        && deployment(namespace, "default").getStatus().getUpdatedReplicas() == 1);
    }

    @Test
    void reconcilingAgainWithNothingChangedWritesNoDependent() {
        String namespace = Namespaces.of("ssa");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        await("the Deployment settled")
                .atMost(READY_WITHIN)
                .pollDelay(Duration.ofSeconds(2))
                .until(() -> deployment(namespace, "default")
                        .getStatus()
                        .getObservedGeneration()
                        .equals(deployment(namespace, "default").getMetadata().getGeneration()));
        Map<String, String> versions = dependentVersions(namespace);

        // a change the operator does not own (an annotation on its Service) makes it reconcile the cache
        String service = null;
        for (int touch = 1; touch <= 3; touch++) {
            double reconciled = operator.counter("operator_sdk_reconciliations_success_total");
            Commands.Result annotated = cluster.kubectl(
                    "-n", namespace, "annotate", "--overwrite", "service/default", "e2e.modproxy.dev/touch=" + touch);
            assertThat(annotated.succeeded()).as(annotated.toString()).isTrue();
            await("reconcile " + touch)
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> operator.counter("operator_sdk_reconciliations_success_total") > reconciled);
            service = admin.services()
                    .inNamespace(namespace)
                    .withName("default")
                    .get()
                    .getMetadata()
                    .getResourceVersion();
        }

        Map<String, String> after = dependentVersions(namespace);
        assertThat(after).containsEntry("service", service);
        after.remove("service");
        versions.remove("service");
        assertThat(after)
                .as("resourceVersions of the ConfigMap, volume claim and Deployment")
                .isEqualTo(versions);
        assertThat(admin.services()
                        .inNamespace(namespace)
                        .withName("default")
                        .get()
                        .getMetadata()
                        .getAnnotations())
                .containsEntry("e2e.modproxy.dev/touch", "3");
    }

    private Map<String, String> dependentVersions(String namespace) {
        Map<String, String> versions = new LinkedHashMap<>();
        versions.put(
                "configmap",
                admin.configMaps()
                        .inNamespace(namespace)
                        .withName("default-config")
                        .get()
                        .getMetadata()
                        .getResourceVersion());
        versions.put(
                "volume",
                admin.persistentVolumeClaims()
                        .inNamespace(namespace)
                        .withName("default-cache")
                        .get()
                        .getMetadata()
                        .getResourceVersion());
        versions.put(
                "deployment", deployment(namespace, "default").getMetadata().getResourceVersion());
        versions.put(
                "service",
                admin.services()
                        .inNamespace(namespace)
                        .withName("default")
                        .get()
                        .getMetadata()
                        .getResourceVersion());
        return versions;
    }

    @Test
    void aManualEditOfTheOwnedDeploymentIsReverted() {
        String namespace = Namespaces.of("drift");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        String image = deployment(namespace, "default")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getImage();

        Commands.Result edited = cluster.kubectl(
                "-n", namespace, "set", "image", "deployment/default", "proxy=example.com/someone-elses:latest");
        assertThat(edited.succeeded()).as(edited.toString()).isTrue();

        await("the operator restores its image")
                .atMost(READY_WITHIN)
                .until(() -> image.equals(deployment(namespace, "default")
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage()));
    }

    /**
     * What a hostile probe did to the owned Deployment's pod template as field managers other than the operator's
     * (kubectl set env, strategic merge patches): fields server-side apply alone left in place, among them one that
     * made every later apply invalid (privileged beside the operator's allowPrivilegeEscalation: false, which kept
     * the cache Degraded with host networking until the Deployment was deleted). Each is taken back, the status
     * names the field manager and its fields, and the annotation of kubectl rollout restart stays.
     */
    @Test
    void podTemplateEditsByAnotherFieldManagerAreTakenBackAndNamedButARestartStays() {
        String namespace = Namespaces.of("drift-template");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        awaitSettled(namespace);
        kubectlIn(namespace, "rollout", "restart", "deployment/default");
        String restartedAt = await("kubectl rollout restart's annotation")
                .atMost(READY_WITHIN)
                .until(
                        () -> podTemplateAnnotations(namespace).get("kubectl.kubernetes.io/restartedAt"),
                        r -> r != null);
        awaitSettled(namespace);

        kubectlIn(
                namespace,
                "set",
                "env",
                "deployment/default",
                "MODPROXY_UPSTREAM=https://evil.example",
                "MODPROXY_SUMDB=off");
        awaitTakenBack(namespace, "field manager kubectl-set: spec.template.spec.containers[name=proxy].env");
        kubectlIn(
                namespace,
                "patch",
                "deployment/default",
                "--type=strategic",
                "-p",
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"sidecar\",\"image\":\"evil/miner\"}]}}}}");
        awaitTakenBack(namespace, "field manager kubectl-patch: spec.template.spec.containers[name=sidecar]");
        kubectlIn(
                namespace,
                "patch",
                "deployment/default",
                "--type=strategic",
                "-p",
                "{\"spec\":{\"template\":{\"spec\":{\"hostNetwork\":true,\"automountServiceAccountToken\":true,"
                        + "\"containers\":[{\"name\":\"proxy\",\"securityContext\":{\"privileged\":true,"
                        + "\"allowPrivilegeEscalation\":true,\"readOnlyRootFilesystem\":false}}]}}}}");
        awaitTakenBack(
                namespace,
                "field manager kubectl-patch: ",
                "spec.template.spec.hostNetwork",
                "spec.template.spec.containers[name=proxy].securityContext.privileged",
                "securityContext.allowPrivilegeEscalation");
        // kubectl edit's way of swapping a one-of: the liveness probe's httpGet for an exec
        kubectlIn(
                namespace,
                "patch",
                "deployment/default",
                "--type=json",
                "-p",
                "[{\"op\":\"remove\",\"path\":\"/spec/template/spec/containers/0/livenessProbe/httpGet\"},"
                        + "{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/livenessProbe/exec\","
                        + "\"value\":{\"command\":[\"true\"]}}]");
        awaitTakenBack(namespace, "field manager kubectl-patch: ", "livenessProbe.exec");

        await("the operator's pod template rolled out, the restart's annotation kept (operator log: " + operator.name()
                        + ")")
                .atMost(READY_WITHIN)
                .untilAsserted(() -> {
                    Deployment d = deployment(namespace, "default");
                    var pod = d.getSpec().getTemplate().getSpec();
                    assertThat(pod.getContainers()).extracting(c -> c.getName()).containsExactly("proxy");
                    var proxy = pod.getContainers().get(0);
                    assertThat(proxy.getEnv()).as("env").isNullOrEmpty();
                    assertThat(proxy.getSecurityContext().getPrivileged()).isNull();
                    assertThat(proxy.getSecurityContext().getAllowPrivilegeEscalation())
                            .isFalse();
                    assertThat(proxy.getSecurityContext().getReadOnlyRootFilesystem())
                            .isTrue();
                    assertThat(proxy.getPorts())
                            .allSatisfy(p -> assertThat(p.getHostPort()).isNull());
                    assertThat(pod.getHostNetwork()).isNull();
                    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
                    assertThat(proxy.getLivenessProbe().getExec())
                            .as("liveness exec")
                            .isNull();
                    assertThat(proxy.getLivenessProbe().getHttpGet())
                            .as("liveness httpGet")
                            .isNotNull();
                    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
                            .containsEntry("kubectl.kubernetes.io/restartedAt", restartedAt);
                    GenericKubernetesResource cache = Caches.get(admin, namespace, "default");
                    assertThat(Caches.condition(cache, "Progressing"))
                            .hasValueSatisfying(c -> assertThat(c)
                                    .containsEntry("status", "False")
                                    .containsEntry("reason", "PodTemplateTakenBack"));
                    assertThat(Caches.conditionIs(cache, "Degraded", "False"))
                            .as("Degraded=False")
                            .isTrue();
                    assertThat(Caches.conditionIs(cache, "Ready", "True"))
                            .as("Ready")
                            .isTrue();
                });
        awaitSettled(namespace);
        assertThat(operator.warningsAndErrors())
                .as("the operator's log names what it took back")
                .anySatisfy(line -> assertThat(line)
                        .contains("Took back the proxy pod template of Deployment " + namespace + "/default")
                        .contains("kubectl-patch"));
    }

    private void kubectlIn(String namespace, String... args) {
        List<String> all = new ArrayList<>(List.of("-n", namespace));
        all.addAll(List.of(args));
        Commands.Result done = cluster.kubectl(all.toArray(String[]::new));
        assertThat(done.succeeded()).as(done.toString()).isTrue();
    }

    private Map<String, String> podTemplateAnnotations(String namespace) {
        return deployment(namespace, "default")
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations();
    }

    /** Waits for Progressing to say the pod template was taken back, naming each of {@code named}. */
    private void awaitTakenBack(String namespace, String... named) {
        await("Progressing PodTemplateTakenBack naming " + List.of(named) + " (operator log: " + operator.name() + ")")
                .atMost(READY_WITHIN)
                .untilAsserted(() -> assertThat(
                                Caches.condition(Caches.get(admin, namespace, "default"), "Progressing"))
                        .hasValueSatisfying(c -> assertThat(c)
                                .containsEntry("reason", "PodTemplateTakenBack")
                                .hasEntrySatisfying(
                                        "message", m -> assertThat((String) m).contains(named))));
    }

    /**
     * kubectl scale (Degraded ReplicasTakenBack naming kubectl until 2 minutes after), and a managed-by label removed by
     * hand (the operator's informers see only labelled objects: the
     * Deployment and ConfigMap vanished for it, and every create of them failed with 409, Ready=False
     * DeploymentMissing while the pod ran), are put back with no new ReplicaSet; an operator restarted with all in
     * place writes nothing, neither an owned object nor the cache's status.
     */
    @Test
    void scaledAndUnlabelledByHandTheObjectsArePutBackWithoutARolloutAndARestartWritesNothing() {
        String namespace = Namespaces.of("drift-scale");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        awaitSettled(namespace);
        List<String> replicaSets = replicaSets(namespace);

        for (String[] edit : List.of(
                new String[] {"scale", "deployment/default", "--replicas=3"},
                new String[] {"label", "deployment/default", "app.kubernetes.io/managed-by-"},
                new String[] {"label", "configmap/default-config", "app.kubernetes.io/managed-by-"})) {
            List<String> args = new ArrayList<>(List.of("-n", namespace));
            args.addAll(List.of(edit));
            Commands.Result done = cluster.kubectl(args.toArray(String[]::new));
            assertThat(done.succeeded()).as(done.toString()).isTrue();
        }
        await("the operator's replicas and labels back (operator log: " + operator.name() + ")")
                .atMost(READY_WITHIN)
                .untilAsserted(() -> {
                    Deployment d = deployment(namespace, "default");
                    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
                    assertThat(d.getMetadata().getLabels())
                            .containsEntry("app.kubernetes.io/managed-by", "modproxy-operator");
                    assertThat(admin.configMaps()
                                    .inNamespace(namespace)
                                    .withName("default-config")
                                    .get()
                                    .getMetadata()
                                    .getLabels())
                            .containsEntry("app.kubernetes.io/managed-by", "modproxy-operator");
                    GenericKubernetesResource cache = Caches.get(admin, namespace, "default");
                    assertThat(Caches.conditionIs(cache, "Ready", "True"))
                            .as("Ready")
                            .isTrue();
                    // kubectl scale of the Deployment, set back: named until no take-back for 2 minutes
                    assertThat(Caches.condition(cache, "Degraded"))
                            .hasValueSatisfying(c -> assertThat(c)
                                    .containsEntry("status", "True")
                                    .containsEntry("reason", "ReplicasTakenBack")
                                    .hasEntrySatisfying(
                                            "message",
                                            m -> assertThat((String) m)
                                                    .contains(
                                                            "set to 3 by field manager kubectl",
                                                            "kubectl scale deployment/default",
                                                            "scale gpc/default")));
                });
        await("Degraded=False 2 minutes after the take-back of kubectl scale (operator log: " + operator.name() + ")")
                .atMost(Duration.ofMinutes(2).plus(READY_WITHIN))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> Caches.conditionIs(Caches.get(admin, namespace, "default"), "Degraded", "False"));
        awaitSettled(namespace);
        assertThat(replicaSets(namespace)).as("ReplicaSets").isEqualTo(replicaSets);

        Map<String, String> versions = dependentVersions(namespace);
        String cacheVersion =
                Caches.get(admin, namespace, "default").getMetadata().getResourceVersion();
        operator.close();
        assertThat(operator.rbacDenials())
                .as("RBAC denials of " + operator.name())
                .isEmpty();
        operator = OperatorProcess.start(
                operator.name() + "-restarted", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
        await("the restarted operator reconciled the cache")
                .atMost(READY_WITHIN)
                .until(() -> operator.counter("operator_sdk_reconciliations_success_total", namespace) >= 1);
        assertThat(dependentVersions(namespace))
                .as("resourceVersions after the restart")
                .isEqualTo(versions);
        assertThat(Caches.get(admin, namespace, "default").getMetadata().getResourceVersion())
                .as("the cache's resourceVersion (status) after the restart")
                .isEqualTo(cacheVersion);
        assertThat(replicaSets(namespace)).as("ReplicaSets after the restart").isEqualTo(replicaSets);
    }

    /**
     * The scale subresource: kubectl scale gpc (a PATCH of /scale) and fabric8's read-change-write of the Scale (a PUT,
     * as a HorizontalPodAutoscaler writes it) set spec.replicas and the Deployment follows; reading /scale gives the
     * pods the Deployment has and its selector. kube-controller-manager's HPA controller, pointed at the cache, gets
     * its scale (AbleToScale), brings it within maxReplicas through /scale, and with the selector reaches the step
     * that needs a metrics server, which this cluster has none of (ScalingActive=False FailedGetResourceMetric, where a
     * cache with no status.selector stops at InvalidSelector).
     */
    @Test
    void kubectlScaleAndAnAutoscalerTargetingTheCacheScaleItsDeployment() {
        String namespace = Namespaces.of("scale");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("storage", Map.of("size", "1Gi", "accessModes", List.of("ReadWriteMany")));
        create(namespace, "shared", spec);
        awaitReady(namespace, "shared");
        String selector = "app.kubernetes.io/component=proxy,app.kubernetes.io/instance=shared,"
                + "app.kubernetes.io/name=modproxy";
        assertThat(deployment(namespace, "shared").getSpec().getSelector().getMatchLabels())
                .as("the Deployment's selector, which status.selector spells")
                .isEqualTo(Map.of(
                        "app.kubernetes.io/component", "proxy",
                        "app.kubernetes.io/instance", "shared",
                        "app.kubernetes.io/name", "modproxy"));
        awaitScale(namespace, "shared", 1, selector);

        Commands.Result scaled = cluster.kubectl("-n", namespace, "scale", "gpc/shared", "--replicas=3");
        assertThat(scaled.succeeded()).as(scaled.toString()).isTrue();
        assertThat(Caches.get(admin, namespace, "shared")
                        .getAdditionalProperties()
                        .get("spec"))
                .asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("replicas", 3);
        awaitScale(namespace, "shared", 3, selector);
        assertThat(admin.pods()
                        .inNamespace(namespace)
                        .withLabelSelector(selector)
                        .list()
                        .getItems())
                .as("pods status.selector selects")
                .hasSize(3);

        Scale read = admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("shared")
                .scale();
        read.getSpec().setReplicas(2);
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("shared")
                .scale(read);
        awaitScale(namespace, "shared", 2, selector);

        // above its maxReplicas: the controller scales the cache down through /scale, no metric needed for that
        applyAutoscaler(namespace, "shared", 1, 1);
        await("the HorizontalPodAutoscaler scales the cache to its maxReplicas")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    assertThat(autoscalerCondition(namespace, "shared", "AbleToScale"))
                            .containsEntry("status", "True");
                    assertThat(Caches.get(admin, namespace, "shared")
                                    .getAdditionalProperties()
                                    .get("spec"))
                            .asInstanceOf(InstanceOfAssertFactories.MAP)
                            .containsEntry("replicas", 1);
                });
        awaitScale(namespace, "shared", 1, selector);
        await("the HorizontalPodAutoscaler reads the selector and asks for a metric")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(autoscalerCondition(namespace, "shared", "ScalingActive"))
                        .containsEntry("status", "False")
                        .containsEntry("reason", "FailedGetResourceMetric"));
        assertThat(autoscalerCondition(namespace, "shared", "AbleToScale")).containsEntry("status", "True");
        assertThat(Caches.condition(Caches.get(admin, namespace, "shared"), "Degraded"))
                .as("scaled through the cache's own /scale (kubectl, a PUT, the autoscaler): no replicas taken back")
                .hasValueSatisfying(
                        c -> assertThat(c).containsEntry("status", "False").containsEntry("reason", "AsExpected"));
    }

    /**
     * The CRD's rule (replicas > 1 needs a shared cache) holds on /scale too: the API server refuses kubectl scale
     * (PATCH), a write of the Scale (PUT) and a HorizontalPodAutoscaler's (AbleToScale=False FailedUpdateScale, its
     * message the rule's), and the cache and its Deployment stay at one pod.
     */
    @Test
    void scalingACacheOnAReadWriteOnceVolumePastOneIsRefusedOnTheScaleSubresource() {
        String namespace = Namespaces.of("scale-rwo");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        String selector = "app.kubernetes.io/component=proxy,app.kubernetes.io/instance=default,"
                + "app.kubernetes.io/name=modproxy";
        awaitScale(namespace, "default", 1, selector);

        Commands.Result scaled = cluster.kubectl("-n", namespace, "scale", "gpc/default", "--replicas=2");
        assertThat(scaled.succeeded()).as(scaled.toString()).isFalse();
        assertThat(scaled.stderr()).contains("spec.replicas", "replicas > 1 needs a shared cache");

        Scale read = admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("default")
                .scale();
        read.getSpec().setReplicas(2);
        assertThatThrownBy(() -> admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                        .inNamespace(namespace)
                        .withName("default")
                        .scale(read))
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(422))
                .hasMessageContaining("replicas > 1 needs a shared cache");

        applyAutoscaler(namespace, "default", 2, 3);
        await("the HorizontalPodAutoscaler's scale-up refused")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(autoscalerCondition(namespace, "default", "AbleToScale"))
                        .containsEntry("status", "False")
                        .containsEntry("reason", "FailedUpdateScale")
                        .hasEntrySatisfying(
                                "message", m -> assertThat((String) m).contains("replicas > 1 needs a shared cache")));

        GenericKubernetesResource cache = Caches.get(admin, namespace, "default");
        assertThat(cache.getAdditionalProperties().get("spec"))
                .asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("replicas", 1);
        assertThat(deployment(namespace, "default").getSpec().getReplicas()).isEqualTo(1);
        assertThat(Caches.conditionIs(cache, "Degraded", "False"))
                .as("Degraded=False")
                .isTrue();
    }

    /** Waits until /scale reads {@code replicas} wanted and had (the Deployment's pods, all ready) and the selector. */
    private void awaitScale(String namespace, String name, int replicas, String selector) {
        await("/scale of " + namespace + "/" + name + " at " + replicas + " (operator log: " + operator.name() + ")")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    Deployment d = deployment(namespace, name);
                    assertThat(d.getSpec().getReplicas())
                            .as("Deployment spec.replicas")
                            .isEqualTo(replicas);
                    assertThat(d.getStatus().getReplicas())
                            .as("Deployment status.replicas")
                            .isEqualTo(replicas);
                    assertThat(d.getStatus().getReadyReplicas())
                            .as("Deployment status.readyReplicas")
                            .isEqualTo(replicas);
                    Scale scale = admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                            .inNamespace(namespace)
                            .withName(name)
                            .scale();
                    assertThat(scale.getSpec().getReplicas())
                            .as("/scale spec.replicas")
                            .isEqualTo(replicas);
                    assertThat(scale.getStatus().getReplicas())
                            .as("/scale status.replicas")
                            .isEqualTo(replicas);
                    assertThat(scale.getStatus().getSelector())
                            .as("/scale status.selector")
                            .isEqualTo(selector);
                });
    }

    /** An autoscaling/v2 HorizontalPodAutoscaler aimed at the cache {@code name} (CPU; no metrics server runs here). */
    private void applyAutoscaler(String namespace, String name, int minReplicas, int maxReplicas) {
        Commands.Result applied = cluster.kubectlWithInput(
                """
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: %s, namespace: %s}
                spec:
                  scaleTargetRef: {apiVersion: modproxy.dev/v1alpha1, kind: GoProxyCache, name: %s}
                  minReplicas: %d
                  maxReplicas: %d
                  metrics:
                    - type: Resource
                      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
                """.formatted(name, namespace, name, minReplicas, maxReplicas), "apply", "-f", "-");
        assertThat(applied.succeeded()).as(applied.toString()).isTrue();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> autoscalerCondition(String namespace, String name, String type) {
        Commands.Result got = cluster.kubectl(
                "-n",
                namespace,
                "get",
                "hpa",
                name,
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"" + type + "\")]}");
        assertThat(got.succeeded()).as(got.toString()).isTrue();
        return got.stdout().isBlank() ? Map.of() : Serialization.unmarshal(got.stdout(), Map.class);
    }

    /** The phase of the volume claim of the cache "default" in namespace. */
    private String cacheClaimPhase(String namespace) {
        return admin.persistentVolumeClaims()
                .inNamespace(namespace)
                .withName("default-cache")
                .get()
                .getStatus()
                .getPhase();
    }

    private void awaitSettled(String namespace) {
        await("the Deployment settled")
                .atMost(READY_WITHIN)
                .pollDelay(Duration.ofSeconds(2))
                .until(() -> {
                    Deployment d = deployment(namespace, "default");
                    return d.getStatus() != null
                            && d.getMetadata()
                                    .getGeneration()
                                    .equals(d.getStatus().getObservedGeneration())
                            && Integer.valueOf(1).equals(d.getStatus().getReplicas())
                            && Integer.valueOf(1).equals(d.getStatus().getReadyReplicas());
                });
    }

    private List<String> replicaSets(String namespace) {
        return admin.apps().replicaSets().inNamespace(namespace).list().getItems().stream()
                .map(rs -> rs.getMetadata().getName())
                .sorted()
                .toList();
    }

    /**
     * Object storage (or a shared volume) rolls the pods gradually, a ReadWriteOnce volume by Recreate. The API server
     * defaults a rolling update's bounds; under server-side apply they stayed when the cache moved back to a volume,
     * and every apply of the Recreate Deployment was refused: the cache stayed Degraded on its old pods for good.
     */
    @Test
    void aCacheMovedFromObjectStorageBackToAVolumeRollsByRecreate() {
        String namespace = Namespaces.of("storage-switch");
        Map<String, Object> onBucket = Caches.smallSpec();
        onBucket.put("objectStorage", Map.of("bucket", "go-modules", "endpoint", "http://minio.example.com:9000"));
        create(namespace, "default", onBucket);
        awaitReady(namespace, "default");
        assertThat(deployment(namespace, "default").getSpec().getStrategy().getType())
                .isEqualTo("RollingUpdate");

        GenericKubernetesResource onVolume = editSpec(namespace, "default", spec -> spec.remove("objectStorage"));

        awaitObserved(namespace, "default", onVolume.getMetadata().getGeneration());
        await("the Deployment rolls by Recreate on the volume claim, and the cache is not Degraded")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    Deployment d = deployment(namespace, "default");
                    assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
                    assertThat(d.getSpec().getTemplate().getSpec().getVolumes())
                            .anySatisfy(v -> assertThat(v.getPersistentVolumeClaim())
                                    .isNotNull()
                                    .satisfies(c -> assertThat(c.getClaimName()).isEqualTo("default-cache")));
                    GenericKubernetesResource cache = Caches.get(admin, namespace, "default");
                    assertThat(Caches.condition(cache, "Degraded"))
                            .as("Degraded condition")
                            .hasValueSatisfying(c -> assertThat(c).containsEntry("status", "False"));
                });
    }

    /**
     * A port changed by hand is another manager's list entry: server-side apply added the operator's port beside it,
     * the API server refused two ports named http, and the cache stayed Degraded with the Service on the wrong port.
     */
    @Test
    void aPortChangedByHandOnEitherServiceIsPutBack() {
        String namespace = Namespaces.of("service-drift");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");

        Commands.Result edited = cluster.kubectl(
                "-n",
                namespace,
                "patch",
                "service/default",
                "--type=merge",
                "-p",
                "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":8080,\"targetPort\":\"http\"}]}}");
        assertThat(edited.succeeded()).as(edited.toString()).isTrue();
        Commands.Result editedManagement = cluster.kubectl(
                "-n",
                namespace,
                "patch",
                "service/default-management",
                "--type=merge",
                "-p",
                "{\"spec\":{\"ports\":[{\"name\":\"management\",\"port\":9090,\"targetPort\":\"management\"}]}}");
        assertThat(editedManagement.succeeded()).as(editedManagement.toString()).isTrue();

        await("the operator puts ports 80 and 9000 back, alone, and the cache is not Degraded")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    assertThat(admin.services()
                                    .inNamespace(namespace)
                                    .withName("default")
                                    .get()
                                    .getSpec()
                                    .getPorts())
                            .extracting(io.fabric8.kubernetes.api.model.ServicePort::getPort)
                            .containsExactly(80);
                    assertThat(admin.services()
                                    .inNamespace(namespace)
                                    .withName("default-management")
                                    .get()
                                    .getSpec()
                                    .getPorts())
                            .extracting(io.fabric8.kubernetes.api.model.ServicePort::getPort)
                            .containsExactly(9000);
                    assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Degraded"))
                            .as("Degraded condition")
                            .hasValueSatisfying(c -> assertThat(c).containsEntry("status", "False"));
                });
    }

    /**
     * The ServiceMonitor of {@code spec.metrics.serviceMonitor}, against prometheus-operator's own CRD (not a schema
     * of this suite's): accepted, and stored with the spec ServiceMonitorDependent makes, field for field. The
     * operator applies server-side, and the API server refuses an apply with a field that CRD does not declare
     * ("field not declared in schema"; the open schema this suite had took anything): the cache would not get Ready.
     * Its selector finds the cache's management Service, on a port of that name.
     */
    @Test
    void theServiceMonitorIsStoredWholeUnderPrometheusOperatorsCrdAndSelectsTheManagementService() {
        String namespace = Namespaces.of("scraped");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put(
                "metrics",
                Map.of(
                        "serviceMonitor",
                        Map.of(
                                "enabled",
                                true,
                                "interval",
                                "1m30s",
                                "labels",
                                Map.of("release", "kube-prometheus-stack"))));
        create(namespace, "scraped", spec);
        awaitReady(namespace, "scraped");

        GenericKubernetesResource monitor = admin.genericKubernetesResources(MonitoringCrds.SERVICE_MONITOR)
                .inNamespace(namespace)
                .withName("scraped")
                .get();
        assertThat(monitor).as("ServiceMonitor %s/scraped", namespace).isNotNull();
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack");
        Map<String, String> selector = Map.of(
                "app.kubernetes.io/name", "modproxy",
                "app.kubernetes.io/instance", "scraped",
                "app.kubernetes.io/component", "proxy-management");
        // what ServiceMonitorDependent sends, field for field
        assertThat(monitor.getAdditionalProperties().get("spec"))
                .as("spec of the ServiceMonitor as the API server stored it")
                .isEqualTo(Map.of(
                        "selector",
                        Map.of("matchLabels", selector),
                        "endpoints",
                        List.of(Map.of("port", "management", "path", "/q/metrics", "interval", "1m30s"))));
        // what Prometheus would scrape: the Services its selector matches in the ServiceMonitor's namespace
        assertThat(admin.services()
                        .inNamespace(namespace)
                        .withLabels(selector)
                        .list()
                        .getItems())
                .singleElement()
                .satisfies(service -> assertThat(service.getSpec().getPorts())
                        .anySatisfy(port -> assertThat(port.getName()).isEqualTo("management")));
    }

    /**
     * Every object the operator makes names its cache as its one controller (kubectl describe: "Controlled By"),
     * the retained volume excepted, and the garbage collector follows those references.
     */
    @Test
    void deletingACacheRemovesItsObjectsThroughTheGarbageCollectorAndRetainOnDeleteKeepsTheVolume() {
        String namespace = Namespaces.of("delete");
        // two replicas on a shared volume, a NetworkPolicy and a ServiceMonitor: every kind of object a cache makes
        Map<String, Object> everything = Caches.smallSpec();
        everything.put("replicas", 2);
        everything.put("storage", Map.of("size", "1Gi", "accessModes", List.of("ReadWriteMany")));
        everything.put("networkPolicy", Map.of("enabled", true));
        everything.put("metrics", Map.of("serviceMonitor", Map.of("enabled", true)));
        create(namespace, "default", everything);
        Map<String, Object> keep = Caches.smallSpec();
        keep.put("storage", Map.of("size", "1Gi", "retainOnDelete", true));
        create(namespace, "kept", keep);
        awaitReady(namespace, "default");
        awaitReady(namespace, "kept");

        String defaultUid =
                Caches.get(admin, namespace, "default").getMetadata().getUid();
        List<HasMetadata> made = madeFor(namespace, "default");
        assertThat(made)
                .extracting(HasMetadata::getKind)
                .containsExactlyInAnyOrder(
                        "ConfigMap",
                        "PersistentVolumeClaim",
                        "Deployment",
                        "Service",
                        "Service",
                        "PodDisruptionBudget",
                        "NetworkPolicy",
                        "ServiceMonitor");
        made.forEach(object -> assertControlledBy(object, "default", defaultUid));
        String keptUid = Caches.get(admin, namespace, "kept").getMetadata().getUid();
        madeFor(namespace, "kept").forEach(object -> {
            if (object instanceof PersistentVolumeClaim) {
                assertThat(object.getMetadata().getOwnerReferences())
                        .as("owner references of the retained volume")
                        .isEmpty();
            } else {
                assertControlledBy(object, "kept", keptUid);
            }
        });

        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("default")
                .delete();
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("kept")
                .delete();

        await("the objects of both caches gone")
                .atMost(READY_WITHIN)
                .until(() -> deployment(namespace, "default") == null
                        && deployment(namespace, "kept") == null
                        && admin.services()
                                .inNamespace(namespace)
                                .list()
                                .getItems()
                                .isEmpty()
                        && admin.configMaps()
                                .inNamespace(namespace)
                                .withLabel("app.kubernetes.io/name", "modproxy")
                                .list()
                                .getItems()
                                .isEmpty()
                        && admin.persistentVolumeClaims()
                                        .inNamespace(namespace)
                                        .withName("default-cache")
                                        .get()
                                == null
                        && admin.pods().inNamespace(namespace).list().getItems().isEmpty()
                        && madeFor(namespace, "default").isEmpty());
        assertThat(admin.persistentVolumeClaims()
                        .inNamespace(namespace)
                        .withName("kept-cache")
                        .get())
                .as("the volume of the cache with retainOnDelete")
                .isNotNull();
    }

    /** What the operator made for a cache, by its labels: pods and ReplicaSets are the Deployment's. */
    private List<HasMetadata> madeFor(String namespace, String cache) {
        Map<String, String> labels =
                Map.of("app.kubernetes.io/managed-by", "modproxy-operator", "app.kubernetes.io/instance", cache);
        List<HasMetadata> made = new ArrayList<>();
        made.addAll(admin.configMaps()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        made.addAll(admin.persistentVolumeClaims()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        made.addAll(admin.apps()
                .deployments()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        made.addAll(admin.services()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        made.addAll(admin.policy()
                .v1()
                .podDisruptionBudget()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        made.addAll(admin.network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        made.addAll(admin.genericKubernetesResources(MonitoringCrds.SERVICE_MONITOR)
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        return made;
    }

    private static void assertControlledBy(HasMetadata object, String cache, String uid) {
        assertThat(object.getMetadata().getOwnerReferences())
                .as(
                        "owner references of %s %s",
                        object.getKind(), object.getMetadata().getName())
                .singleElement()
                .satisfies(ref -> {
                    assertThat(ref.getController()).as("controller").isTrue();
                    assertThat(ref.getApiVersion()).isEqualTo("modproxy.dev/v1alpha1");
                    assertThat(ref.getKind()).isEqualTo("GoProxyCache");
                    assertThat(ref.getName()).isEqualTo(cache);
                    assertThat(ref.getUid()).isEqualTo(uid);
                });
    }

    /**
     * Two caches of a namespace annotated modproxy.dev/default=true leave the webhook without a default there: each
     * says so, naming the other, as soon as the second is annotated, and both clear as soon as one no longer is,
     * though an annotation moves no generation and the other cache did not change.
     */
    @Test
    void twoCachesAnnotatedDefaultInOneNamespaceEachSayItAndClearOnceOneIsNoLonger() {
        String namespace = Namespaces.of("defaults");
        create(namespace, "first", Caches.smallSpec());
        create(namespace, "second", Caches.smallSpec());
        kubectlIn(namespace, "annotate", "goproxycache", "first", "modproxy.dev/default=true");
        // settled, so that no rollout's event wakes them any more: only the annotations below can
        awaitReady(namespace, "first");
        awaitReady(namespace, "second");
        awaitDegradedCondition(namespace, "first", "False", "AsExpected", "Nothing needs attention");
        awaitDegradedCondition(namespace, "second", "False", "AsExpected", "Nothing needs attention");

        kubectlIn(namespace, "annotate", "goproxycache", "second", "modproxy.dev/default=true");

        awaitDegraded(
                namespace,
                "first",
                "SeveralDefaultCaches",
                "This cache and GoProxyCache second are annotated modproxy.dev/default=true in namespace " + namespace,
                "kubectl -n " + namespace + " annotate goproxycache second modproxy.dev/default-");
        awaitDegraded(namespace, "second", "SeveralDefaultCaches", "This cache and GoProxyCache first are annotated");

        kubectlIn(namespace, "annotate", "goproxycache", "first", "modproxy.dev/default-");

        awaitDegradedCondition(namespace, "first", "False", "AsExpected", "Nothing needs attention");
        awaitDegradedCondition(namespace, "second", "False", "AsExpected", "Nothing needs attention");
    }

    /** A misspelt class leaves the claim Pending for ever; the operator (with the chart's RBAC) says why. */
    @Test
    void aMisspeltStorageClassIsNamedInTheStatus() {
        String namespace = Namespaces.of("storage-class");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("storage", Map.of("size", "1Gi", "storageClassName", "kwok-locale"));
        create(namespace, "default", spec);

        awaitDegraded(
                namespace,
                "default",
                "StorageClassNotFound",
                "default-cache is Pending: StorageClass \"kwok-locale\" does not exist",
                "create it again");
        assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Ready"))
                .hasValueSatisfying(c -> assertThat(c).containsEntry("reason", "VolumeClaimPending"));
        // nothing can progress until the class exists: not Progressing=True RollingOut for ever
        assertStuck(namespace, "default", "StorageClassNotFound");
        assertThat(cacheClaimPhase(namespace)).isEqualTo("Pending");

        // the correction a user tries first: refused, without claiming a volume exists, saying what works instead
        Commands.Result corrected =
                apply(namespace, "default", "spec:\n  storage: {size: 1Gi, storageClassName: kwok-local}\n");
        assertThat(corrected.succeeded()).as(corrected.toString()).isFalse();
        assertThat(corrected.stderr())
                .contains("storage.storageClassName cannot change: a volume claim's class is immutable")
                .contains("Delete this GoProxyCache and create it again")
                .contains("create that StorageClass")
                .doesNotContain("once the volume exists");
    }

    /**
     * A claim no volume satisfies (the pool holds 100Gi volumes and nothing provisions more) stays Pending like one
     * whose provisioner is still at work: Ready says the pods wait for it and how to look, and nothing is Degraded.
     */
    @Test
    void aClaimNoVolumeSatisfiesYetIsNamedInReadyWithoutDegraded() {
        String namespace = Namespaces.of("claim-pending");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("storage", Map.of("size", "500Gi"));
        create(namespace, "default", spec);

        await("GoProxyCache " + namespace + "/default Ready=False VolumeClaimPending (operator log: " + operator.name()
                        + ")")
                .atMost(READY_WITHIN)
                .untilAsserted(() -> assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Ready"))
                        .hasValueSatisfying(c -> assertThat(c)
                                .containsEntry("status", "False")
                                .containsEntry("reason", "VolumeClaimPending")
                                .hasEntrySatisfying(
                                        "message",
                                        m -> assertThat((String) m)
                                                .contains("volume claim default-cache, which is Pending")
                                                .contains("kubectl -n " + namespace + " describe pvc default-cache"))));
        GenericKubernetesResource cache = Caches.get(admin, namespace, "default");
        assertThat(Caches.condition(cache, "Degraded"))
                .hasValueSatisfying(c -> assertThat(c).containsEntry("status", "False"));
        assertThat(cacheClaimPhase(namespace)).isEqualTo("Pending");
        // left in place, it would be reconciled again whenever the operator module's tests run here later
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("default")
                .delete();
    }

    /**
     * The schema of Kubernetes' resource requirements takes any string (a CEL rule over its unbounded maps exceeds
     * the API server's cost budget), and the API server answers a Deployment carrying one with a 500: the operator
     * names the field instead of retrying what looks like an outage.
     */
    @Test
    void aResourceThatIsNoQuantityIsNamedInTheStatus() {
        String namespace = Namespaces.of("resources");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("resources", Map.of("requests", Map.of("cpu", "lots")));
        create(namespace, "default", spec);
        Map<String, Object> fine = Caches.smallSpec();
        fine.put("resources", Map.of("requests", Map.of("cpu", "100m", "memory", "256Mi"), "limits", Map.of("cpu", 2)));
        create(namespace, "fine", fine);
        awaitReady(namespace, "fine");

        awaitDegraded(
                namespace,
                "default",
                "InvalidSpec",
                "spec.resources.requests.cpu \"lots\" is not a Kubernetes quantity");
        // left in place, it would be reconciled again whenever the operator module's tests run here later
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("default")
                .delete();
    }

    @Test
    void invalidSpecsAreRefusedByTheApiServerWithTheRulesMessage() {
        String namespace = Namespaces.of("invalid");
        Namespaces.ensure(admin, namespace);
        Commands.Result twoReplicasOnOneVolume = apply(namespace, "shared", """
                spec:
                  replicas: 2
                  storage: {size: 1Gi, accessModes: [ReadWriteOnce]}
                """);
        assertThat(twoReplicasOnOneVolume.succeeded()).isFalse();
        assertThat(twoReplicasOnOneVolume.stderr()).contains("replicas > 1 needs a shared cache");

        Commands.Result malformedUpstream = apply(namespace, "ftp", """
                spec:
                  upstream: "ftp://mirror.example.com"
                """);
        assertThat(malformedUpstream.succeeded()).isFalse();
        // said in words: the schema's pattern was printed whole, some 500 characters of regex
        assertThat(malformedUpstream.stderr())
                .contains("spec.upstream must be a GOPROXY list: entries separated by ',' or '|'")
                .doesNotContain("[^\\s,|]");

        // every other field the schema checked with a pattern: refused with the regex alone ("should match '^...$'")
        Map<String, List<String>> inWords = new LinkedHashMap<>();
        inWords.put(
                "  sumdb: \"sum.golang.org ftp://mirror\"\n",
                List.of(
                        "spec.sumdb: Invalid value: \"sum.golang.org ftp://mirror\": spec.sumdb must be off, "
                                + "sum.golang.org, sum.golang.google.cn, or another checksum database's verifier key",
                        // any run of blanks is taken before the URL, as the go command and the proxy take it
                        "may be followed by spaces or tabs and the database's http(s) URL",
                        "e.g. sum.golang.org"));
        inWords.put(
                "  image: \"ghcr.io/modproxy/proxy: 1.2\"\n",
                List.of(
                        "spec.image: Invalid value: ",
                        "spec.image must be a container image reference: an optional registry host and port"));
        inWords.put(
                "  imagePullPolicy: always\n",
                List.of(
                        "spec.imagePullPolicy: Unsupported value: \"always\"",
                        "\"Always\", \"IfNotPresent\", \"Never\""));
        inWords.put(
                "  service: {type: External}\n",
                List.of(
                        "spec.service.type: Unsupported value: \"External\"",
                        "\"ClusterIP\", \"NodePort\", \"LoadBalancer\""));
        inWords.put(
                "  storage: {size: lots}\n",
                List.of("spec.storage.size: Invalid value: \"lots\": spec.storage.size must be a Kubernetes quantity"));
        inWords.put(
                "  proxy: {memoryCacheSize: 1.5Gi}\n",
                List.of("spec.proxy.memoryCacheSize must be a whole number of bytes", "e.g. 32Mi"));
        // one row: a second put of the same spec would replace this one and check it once
        inWords.put(
                "  egressProxy: {httpsProxy: \"http://build:s3cret@proxy.corp:3128\"}\n",
                List.of(
                        "spec.egressProxy.httpsProxy must be a proxy address",
                        "without a path or user:password@",
                        "spec.egressProxy.loginSecretRef"));
        // TLS to the egress proxy itself, which the proxy refuses at start: its pods would only crash-loop
        inWords.put(
                "  egressProxy: {httpsProxy: \"https://proxy.corp:3129\", httpProxy: \"https://proxy.corp:3129\"}\n",
                List.of(
                        "spec.egressProxy.httpsProxy: Invalid value: ",
                        "spec.egressProxy.httpsProxy must not be an https:// URL",
                        "spec.egressProxy.httpProxy must not be an https:// URL",
                        "Give the egress proxy's plain-HTTP port as http://host:port",
                        "https upstreams still go through it in a CONNECT tunnel"));
        inWords.put(
                "  objectStorage: {bucket: Go_Modules, endpoint: \"minio.storage.svc:9000\"}\n",
                List.of(
                        "spec.objectStorage.bucket must be an S3 bucket name",
                        "spec.objectStorage.endpoint must be an http(s) URL"));
        inWords.put(
                "  upstreamCredentials: {secretName: Netrc, netrcKey: \"a netrc\"}\n",
                List.of(
                        "spec.upstreamCredentials.secretName must be the name of a Secret in the cache's namespace",
                        "spec.upstreamCredentials.netrcKey must be a key of the Secret"));
        inWords.put(
                "  upstreamCA: {secretName: corp-ca, configMapName: corp-ca}\n",
                List.of("spec.upstreamCA needs exactly one of secretName (a Secret) or configMapName (a ConfigMap)"));
        inWords.put(
                "  upstreamCA: {key: ca.pem}\n",
                List.of("spec.upstreamCA needs exactly one of secretName (a Secret) or configMapName (a ConfigMap)"));
        inWords.put(
                "  upstreamCA: {configMapName: Corp_CA, key: \"ca crt\"}\n",
                List.of(
                        "spec.upstreamCA.configMapName must be the name of a ConfigMap in the cache's namespace",
                        "spec.upstreamCA.key must be a key of the Secret or ConfigMap"));
        inWords.put(
                "  egressProxy: {noProxy: [.corp], loginSecretRef: {name: egress-login}}\n",
                List.of("spec.egressProxy.loginSecretRef needs httpsProxy or httpProxy"));
        inWords.put(
                "  egressProxy: {httpsProxy: \"proxy.corp:3128\", loginSecretRef: {name: Egress_Login, key: \"a b\"}}\n",
                List.of(
                        "spec.egressProxy.loginSecretRef.name must be the name of a Secret in the cache's namespace",
                        "spec.egressProxy.loginSecretRef.key must be a key of the Secret"));
        inWords.put(
                "  serviceAccountName: Builds_SA\n  priorityClassName: \"high..priority\"\n",
                List.of(
                        "spec.serviceAccountName must be the name of a ServiceAccount",
                        "spec.priorityClassName must be the name of a PriorityClass"));
        inWords.put(
                "  warmup: {goSumConfigMap: go_sum}\n",
                List.of("spec.warmup.goSumConfigMap must be the name of a ConfigMap"));
        inWords.put(
                "  metrics: {serviceMonitor: {interval: 30s1m}}\n",
                List.of("spec.metrics.serviceMonitor.interval must be a Prometheus duration", "e.g. 30s, 1m or 1m30s"));
        // taken as any string before, then refused on the volume claim, NetworkPolicy or ServiceMonitor
        inWords.put(
                "  storage: {storageClassName: Fast_SSD}\n",
                List.of("spec.storage.storageClassName must be the name of a StorageClass", "e.g. fast-ssd"));
        inWords.put(
                "  networkPolicy: {enabled: true, prometheusNamespace: monitoring.svc}\n",
                List.of("spec.networkPolicy.prometheusNamespace must be the name of a namespace"));
        inWords.put(
                "  metrics: {serviceMonitor: {labels: {release: \"kube prom\"}}}\n",
                List.of("spec.metrics.serviceMonitor.labels[release]: Invalid value: \"kube prom\": "
                        + "spec.metrics.serviceMonitor.labels values must each be"));
        inWords.forEach((spec, said) -> {
            Commands.Result applied = apply(namespace, "in-words", "spec:\n" + spec);
            assertThat(applied.succeeded()).as(spec).isFalse();
            assertThat(applied.stderr()).as(spec).contains(said).doesNotContain("should match");
        });

        // both were accepted, then reported Degraded; the access modes could not even be corrected afterwards
        Commands.Result dottedName = apply(namespace, "go.proxy", "spec: {}\n");
        assertThat(dottedName.succeeded()).isFalse();
        assertThat(dottedName.stderr()).contains("metadata.name must fit the cache's Service name");
        // reported at field path <nil> before the rule named it
        Commands.Result longName = apply(namespace, "a".repeat(53), "spec: {}\n");
        assertThat(longName.succeeded()).isFalse();
        assertThat(longName.stderr())
                .contains("metadata.name: Invalid value: metadata.name must fit the cache's Service name")
                .doesNotContain("<nil>");
        Commands.Result misspeltMode = apply(namespace, "modes", "spec:\n  storage: {accessModes: [ReadWriteMnay]}\n");
        assertThat(misspeltMode.succeeded()).isFalse();
        assertThat(misspeltMode.stderr()).contains("storage.accessModes takes ReadWriteOnce");
        // stored, it stopped the operator's informer: no cache in the cluster was reconciled any more
        Commands.Result beyondAnInt =
                apply(namespace, "many", "spec:\n  replicas: 2147483648\n  storage: {accessModes: [ReadWriteMany]}\n");
        assertThat(beyondAnInt.succeeded()).isFalse();
        assertThat(beyondAnInt.stderr()).contains("spec.replicas").contains("2147483647");
        // the schema's quantity pattern takes 0; no volume claim does
        Commands.Result noSize = apply(namespace, "empty", "spec:\n  storage: {size: \"0\"}\n");
        assertThat(noSize.succeeded()).isFalse();
        assertThat(noSize.stderr()).contains("storage.size must be more than 0");
        // the API server cut the claim's 100Ei down to 9223372036854775807 bytes, and nothing said so
        Commands.Result beyondAnInt64 = apply(namespace, "huge", "spec:\n  storage: {size: 100Ei}\n");
        assertThat(beyondAnInt64.succeeded()).isFalse();
        assertThat(beyondAnInt64.stderr()).contains("storage.size must be less than 9223372036854775807 bytes");

        assertThat(apply(namespace, "shrinking", "spec:\n  storage: {size: 2Gi}\n")
                        .succeeded())
                .isTrue();
        Commands.Result shrink = apply(namespace, "shrinking", "spec:\n  storage: {size: 1Gi}\n");
        assertThat(shrink.succeeded()).isFalse();
        assertThat(shrink.stderr()).contains("storage.size cannot shrink");
    }

    /**
     * The probe's pod-template values, each taken and then holding the cache's Deployment back (Degraded Rejected,
     * quoting the Deployment's field), or, a pull secret no Secret can be named, reported as nothing to attend to:
     * refused at admission naming the cache's field and the rule. The CRD's rules over maps and lists are within the
     * API server's cost limit only because the chart's CRD, installed here, bounds them.
     */
    @Test
    void podTemplateValuesTheDeploymentCannotCarryAreRefusedNamingTheCachesField() {
        String namespace = Namespaces.of("pod-template");
        Namespaces.ensure(admin, namespace);
        Map<String, List<String>> refused = new LinkedHashMap<>();
        refused.put(
                "  podLabels: {team: \"\u00f1\"}\n",
                List.of("spec.podLabels[team]: Invalid value: \"\u00f1\": spec.podLabels values must each be empty "
                        + "or at most 63 letters"));
        refused.put(
                "  podLabels: {\"bad key!\": x}\n",
                List.of("spec.podLabels: Invalid value: spec.podLabels keys must each be label keys: an optional "
                        + "prefix"));
        refused.put(
                "  nodeSelector: {k: \"bad value!\"}\n",
                List.of("spec.nodeSelector[k]: Invalid value: \"bad value!\": spec.nodeSelector values must each"));
        refused.put(
                "  podAnnotations: {\"bad key!\": x}\n",
                List.of("spec.podAnnotations: Invalid value: spec.podAnnotations keys must each be annotation keys"));
        refused.put(
                "  service: {annotations: {\"bad key!\": x}}\n",
                List.of("spec.service.annotations: Invalid value: spec.service.annotations keys must each be "
                        + "annotation keys"));
        refused.put(
                "  tolerations: [{key: k, operator: Bogus}]\n",
                List.of("spec.tolerations[0].operator: Unsupported value: \"Bogus\"", "\"Exists\", \"Equal\""));
        refused.put(
                "  tolerations: [{key: k, operator: Equal, value: v, effect: NoRun}]\n",
                List.of("spec.tolerations[0].effect: Unsupported value: \"NoRun\"", "\"PreferNoSchedule\""));
        refused.put(
                "  imagePullSecrets: [{name: Bad_Name}]\n",
                List.of("spec.imagePullSecrets[0].name: Invalid value: \"Bad_Name\": spec.imagePullSecrets names "
                        + "must each be the name of a Secret"));
        // the ReplicaSet made 433 pods in 20 s of a billion
        refused.put(
                "  replicas: 1000000000\n  storage: {accessModes: [ReadWriteMany]}\n",
                List.of("spec.replicas: Invalid value: 1000000000", "less than or equal to 100"));
        // the schema's pattern was printed alone: '^[^\\n\\r]*$'
        refused.put(
                "  proxy: {jvmOptions: \"-Xss1m\\n-Xmx1g\"}\n",
                List.of("spec.proxy.jvmOptions: Invalid value: ", "must be one line, without line breaks"));
        refused.forEach((spec, said) -> {
            Commands.Result applied = apply(namespace, "refused", "spec:\n" + spec);
            assertThat(applied.succeeded()).as(spec).isFalse();
            assertThat(applied.stderr()).as(spec).contains(said);
        });

        String prefix253 = "a".repeat(100) + "." + "b".repeat(100) + "." + "c".repeat(51);
        // a server-side dry run: stored, the cache would be reconciled into 100 (kwok) pods
        Commands.Result taken = cluster.kubectlWithInput(
                """
                apiVersion: modproxy.dev/v1alpha1
                kind: GoProxyCache
                metadata: {name: taken, namespace: %s}
                spec:
                  podLabels: {"%s/%s": "%s", example.com/team: "", tier: v1.2_3}
                  nodeSelector: {kubernetes.io/os: linux}
                  podAnnotations: {example.com/note: "any thing!", Example.com/Note: x}
                  service: {annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: "true"}}
                  tolerations: [{operator: Exists}, {key: k, operator: "", value: v, effect: ""}, {key: k, value: v, effect: NoExecute, tolerationSeconds: 5}]
                  imagePullSecrets: [{name: registry.login-1}, {}]
                  replicas: 100
                  storage: {accessModes: [ReadWriteMany]}
                  proxy: {jvmOptions: "-XX:MaxRAMPercentage=70 -Xss512k"}
                """.formatted(namespace, prefix253, "n".repeat(63), "v".repeat(63)),
                "apply",
                "--dry-run=server",
                "-f",
                "-");
        assertThat(taken.succeeded()).as(taken.toString()).isTrue();

        // a cache cannot be scaled to none; the refusal says how to stop one instead
        assertThat(apply(namespace, "scaled", "spec: {}\n").succeeded()).isTrue();
        Commands.Result none = cluster.kubectl("-n", namespace, "scale", "gpc/scaled", "--replicas=0");
        assertThat(none.succeeded()).as(none.toString()).isFalse();
        assertThat(none.stderr())
                .contains("spec.replicas: Invalid value: 0: spec.replicas must be at least 1")
                .contains("To stop a cache, delete the GoProxyCache")
                .doesNotContain("should be greater than or equal to 1");
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("scaled")
                .delete();
    }

    /**
     * A cache created without a spec ran on the operator's defaults while the API server held none, so the rules that
     * compare with the old object had nothing to compare: 5Gi below the 10Gi volume, or a class, was accepted and the
     * volume claim's update failed. The API server now stores the defaults "spec: {}" gets.
     */
    @Test
    void aCacheCreatedWithoutASpecHoldsItsDefaultsAndTheTransitionRulesCompareThem() {
        String namespace = Namespaces.of("specless");
        Namespaces.ensure(admin, namespace);
        Commands.Result created = cluster.kubectlWithInput("""
                apiVersion: modproxy.dev/v1alpha1
                kind: GoProxyCache
                metadata:
                  name: specless
                  namespace: %s
                """.formatted(namespace), "create", "-f", "-");
        assertThat(created.succeeded()).as(created.toString()).isTrue();

        assertThat(Caches.get(admin, namespace, "specless").getAdditionalProperties())
                .extractingByKey("spec", InstanceOfAssertFactories.map(String.class, Object.class))
                .containsEntry("replicas", 1)
                .containsEntry("upstream", "https://proxy.golang.org")
                .extractingByKey("storage", InstanceOfAssertFactories.map(String.class, Object.class))
                .containsEntry("size", "10Gi")
                .containsEntry("accessModes", List.of("ReadWriteOnce"))
                .doesNotContainKey("storageClassName");
        Commands.Result shrunk = apply(namespace, "specless", "spec:\n  storage: {size: 5Gi}\n");
        assertThat(shrunk.succeeded()).isFalse();
        assertThat(shrunk.stderr()).contains("storage.size cannot shrink");
        Commands.Result classAdded = apply(namespace, "specless", "spec:\n  storage: {storageClassName: fast}\n");
        assertThat(classAdded.succeeded()).isFalse();
        assertThat(classAdded.stderr()).contains("storage.storageClassName cannot change");
        // left in place, it would be reconciled again whenever the operator module's tests run here later
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("specless")
                .delete();
    }

    /**
     * Creates a ResourceQuota and waits until the API server enforces it. Its admission finds quotas through an informer,
     * and a namespace it found none in is remembered as such for 30 s: on a loaded machine a claim made at once could
     * pass a quota created a moment before, so a test would see the cache Ready instead of refused. A dry-run object
     * far over the quota being refused says it is enforced.
     */
    private void enforcedQuota(String namespace, String name, String resource, String hard) {
        admin.resourceQuotas()
                .inNamespace(namespace)
                .resource(new io.fabric8.kubernetes.api.model.ResourceQuotaBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .withNewSpec()
                        .addToHard(resource, new Quantity(hard))
                        .endSpec()
                        .build())
                .create();
        await("the ResourceQuota " + name + " enforced")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    try {
                        if (resource.equals("pods")) {
                            admin.pods()
                                    .inNamespace(namespace)
                                    .resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                                            .withNewMetadata()
                                            .withName("quota-probe")
                                            .endMetadata()
                                            .withNewSpec()
                                            .addNewContainer()
                                            .withName("probe")
                                            .withImage("registry.example/probe:1")
                                            .endContainer()
                                            .endSpec()
                                            .build())
                                    .dryRun()
                                    .create();
                        } else {
                            admin.persistentVolumeClaims()
                                    .inNamespace(namespace)
                                    .resource(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder()
                                            .withNewMetadata()
                                            .withName("quota-probe")
                                            .endMetadata()
                                            .withNewSpec()
                                            .withAccessModes("ReadWriteOnce")
                                            .withNewResources()
                                            .addToRequests("storage", new Quantity("1Ti"))
                                            .endResources()
                                            .endSpec()
                                            .build())
                                    .dryRun()
                                    .create();
                        }
                        return false; // admitted: not enforced yet
                    } catch (KubernetesClientException e) {
                        return e.getCode() == 403
                                && String.valueOf(e.getMessage()).contains("exceeded quota");
                    }
                });
    }

    private Commands.Result apply(String namespace, String name, String specYaml) {
        return cluster.kubectlWithInput("""
                apiVersion: modproxy.dev/v1alpha1
                kind: GoProxyCache
                metadata:
                  name: %s
                  namespace: %s
                """.formatted(name, namespace) + specYaml, "apply", "-f", "-");
    }

    @Test
    void aQuotaThatRefusesTheVolumeEndsInDegradedAndOtherCachesKeepReconciling() {
        String limited = Namespaces.of("quota");
        String neighbour = Namespaces.of("quota-neighbour");
        Namespaces.ensure(admin, limited);
        enforcedQuota(limited, "storage", "requests.storage", "500Mi");
        create(limited, "default", Caches.smallSpec());

        await("Degraded with a message")
                .atMost(READY_WITHIN)
                .pollInterval(Duration.ofMillis(500))
                .until(() -> Caches.conditionIs(Caches.get(admin, limited, "default"), "Degraded", "True"));
        Map<String, Object> degraded = Caches.condition(Caches.get(admin, limited, "default"), "Degraded")
                .orElseThrow();
        assertThat(degraded.get("reason")).isEqualTo("QuotaExceeded");
        assertThat((String) degraded.get("message")).contains("exceeded quota").contains("raise the quota");

        create(neighbour, "default", Caches.smallSpec());
        awaitReady(neighbour, "default");
        assertThat(Caches.conditionIs(Caches.get(admin, limited, "default"), "Ready", "True"))
                .isFalse();
        // left in place, the refused cache would be tried again for as long as the API server runs, and the
        // operator tests that run on it later (OperatorTestsAgainstClusterIT) would log about it
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(limited)
                .withName("default")
                .delete();
    }

    /**
     * A ResourceQuota of pods=0 refuses every proxy pod: Degraded=True RolloutFailed quoting the refusal, and
     * Progressing=False RolloutStuck, where it once stayed True (RollingOut) as long as the quota did.
     */
    @Test
    void aQuotaOfNoPodsIsDegradedAndTheRolloutStuckNotProgressing() {
        String namespace = Namespaces.of("no-pods");
        Namespaces.ensure(admin, namespace);
        enforcedQuota(namespace, "no-pods", "pods", "0");
        create(namespace, "default", Caches.smallSpec());

        awaitDegraded(namespace, "default", "RolloutFailed", "exceeded quota", "ResourceQuota");
        assertStuck(namespace, "default", "RolloutFailed");
        // left in place, the refused cache would be tried again for as long as the API server runs
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("default")
                .delete();
    }

    /**
     * {@code kubectl rollout pause} of the proxy Deployment: a new upstream stays in its template, not in the pods.
     * Degraded=True DeploymentPaused naming kubectl-rollout and the resume command, Progressing=False RolloutStuck;
     * the operator leaves spec.paused alone, and once resumed the change rolls out. The cache once said
     * Progressing=True RollingOut and "Nothing needs attention" for as long as it stayed paused.
     */
    @Test
    void aDeploymentPausedByHandIsDegradedUntilResumedAndTheOperatorLeavesItPaused() {
        String namespace = Namespaces.of("paused");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        kubectlIn(namespace, "rollout", "pause", "deployment/default");

        editSpec(namespace, "default", spec -> spec.put("upstream", "https://goproxy.cn"));

        awaitDegraded(
                namespace,
                "default",
                "DeploymentPaused",
                "kubectl-rollout",
                "kubectl -n " + namespace + " rollout resume deployment/default");
        assertStuck(namespace, "default", "DeploymentPaused");
        assertThat(deployment(namespace, "default").getSpec().getPaused())
                .as("spec.paused is the other manager's")
                .isTrue();

        kubectlIn(namespace, "rollout", "resume", "deployment/default");

        await("GoProxyCache " + namespace + "/default rolled out after the resume")
                .atMost(READY_WITHIN)
                .until(() -> Caches.conditionIs(Caches.get(admin, namespace, "default"), "Degraded", "False")
                        && Caches.condition(Caches.get(admin, namespace, "default"), "Progressing")
                                .map(c -> "RolledOut".equals(c.get("reason")))
                                .orElse(false));
    }

    /**
     * {@code kubectl delete pvc} of a cache with two pods on a ReadWriteMany claim: the claim stays Terminating while
     * the pods mount it, and a new upstream's rolling update waits for ever (its new pod Pending, "persistentvolumeclaim
     * is being deleted"). Degraded=True VolumeClaimDeleting says so and how to let it go; Progressing=False
     * RolloutStuck. Deleting the pods, as it says, ends it: a new claim is made, bound, and the cache rolls out.
     */
    @Test
    void aClaimDeletedWhilePodsMountItIsDegradedAndDeletingThePodsAsItSaysEndsIt() {
        String namespace = Namespaces.of("claim-deleted");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("replicas", 2);
        spec.put("storage", Map.of("size", "1Gi", "accessModes", List.of("ReadWriteMany")));
        create(namespace, "default", spec);
        awaitReady(namespace, "default");
        String before = admin.persistentVolumeClaims()
                .inNamespace(namespace)
                .withName("default-cache")
                .get()
                .getMetadata()
                .getUid();
        kubectlIn(namespace, "delete", "pvc", "default-cache", "--wait=false");

        editSpec(namespace, "default", s -> s.put("upstream", "https://goproxy.cn"));

        awaitDegraded(
                namespace,
                "default",
                "VolumeClaimDeleting",
                "default-cache is being deleted",
                "kubectl -n " + namespace + " delete pods -l app.kubernetes.io/instance=default");
        assertStuck(namespace, "default", "VolumeClaimDeleting");

        kubectlIn(namespace, "delete", "pods", "-l", "app.kubernetes.io/instance=default", "--wait=false");

        await("GoProxyCache " + namespace + "/default on a new claim, rolled out")
                .atMost(READY_WITHIN)
                .until(() -> {
                    PersistentVolumeClaim claim = admin.persistentVolumeClaims()
                            .inNamespace(namespace)
                            .withName("default-cache")
                            .get();
                    GenericKubernetesResource cache = Caches.get(admin, namespace, "default");
                    return claim != null
                            && !before.equals(claim.getMetadata().getUid())
                            && Caches.conditionIs(cache, "Ready", "True")
                            && Caches.conditionIs(cache, "Degraded", "False")
                            && Caches.condition(cache, "Progressing")
                                    .map(c -> "RolledOut".equals(c.get("reason")))
                                    .orElse(false);
                });
    }

    /**
     * A HorizontalPodAutoscaler aimed at the proxy Deployment (where most HPAs are aimed) instead of the GoProxyCache:
     * every sync (15 s) it scales the Deployment to its minReplicas through /scale, and the operator applies
     * spec.replicas back, so the ReplicaSet is scaled up and down for as long as it exists (measured before the fix: 7
     * rounds of "Scaled up ... from 1 to 3" / "Scaled down ... from 3 to 1" in about 2 minutes, while the cache said
     * Degraded=False "Nothing needs attention" and the operator logged nothing). The operator still sets the replicas
     * back, and says so: Degraded=True ReplicasTakenBack naming the field manager that wrote through the Deployment's
     * scale subresource and the fix (aim scaleTargetRef at the GoProxyCache, which has the scale subresource), kept
     * between the autoscaler's syncs, logged once, and cleared once the autoscaler is deleted.
     */
    @Test
    void anAutoscalerAimedAtTheProxyDeploymentIsNamedRatherThanFoughtInSilence() {
        String namespace = Namespaces.of("hpa-deployment");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("storage", Map.of("size", "1Gi", "accessModes", List.of("ReadWriteMany")));
        create(namespace, "default", spec);
        awaitReady(namespace, "default");
        Commands.Result applied = cluster.kubectlWithInput("""
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: default, namespace: %s}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: default}
                  minReplicas: 3
                  maxReplicas: 4
                  metrics:
                    - type: Resource
                      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
                """.formatted(namespace), "apply", "-f", "-");
        assertThat(applied.succeeded()).as(applied.toString()).isTrue();

        try {
            await("GoProxyCache " + namespace
                            + "/default Degraded=True ReplicasTakenBack naming the HorizontalPodAutoscaler (operator "
                            + "log: " + operator.name() + ")")
                    .atMost(READY_WITHIN)
                    .untilAsserted(() -> assertThat(
                                    Caches.condition(Caches.get(admin, namespace, "default"), "Degraded"))
                            .hasValueSatisfying(c -> assertThat(c)
                                    .containsEntry("status", "True")
                                    .containsEntry("reason", "ReplicasTakenBack")
                                    .hasEntrySatisfying(
                                            "message",
                                            m -> assertThat((String) m)
                                                    .contains(
                                                            "HorizontalPodAutoscaler",
                                                            "scaleTargetRef",
                                                            "GoProxyCache " + namespace + "/default",
                                                            "set to 3 by field manager ",
                                                            "(through the scale subresource)",
                                                            "kubectl -n " + namespace + " scale gpc/default"))));
            String first = degradedMessage(namespace);
            // the autoscaler's next sync is a second take-back: Degraded stays True in between, never "AsExpected"
            await("a second take-back, Degraded=True ReplicasTakenBack throughout (operator log: " + operator.name()
                            + ")")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        Map<String, Object> degraded = Caches.condition(
                                        Caches.get(admin, namespace, "default"), "Degraded")
                                .orElseThrow();
                        assertThat(degraded)
                                .as("Degraded between two take-backs")
                                .containsEntry("status", "True")
                                .containsEntry("reason", "ReplicasTakenBack");
                        return !first.equals(degraded.get("message"));
                    });
            assertThat(Caches.get(admin, namespace, "default")
                            .getAdditionalProperties()
                            .get("spec"))
                    .asInstanceOf(InstanceOfAssertFactories.MAP)
                    .as("the cache's own spec.replicas, which the autoscaler did not aim at")
                    .containsEntry("replicas", 1);
            assertThat(operator.linesContaining("Setting the replicas of Deployment " + namespace + "/default back"))
                    .as("one log line for the episode, not one per take-back")
                    .hasSize(1)
                    .allSatisfy(line -> assertThat(line).contains(" INFO ", "through the scale subresource"));
        } finally {
            kubectlIn(namespace, "delete", "hpa", "default", "--ignore-not-found");
        }

        await("Degraded=False once the autoscaler is gone (operator log: " + operator.name() + ")")
                .atMost(Duration.ofMinutes(2).plus(READY_WITHIN))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    assertThat(Caches.conditionIs(Caches.get(admin, namespace, "default"), "Degraded", "False"))
                            .as("Degraded=False")
                            .isTrue();
                    assertThat(deployment(namespace, "default").getSpec().getReplicas())
                            .isEqualTo(1);
                });
    }

    private String degradedMessage(String namespace) {
        return (String) Caches.condition(Caches.get(admin, namespace, "default"), "Degraded")
                .orElseThrow()
                .get("message");
    }

    /** Progressing=False RolloutStuck naming the Degraded reason that stops the rollout, as the operator reports. */
    private void assertStuck(String namespace, String name, String cause) {
        await("GoProxyCache " + namespace + "/" + name + " Progressing=False RolloutStuck (operator log: "
                        + operator.name() + ")")
                .atMost(READY_WITHIN)
                .untilAsserted(() -> assertThat(Caches.condition(Caches.get(admin, namespace, name), "Progressing"))
                        .hasValueSatisfying(c -> assertThat(c)
                                .containsEntry("status", "False")
                                .containsEntry("reason", "RolloutStuck")
                                .hasEntrySatisfying(
                                        "message", m -> assertThat((String) m).contains("(" + cause + ")"))));
    }

    /**
     * A StorageClass with allowVolumeExpansion: false (and one volume of it, nothing provisions here): the API server
     * refuses the claim's growth. The refusal says so, not that a permission is missing; the claim keeps its size and
     * a new upstream still rolls out, where once the Deployment stayed as it was while Progressing said "RolledOut".
     */
    @Test
    @SuppressWarnings("unchecked")
    void aClaimWhoseClassCannotExpandKeepsItsSizeAndANewUpstreamStillRollsOut() {
        String namespace = Namespaces.of("no-expansion");
        String storageClass = namespace;
        admin.storage()
                .v1()
                .storageClasses()
                .resource(new StorageClassBuilder()
                        .withNewMetadata()
                        .withName(storageClass)
                        .endMetadata()
                        .withProvisioner("kubernetes.io/no-provisioner")
                        .withVolumeBindingMode("Immediate")
                        .withAllowVolumeExpansion(false)
                        .build())
                .create();
        admin.persistentVolumes()
                .resource(new PersistentVolumeBuilder()
                        .withNewMetadata()
                        .withName(storageClass)
                        .endMetadata()
                        .withNewSpec()
                        .addToCapacity("storage", new Quantity("1Gi"))
                        .withAccessModes("ReadWriteOnce")
                        .withPersistentVolumeReclaimPolicy("Retain")
                        .withStorageClassName(storageClass)
                        .withNewHostPath()
                        .withPath("/tmp/" + storageClass)
                        .endHostPath()
                        .endSpec()
                        .build())
                .create();
        try {
            Map<String, Object> spec = Caches.smallSpec();
            spec.put("storage", new LinkedHashMap<>(Map.of("size", "1Gi", "storageClassName", storageClass)));
            create(namespace, "default", spec);
            awaitReady(namespace, "default");

            editSpec(namespace, "default", s -> ((Map<String, Object>) s.get("storage")).put("size", "5Gi"));
            awaitDegraded(
                    namespace,
                    "default",
                    "VolumeExpansionRefused",
                    "default-cache cannot grow from 1Gi to 5Gi: StorageClass " + storageClass
                            + " does not allow volume expansion",
                    "allowVolumeExpansion: true");
            assertThat((String) Caches.condition(Caches.get(admin, namespace, "default"), "Degraded")
                            .orElseThrow()
                            .get("message"))
                    .doesNotContain("grant");

            assertANewUpstreamRollsOutThoughTheClaimCannotGrow(namespace, "VolumeExpansionRefused");
        } finally {
            admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                    .inNamespace(namespace)
                    .withName("default")
                    .delete();
            admin.persistentVolumes().withName(storageClass).delete();
            admin.storage().v1().storageClasses().withName(storageClass).delete();
        }
    }

    /** The probe's second cluster: a ResourceQuota of requests.storage=3Gi, a cache grown from 1Gi to 5Gi. */
    @Test
    @SuppressWarnings("unchecked")
    void aQuotaThatRefusesTheClaimsGrowthKeepsItsSizeAndANewUpstreamStillRollsOut() {
        String namespace = Namespaces.of("quota-growth");
        Namespaces.ensure(admin, namespace);
        enforcedQuota(namespace, "storage", "requests.storage", "3Gi");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");

        editSpec(namespace, "default", s -> ((Map<String, Object>) s.get("storage")).put("size", "5Gi"));
        awaitDegraded(
                namespace,
                "default",
                "QuotaExceeded",
                "refuses to grow the volume claim default-cache from 1Gi to 5Gi",
                "raise the quota",
                "spec.storage.size cannot go back to 1Gi");
        assertThat((String) Caches.condition(Caches.get(admin, namespace, "default"), "Degraded")
                        .orElseThrow()
                        .get("message"))
                .doesNotContain("lower spec.storage.size");

        assertANewUpstreamRollsOutThoughTheClaimCannotGrow(namespace, "QuotaExceeded");
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("default")
                .delete();
    }

    private void assertANewUpstreamRollsOutThoughTheClaimCannotGrow(String namespace, String degradedReason) {
        String hash = configHash(deployment(namespace, "default"));
        GenericKubernetesResource changed =
                editSpec(namespace, "default", s -> s.put("upstream", "https://goproxy.cn,direct"));
        await("the new upstream rolled out though the claim cannot grow")
                .atMost(READY_WITHIN)
                .until(() -> !hash.equals(configHash(deployment(namespace, "default"))));
        awaitObserved(namespace, "default", changed.getMetadata().getGeneration());
        await("Progressing RolledOut once the pods run the new settings")
                .atMost(READY_WITHIN)
                .untilAsserted(
                        () -> assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Progressing"))
                                .hasValueSatisfying(c -> assertThat(c).containsEntry("reason", "RolledOut")));
        assertThat(Caches.condition(Caches.get(admin, namespace, "default"), "Degraded"))
                .hasValueSatisfying(c -> assertThat(c).containsEntry("reason", degradedReason));
        assertThat(admin.persistentVolumeClaims()
                        .inNamespace(namespace)
                        .withName("default-cache")
                        .get()
                        .getSpec()
                        .getResources()
                        .getRequests()
                        .get("storage"))
                .isEqualTo(new Quantity("1Gi"));
    }

    /**
     * This control plane enforces OwnerReferencesPermissionEnforcement (as OpenShift does), and the chart grants no
     * delete on ConfigMaps: a ConfigMap whose owner reference someone removed cannot be taken back. The status names
     * it and the deletion that has the operator make it again, not a permission to grant.
     */
    @Test
    void aConfigMapWhoseOwnerReferenceWasRemovedIsNamedAndMadeAgainOnceDeleted() {
        String namespace = Namespaces.of("owner-ref");
        create(namespace, "default", Caches.smallSpec());
        awaitReady(namespace, "default");
        String uid = Caches.get(admin, namespace, "default").getMetadata().getUid();
        admin.configMaps().inNamespace(namespace).withName("default-config").edit(c -> {
            c.getMetadata().setOwnerReferences(List.of());
            return c;
        });
        // a change of the cache reconciles it at once, whether or not the ConfigMap's own event did
        editSpec(namespace, "default", s -> s.put("upstream", "https://goproxy.cn,direct"));

        awaitDegraded(
                namespace,
                "default",
                "OwnerReferenceRefused",
                "The ConfigMap default-config carries this cache's labels but no owner reference",
                "kubectl -n " + namespace + " delete configmap default-config");

        admin.configMaps().inNamespace(namespace).withName("default-config").delete();
        await("the ConfigMap made again, controlled by the cache")
                .atMost(READY_WITHIN)
                .untilAsserted(() -> {
                    var remade = admin.configMaps()
                            .inNamespace(namespace)
                            .withName("default-config")
                            .get();
                    assertThat(remade).isNotNull();
                    assertControlledBy(remade, "default", uid);
                });
        await("Degraded=False")
                .atMost(READY_WITHIN)
                .until(() -> Caches.conditionIs(Caches.get(admin, namespace, "default"), "Degraded", "False"));
    }

    /**
     * {@code kubectl delete gpc --cascade=orphan} leaves the Deployment serving without an owner reference, and the
     * cache made again cannot take it (this control plane enforces OwnerReferencesPermissionEnforcement). The status
     * says what is true, Ready (it serves) and Degraded=True OwnerReferenceRefused, and says it again after an operator
     * restart: the informers once found the Deployment by owner reference only, so the restarted operator reported it
     * missing (Ready=False DeploymentMissing) while it served 1/1, and the webhook gave build pods the fallback only.
     */
    @Test
    void aDeploymentOrphanedByItsCacheIsReadyButNotTheCachesBeforeAndAfterAnOperatorRestart() {
        String namespace = Namespaces.of("orph");
        create(namespace, "o", Caches.smallSpec());
        awaitReady(namespace, "o");
        Commands.Result orphaned = cluster.kubectl("-n", namespace, "delete", "gpc", "o", "--cascade=orphan");
        assertThat(orphaned.succeeded()).as(orphaned.toString()).isTrue();
        await("the garbage collector took the owner reference off the Deployment")
                .atMost(READY_WITHIN)
                .until(() -> deployment(namespace, "o").getMetadata().getOwnerReferences() == null
                        || deployment(namespace, "o")
                                .getMetadata()
                                .getOwnerReferences()
                                .isEmpty());
        create(namespace, "o", Caches.smallSpec());

        awaitDegraded(namespace, "o", "OwnerReferenceRefused", "carries this cache's labels but no owner reference");
        assertServingButNotTheCaches(namespace, "before the restart");

        operator.close();
        assertThat(operator.rbacDenials())
                .as("RBAC denials of " + operator.name())
                .isEmpty();
        operator = OperatorProcess.start(
                operator.name() + "-restarted", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
        // the refusal, which waits for a person, ends the reconciliation without a retry (counted as a success; a
        // failure if it were retried), and either is counted after the status was written
        await("the restarted operator reconciled the cache (operator log: " + operator.name() + ")")
                .atMost(READY_WITHIN)
                .until(() -> operator.counter("operator_sdk_reconciliations_success_total", namespace)
                                + operator.counter("operator_sdk_reconciliations_failed_total", namespace)
                        >= 1);
        assertServingButNotTheCaches(namespace, "after the restart");

        // left in place, the refused cache would be tried again every minute while later tests run here
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("o")
                .delete();
    }

    private void assertServingButNotTheCaches(String namespace, String when) {
        assertThat(deployment(namespace, "o").getStatus().getReadyReplicas())
                .as("the orphaned Deployment's ready pods " + when)
                .isEqualTo(1);
        GenericKubernetesResource cache = Caches.get(admin, namespace, "o");
        assertThat(Caches.condition(cache, "Ready"))
                .as("Ready " + when)
                .hasValueSatisfying(
                        c -> assertThat(c).containsEntry("status", "True").containsEntry("reason", "Available"));
        assertThat(Caches.condition(cache, "Degraded"))
                .as("Degraded " + when)
                .hasValueSatisfying(c -> assertThat(c)
                        .containsEntry("status", "True")
                        .containsEntry("reason", "OwnerReferenceRefused")
                        .hasEntrySatisfying(
                                "message",
                                m -> assertThat((String) m).contains("kubectl -n " + namespace + " delete ")));
        assertThat(Caches.status(cache, "url")).as("status.url " + when).isEqualTo("http://o." + namespace + ".svc");
        for (String type : List.of("Ready", "Progressing", "Degraded")) {
            assertThat(Caches.condition(cache, type))
                    .as(type + " " + when)
                    .hasValueSatisfying(
                            c -> assertThat((String) c.get("message")).doesNotContain("does not exist"));
        }
    }

    /**
     * A claim kept by retainOnDelete, adopted by a cache made again with ReadWriteMany and two replicas: the status
     * says to delete the claim (a new cache would adopt it too), without the API server's diff of Go structs.
     */
    @Test
    void aRetainedClaimAdoptedWithOtherAccessModesSaysToDeleteItAndThenRecovers() {
        String namespace = Namespaces.of("readopt");
        Map<String, Object> kept = Caches.smallSpec();
        kept.put("storage", Map.of("size", "1Gi", "retainOnDelete", true));
        create(namespace, "default", kept);
        awaitReady(namespace, "default");
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("default")
                .delete();
        await("the cache's Deployment gone")
                .atMost(READY_WITHIN)
                .until(() ->
                        Caches.get(admin, namespace, "default") == null && deployment(namespace, "default") == null);

        Map<String, Object> shared = Caches.smallSpec();
        shared.put("replicas", 2);
        shared.put("storage", Map.of("size", "1Gi", "retainOnDelete", true, "accessModes", List.of("ReadWriteMany")));
        create(namespace, "default", shared);
        awaitDegraded(
                namespace,
                "default",
                "VolumeClaimMismatch",
                "default-cache exists with access modes [ReadWriteOnce], but spec.storage asks for [ReadWriteMany]",
                "kubectl -n " + namespace + " delete pvc default-cache");
        assertThat((String) Caches.condition(Caches.get(admin, namespace, "default"), "Degraded")
                        .orElseThrow()
                        .get("message"))
                .doesNotContain("PersistentVolumeClaimSpec")
                .doesNotContain("\n");
        assertThat(deployment(namespace, "default")).isNull();

        admin.persistentVolumeClaims()
                .inNamespace(namespace)
                .withName("default-cache")
                .delete();
        awaitReady(namespace, "default");
        assertThat(admin.persistentVolumeClaims()
                        .inNamespace(namespace)
                        .withName("default-cache")
                        .get()
                        .getSpec()
                        .getAccessModes())
                .containsExactly("ReadWriteMany");
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .withName("default")
                .delete();
    }

    @Test
    void theOperatorsServiceAccountCannotReadSecretsOutsideItsNamespace() {
        // the identity the operator runs with: the API server's RBAC answers for it, not for an admin
        try (KubernetesClient asOperator = asOperator()) {
            assertThatThrownBy(() ->
                            asOperator.secrets().inNamespace("kube-system").list())
                    .isInstanceOfSatisfying(
                            KubernetesClientException.class,
                            e -> assertThat(e.getCode()).isEqualTo(403));
        }
    }

    /** What the ServiceMonitor dependent does, in any namespace, asked of the API server's RBAC as the operator. */
    @Test
    void theOperatorsServiceAccountMayManageServiceMonitorsInEveryNamespace() {
        try (KubernetesClient asOperator = asOperator()) {
            // applied server-side: never an update
            for (String verb : List.of("get", "list", "watch", "create", "patch", "delete")) {
                SelfSubjectAccessReview review = asOperator
                        .authorization()
                        .v1()
                        .selfSubjectAccessReview()
                        .create(new SelfSubjectAccessReviewBuilder()
                                .withNewSpec()
                                .withNewResourceAttributes()
                                .withGroup("monitoring.coreos.com")
                                .withResource("servicemonitors")
                                .withVerb(verb)
                                .withNamespace(verb.equals("list") || verb.equals("watch") ? "" : "team-any")
                                .endResourceAttributes()
                                .endSpec()
                                .build());
                assertThat(review.getStatus().getAllowed())
                        .as("%s servicemonitors as the chart's ServiceAccount", verb)
                        .isTrue();
            }
        }
    }

    /** The ServiceAccount's token alone: an ambient kubeconfig ($KUBECONFIG, an admin's) must not add its certificate. */
    private KubernetesClient asOperator() {
        return new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(Config.empty())
                        .withMasterUrl(cluster.apiServerUrl())
                        .withCaCertData(Base64.getEncoder()
                                .encodeToString(cluster.caCertificate().getBytes(StandardCharsets.US_ASCII)))
                        .withOauthToken(chart.operatorToken())
                        .withNamespace(ChartRelease.NAMESPACE)
                        .build())
                .build();
    }
}
