package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
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
            if (operator != null) {
                operator.close();
                assertThat(operator.rbacDenials())
                        .as("requests of the operator (as the chart's ServiceAccount) the API server's RBAC refused")
                        .isEmpty();
            }
        } finally {
            if (chart != null) {
                chart.uninstall();
            }
        }
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

            // within its grace a gate may be removed by its controller: not reported for a third of it
            await("no Degraded SchedulingGated within the grace")
                    .during(Duration.ofSeconds(20))
                    .atMost(Duration.ofSeconds(30))
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
            System.out.printf(
                    "SchedulingGatesIT: Degraded=True SchedulingGated %d ms after the gated pod was seen%n",
                    Duration.ofNanos(System.nanoTime() - gatedSeen).toMillis());
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

            // what the gate's controller does once it admits the pod
            Commands.Result ungated = cluster.kubectl(
                    "-n",
                    namespace,
                    "patch",
                    "pod",
                    pod.getMetadata().getName(),
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
            cluster.kubectl("delete", "mutatingadmissionpolicybinding", POLICY, "--ignore-not-found");
            cluster.kubectl("delete", "mutatingadmissionpolicy", POLICY, "--ignore-not-found");
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
