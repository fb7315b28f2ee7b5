package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A proxy pod held by a scheduling gate, as a queue or capacity manager of the cluster (Kueue, for one) holds pods:
 * the gate comes from admission as the pod is created, here a MutatingAdmissionPolicy (GA and on by default in
 * kube-apiserver 1.36), and only its remover lets the scheduler at the pod. The operator jar runs as in OperatorIT:
 * out of the cluster, as the chart's ServiceAccount.
 */
@ExtendWith(ControlPlane.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Order(3)
class SchedulingGatesIT {

    private static final String GATE = "capacity.example.com/hold";
    private static final String POLICY = "modproxy-e2e-scheduling-gate";

    private ControlPlane cluster;
    private KubernetesClient admin;
    private ChartRelease chart;
    private OperatorProcess operator;

    @BeforeAll
    void installChartAndStartOperator() {
        cluster = ControlPlane.shared();
        admin = cluster.admin();
        chart = new ChartRelease(cluster);
        chart.install(Map.of());
        // the operator runs out of the cluster; the chart's own (kwok-simulated) pod stays out of the way
        Commands.Result scaled =
                cluster.kubectl("-n", ChartRelease.NAMESPACE, "scale", "deployment/modproxy-operator", "--replicas=0");
        assertThat(scaled.succeeded()).as(scaled.toString()).isTrue();
        operator = OperatorProcess.start(
                "operator-gates", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
    }

    @AfterAll
    void stopOperatorAndUninstall() {
        try {
            removeTheGatePolicy();
        } finally {
            try {
                if (operator != null) {
                    operator.close();
                    assertThat(operator.rbacDenials())
                            .as(
                                    "requests of the operator (as the chart's ServiceAccount) the API server's RBAC refused")
                            .isEmpty();
                }
            } finally {
                if (chart != null) {
                    chart.uninstall();
                }
            }
        }
    }

    /**
     * The suite's other classes share this control plane, before and after this one: the policy and its binding must
     * not outlive it (its binding matches this run's namespace only, but a policy left over is a trap all the same).
     */
    private void removeTheGatePolicy() {
        if (cluster == null) {
            return;
        }
        Commands.Result deleted = cluster.kubectl(
                "delete", "mutatingadmissionpolicybinding,mutatingadmissionpolicy", POLICY, "--ignore-not-found");
        assertThat(deleted.succeeded()).as(deleted.toString()).isTrue();
        Commands.Result left = cluster.kubectl(
                "get",
                "mutatingadmissionpolicybinding,mutatingadmissionpolicy",
                "-o",
                "name",
                "--field-selector",
                "metadata.name=" + POLICY);
        assertThat(left.succeeded()).as(left.toString()).isTrue();
        assertThat(left.stdout().strip())
                .as("the gate's policy and binding, once deleted")
                .isEmpty();
    }

    /**
     * The API server creates the gated pod Pending with PodScheduled=False SchedulingGated, and nothing writes to it
     * while the gate stays (the scheduler does not look at it): the cache says nothing of it within the grace, then
     * Degraded=True SchedulingGated naming the gate and who removes it, Ready=False and Progressing RolloutStuck,
     * where it once said nothing until the Deployment's 10-minute progress deadline. Once the gate is removed the
     * scheduler places the pod (kwok runs it) and Degraded clears by itself.
     */
    @Test
    void aProxyPodHeldByASchedulingGateIsNamedAfterTheGraceAndClearsOnceTheGateIsRemoved() {
        String namespace = Namespaces.of("gated");
        Namespaces.ensure(admin, namespace);
        try {
            addGateToTheCachesPods(namespace);
            admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                    .inNamespace(namespace)
                    .resource(Caches.cache(namespace, "default", Caches.smallSpec()))
                    .create();

            await("the proxy pod, created with the gate and PodScheduled=False SchedulingGated")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> gatedPod(namespace).isPresent());
            long gatedSeen = System.nanoTime();
            Pod pod = gatedPod(namespace).orElseThrow();
            assertThat(pod.getSpec().getNodeName()).isNull();
            assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
            // the grace counts from the condition the API server wrote as it created the pod, not from when this test
            // saw it (later on a loaded machine); the operator runs on this machine's clock
            Instant graceEnds = Instant.parse(pod.getStatus().getConditions().stream()
                            .filter(SchedulingGatesIT::schedulingGated)
                            .findFirst()
                            .orElseThrow()
                            .getLastTransitionTime())
                    .plusSeconds(60);

            // within its grace a gate may be removed by its controller: not reported until it ends
            Duration quiet = Duration.between(Instant.now(), graceEnds.minusSeconds(2));
            assertThat(quiet).as("grace left once the gated pod was seen").isPositive();
            await("no Degraded SchedulingGated until the grace ends at " + graceEnds)
                    .during(quiet)
                    .atMost(quiet.plusSeconds(10))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> Caches.condition(Caches.get(admin, namespace, "default"), "Degraded")
                            .map(c -> c.get("reason"))
                            .filter("SchedulingGated"::equals)
                            .isEmpty());

            await("Degraded=True SchedulingGated once the grace is over (operator log: " + operator.name() + ")")
                    .atMost(Duration.ofSeconds(60 + 30))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(
                                    Caches.condition(Caches.get(admin, namespace, "default"), "Degraded"))
                            .hasValueSatisfying(c -> assertThat(c)
                                    .containsEntry("status", "True")
                                    .containsEntry("reason", "SchedulingGated")
                                    .hasEntrySatisfying(
                                            "message",
                                            m -> assertThat((String) m)
                                                    .contains("The proxy pod "
                                                            + pod.getMetadata().getName()
                                                            + " has not been placed on a node since ")
                                                    .contains("\"" + GATE + "\"")
                                                    .contains("an admission webhook or policy of the cluster")
                                                    .contains("the controller that added a gate removes it")
                                                    .contains("kubectl -n " + namespace + " get pod "
                                                            + pod.getMetadata().getName()))));
            Instant reported = Instant.now();
            assertThat(reported).as("reported once the grace is over").isAfterOrEqualTo(graceEnds);
            System.out.printf(
                    "SchedulingGatesIT: Degraded=True SchedulingGated %d ms after the gated pod was seen, %d ms after"
                            + " its grace ended%n",
                    Duration.ofNanos(System.nanoTime() - gatedSeen).toMillis(),
                    Duration.between(graceEnds, reported).toMillis());
            var cache = Caches.get(admin, namespace, "default");
            assertThat(Caches.condition(cache, "Ready"))
                    .hasValueSatisfying(c -> assertThat(c)
                            .containsEntry("status", "False")
                            .containsEntry("reason", "PodsNotReady")
                            .hasEntrySatisfying(
                                    "message", m -> assertThat((String) m).contains("(SchedulingGated)")));
            assertThat(Caches.condition(cache, "Progressing"))
                    .hasValueSatisfying(c ->
                            assertThat(c).containsEntry("status", "False").containsEntry("reason", "RolloutStuck"));

            // what Kueue does to the pods of a workload it preempts: it deletes them, and the ReplicaSet makes another,
            // gated again by admission; the same wait for a node, so the cache stays Degraded (lastTransitionTime kept)
            // and names the new pod at once rather than after a grace of its own
            Object degradedSince =
                    Caches.condition(cache, "Degraded").orElseThrow().get("lastTransitionTime");
            Commands.Result evicted = cluster.kubectl(
                    "-n", namespace, "delete", "pod", pod.getMetadata().getName(), "--wait=false");
            assertThat(evicted.succeeded()).as(evicted.toString()).isTrue();
            long deleted = System.nanoTime();
            await("the pod made again, gated again")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> gatedPod(namespace)
                            .filter(p -> !p.getMetadata()
                                    .getName()
                                    .equals(pod.getMetadata().getName()))
                            .isPresent());
            Pod again = gatedPod(namespace)
                    .filter(p ->
                            !p.getMetadata().getName().equals(pod.getMetadata().getName()))
                    .orElseThrow();
            await("Degraded SchedulingGated naming the pod made again, well within its own grace")
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(
                                    Caches.condition(Caches.get(admin, namespace, "default"), "Degraded"))
                            .hasValueSatisfying(c -> assertThat(c)
                                    .containsEntry("status", "True")
                                    .containsEntry("reason", "SchedulingGated")
                                    .containsEntry("lastTransitionTime", degradedSince)
                                    .hasEntrySatisfying(
                                            "message",
                                            m -> assertThat((String) m)
                                                    .contains("The proxy pod "
                                                            + again.getMetadata()
                                                                    .getName()
                                                            + " has not been placed on a node since "))));
            System.out.printf(
                    "SchedulingGatesIT: Degraded SchedulingGated names the pod made again %d ms after the first was"
                            + " deleted%n",
                    Duration.ofNanos(System.nanoTime() - deleted).toMillis());

            // what the gate's controller does once it admits the pod
            Commands.Result ungated = cluster.kubectl(
                    "-n",
                    namespace,
                    "patch",
                    "pod",
                    again.getMetadata().getName(),
                    "--type=json",
                    "-p",
                    "[{\"op\": \"remove\", \"path\": \"/spec/schedulingGates\"}]");
            assertThat(ungated.succeeded()).as(ungated.toString()).isTrue();
            long removed = System.nanoTime();
            await("Degraded=False AsExpected and Ready once the pod is placed (operator log: " + operator.name() + ")")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        var now = Caches.get(admin, namespace, "default");
                        assertThat(Caches.condition(now, "Degraded"))
                                .hasValueSatisfying(c -> assertThat(c)
                                        .containsEntry("status", "False")
                                        .containsEntry("reason", "AsExpected"));
                        assertThat(Caches.conditionIs(now, "Ready", "True")).isTrue();
                    });
            System.out.printf(
                    "SchedulingGatesIT: Ready and Degraded AsExpected %d ms after the gate was removed%n",
                    Duration.ofNanos(System.nanoTime() - removed).toMillis());
        } finally {
            // cluster-wide objects: @AfterAll checks they are gone, without hiding this test's own failure
            cluster.kubectl(
                    "delete", "mutatingadmissionpolicybinding,mutatingadmissionpolicy", POLICY, "--ignore-not-found");
            admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                    .inNamespace(namespace)
                    .withName("default")
                    .delete();
        }
    }

    /**
     * A MutatingAdmissionPolicy that gives the cache's pods in {@code namespace} the gate as they are created, as a
     * queue manager's admission does; in effect once a server-side dry run of such a pod comes back with it (the API
     * server loads policies through an informer).
     */
    private void addGateToTheCachesPods(String namespace) {
        Commands.Result created = cluster.kubectlWithInput("""
                apiVersion: admissionregistration.k8s.io/v1
                kind: MutatingAdmissionPolicy
                metadata:
                  name: %1$s
                spec:
                  failurePolicy: Fail
                  reinvocationPolicy: Never
                  matchConstraints:
                    resourceRules:
                      - apiGroups: [""]
                        apiVersions: ["v1"]
                        operations: ["CREATE"]
                        resources: ["pods"]
                  mutations:
                    - patchType: ApplyConfiguration
                      applyConfiguration:
                        expression: >
                          Object{spec: Object.spec{schedulingGates: [Object.spec.schedulingGates{name: "%2$s"}]}}
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: MutatingAdmissionPolicyBinding
                metadata:
                  name: %1$s
                spec:
                  policyName: %1$s
                  matchResources:
                    namespaceSelector:
                      matchLabels: {kubernetes.io/metadata.name: %3$s}
                    objectSelector:
                      matchLabels: {app.kubernetes.io/instance: default}
                """.formatted(POLICY, GATE, namespace), "apply", "-f", "-");
        assertThat(created.succeeded()).as(created.toString()).isTrue();
        String probe = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: gate-probe
                  namespace: %s
                  labels: {app.kubernetes.io/instance: default}
                spec:
                  containers: [{name: probe, image: registry.example/probe:1}]
                """.formatted(namespace);
        await("the MutatingAdmissionPolicy in effect")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> cluster.kubectlWithInput(
                                probe,
                                "create",
                                "--dry-run=server",
                                "-o",
                                "jsonpath={.spec.schedulingGates[*].name}",
                                "-f",
                                "-")
                        .stdout()
                        .contains(GATE));
    }

    /** The cache's pod as kube-apiserver creates a gated one: the gate in its spec, PodScheduled False SchedulingGated. */
    private Optional<Pod> gatedPod(String namespace) {
        return admin.pods().inNamespace(namespace).list().getItems().stream()
                .filter(p -> p.getSpec().getSchedulingGates() != null
                        && p.getSpec().getSchedulingGates().stream().anyMatch(g -> GATE.equals(g.getName())))
                .filter(p -> Optional.ofNullable(p.getStatus().getConditions()).orElse(List.of()).stream()
                        .anyMatch(SchedulingGatesIT::schedulingGated))
                .findFirst();
    }

    private static boolean schedulingGated(PodCondition c) {
        return "PodScheduled".equals(c.getType())
                && "False".equals(c.getStatus())
                && "SchedulingGated".equals(c.getReason());
    }
}
