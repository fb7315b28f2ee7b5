package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two operator processes and one Lease: one reconciles. Stopped the way a rolling update stops a pod
 * (SIGTERM), the leader hands the Lease over and the other leads within seconds; killed (SIGKILL, a node
 * dying), the other takes over once the Lease expires. Either way caches keep being reconciled.
 */
@ExtendWith(ControlPlane.class)
@Order(6)
class LeaderElectionIT {

    /** JOSDK's default lease duration, which the operator keeps. */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(15);
    /** How often a follower tries to acquire the Lease: JOSDK's retry period, 2 s, with fabric8's jitter of up to 1.2. */
    private static final Duration RETRY_PERIOD = Duration.ofMillis(2400);

    /** Each test's operators have names of their own: a killed one's Lease must not pass for the next one's. */
    private static int round;

    private ControlPlane cluster;
    private KubernetesClient admin;
    private ChartRelease chart;
    private OperatorProcess a;
    private OperatorProcess b;
    private OperatorProcess leader;
    private String follower;
    /** Operators a test starts besides a and b; stopped after it. */
    private final java.util.List<OperatorProcess> others = new java.util.ArrayList<>();

    @BeforeEach
    void twoOperatorsOneOfThemLeading() {
        cluster = ControlPlane.shared();
        admin = cluster.admin();
        chart = new ChartRelease(cluster);
        chart.install(Map.of("operator.replicas", 2));
        Commands.Result scaled =
                cluster.kubectl("-n", ChartRelease.NAMESPACE, "scale", "deployment/modproxy-operator", "--replicas=0");
        assertThat(scaled.succeeded()).as(scaled.toString()).isTrue();
        round++;
        a = OperatorProcess.start(
                "operator-a" + round, cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
        b = OperatorProcess.start(
                "operator-b" + round, cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
        // a Lease an earlier, killed operator left behind expires first
        await(a.name() + " or " + b.name() + " holds the Lease")
                .atMost(Duration.ofSeconds(60))
                .until(() -> a.name().equals(holder()) || b.name().equals(holder()));
        leader = a.name().equals(holder()) ? a : b;
        follower = (leader == a ? b : a).name();
    }

    @AfterEach
    void stopOperatorsAndUninstall() {
        others.forEach(OperatorProcess::close);
        others.clear();
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        chart.uninstall();
    }

    @Test
    void whenTheLeaderIsStoppedGracefullyTheOtherLeadsWithinARetryPeriodNotTheLeaseDuration() {
        long stopped = System.nanoTime();
        leader.terminate();

        await(follower + " holds the Lease")
                .atMost(LEASE_DURATION.plusSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> follower.equals(holder()));
        Duration takeover = Duration.ofNanos(System.nanoTime() - stopped);
        // without the handover it is the lease duration (15 s) plus up to a retry period
        assertThat(takeover)
                .as("from SIGTERM of %s to %s holding the Lease", leader.name(), follower)
                .isLessThan(RETRY_PERIOD.plusSeconds(2));
        assertThat(leader.awaitExit(Duration.ofSeconds(10)))
                .as(
                        "%s exits on SIGTERM by itself (no SIGKILL needed); its log:%n%s",
                        leader.name(), leader.tailOfLog())
                .isTrue();
        assertThat(leader.tailOfLog())
                .contains("Released the Lease " + ChartRelease.NAMESPACE + "/modproxy-operator-lease");

        aCacheCreatedNowTurnsReady(Namespaces.of("handover"));
        // starting, leading, handing over and stopping are all healthy: nothing for a platform team to chase
        assertThat(leader.warningsAndErrors())
                .as("WARN and ERROR lines of %s", leader.name())
                .isEmpty();
        assertThat((leader == a ? b : a).warningsAndErrors())
                .as("WARN and ERROR lines of %s", follower)
                .isEmpty();
    }

    @Test
    void whenTheLeaderIsKilledTheOtherOperatorTakesOverWithinTheLeaseDurationAndKeepsReconciling() {
        long killed = System.nanoTime();
        leader.kill();

        await(follower + " holds the Lease")
                .atMost(LEASE_DURATION.plusSeconds(10))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> follower.equals(holder()));
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        assertThat(takeover).isLessThan(LEASE_DURATION.plusSeconds(5));

        aCacheCreatedNowTurnsReady(Namespaces.of("failover"));
    }

    /**
     * A leader frozen for longer than the lease duration (SIGSTOP here; a paused VM, a node's CPU starved, a long GC
     * pause in a cluster) has lost the Lease when it wakes up, with the events of the meantime queued: once the other
     * leads, it must write nothing. It runs as a ServiceAccount of its own, and a ValidatingAdmissionPolicy, bound once
     * the other leads, refuses and counts every write of that account to the caches and their objects. It is told to
     * stay alive on a lost Lease ({@code modproxy.operator.exit-on-lost-lease=false}), so that a write it would make is
     * not cut short by its exit: before the fix it went on reconciling beside the new leader (7 refused writes in a
     * run by hand within 35 s of SIGCONT); with the default exit it did so for the second the exit took.
     */
    @Test
    void aLeaderFrozenPastTheLeaseWritesNothingOnceItWakesUpAndTheOtherLeads() {
        String namespace = Namespaces.of("frozen");
        Namespaces.ensure(admin, namespace);
        String standby = "modproxy-operator-frozen";
        String policy = "modproxy-e2e-frozen-leader-writes";
        try {
            // the frozen replica: a ServiceAccount of its own with every binding the chart gives the operator's
            Commands.Result account =
                    cluster.kubectl("-n", ChartRelease.NAMESPACE, "create", "serviceaccount", standby);
            assertThat(account.succeeded()).as(account.toString()).isTrue();
            grantTheChartsBindingsTo(standby);
            String standbyToken = admin.serviceAccounts()
                    .inNamespace(ChartRelease.NAMESPACE)
                    .withName(standby)
                    .tokenRequest(new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder()
                            .withNewSpec()
                            .withExpirationSeconds(3600L)
                            .endSpec()
                            .build())
                    .getStatus()
                    .getToken();

            // it leads: the chart's follower goes, it starts, the leader hands the Lease over
            OperatorProcess chartFollower = leader == a ? b : a;
            chartFollower.close();
            OperatorProcess frozen = OperatorProcess.start(
                    "operator-frozen" + round,
                    cluster,
                    ChartRelease.NAMESPACE,
                    standbyToken,
                    Map.of("MODPROXY_OPERATOR_EXIT_ON_LOST_LEASE", "false"));
            others.add(frozen);
            leader.terminate();
            assertThat(leader.awaitExit(Duration.ofSeconds(30))).isTrue();
            await(frozen.name() + " holds the Lease")
                    .atMost(LEASE_DURATION.plusSeconds(10))
                    .until(() -> frozen.name().equals(holder()));
            admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                    .inNamespace(namespace)
                    .resource(Caches.cache(namespace, "before", Caches.smallSpec()))
                    .create();
            await("a cache reconciled by " + frozen.name())
                    .atMost(Duration.ofSeconds(90))
                    .until(() -> Caches.conditionIs(Caches.get(admin, namespace, "before"), "Ready", "True"));

            OperatorProcess next = OperatorProcess.start(
                    "operator-next" + round, cluster, ChartRelease.NAMESPACE, chart.operatorToken(), Map.of());
            others.add(next);
            signal("STOP", frozen);
            try {
                await(next.name() + " holds the Lease")
                        .atMost(LEASE_DURATION.plusSeconds(15))
                        .until(() -> next.name().equals(holder()));
                Commands.Result policyApplied =
                        cluster.kubectlWithInput(refuseWritesOf(policy, standby), "apply", "-f", "-");
                assertThat(policyApplied.succeeded())
                        .as(policyApplied.toString())
                        .isTrue();
                awaitPolicyInForce(policy, namespace);
                double refusedBefore = refusedByPolicies();
                // events queued while it is frozen: a change of an existing cache and a new one
                setUpstream(namespace, "before", "https://goproxy.io");
                admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                        .inNamespace(namespace)
                        .resource(Caches.cache(namespace, "during", Caches.smallSpec()))
                        .create();
                signal("CONT", frozen);

                // and one after it woke up
                setUpstream(namespace, "during", "https://goproxy.io");
                await(next.name() + " reconciles what changed")
                        .atMost(Duration.ofSeconds(90))
                        .until(() -> "https://goproxy.io".equals(upstreamOf(namespace, "before"))
                                && "https://goproxy.io".equals(upstreamOf(namespace, "during"))
                                && Caches.conditionIs(Caches.get(admin, namespace, "during"), "Ready", "True"));
                // the frozen one's informers deliver the same changes: none of its reconciliations may write
                await("no write of " + frozen.name() + " refused for 20 s")
                        .during(Duration.ofSeconds(20))
                        .atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> refusedByPolicies() - refusedBefore == 0);

                assertThat(frozen.isAlive())
                        .as("%s stays alive, as configured", frozen.name())
                        .isTrue();
                assertThat(frozen.linesContaining(policy))
                        .as("writes of %s refused by the policy, from its log", frozen.name())
                        .isEmpty();
                assertThat(refusedByPolicies() - refusedBefore)
                        .as("requests refused by the cluster's ValidatingAdmissionPolicies after SIGCONT")
                        .isZero();
                assertThat(frozen.linesContaining(
                                "Lost the Lease " + ChartRelease.NAMESPACE + "/modproxy-operator-lease"))
                        .hasSize(1);
            } finally {
                signal("CONT", frozen);
            }
        } finally {
            cluster.kubectl(
                    "delete",
                    "validatingadmissionpolicybinding,validatingadmissionpolicy",
                    policy,
                    "--ignore-not-found");
            cluster.kubectl(
                    "delete",
                    "clusterrolebinding,rolebinding",
                    "-A",
                    "-l",
                    "modproxy.dev/e2e=" + standby,
                    "--ignore-not-found");
            cluster.kubectl("-n", ChartRelease.NAMESPACE, "delete", "serviceaccount", standby, "--ignore-not-found");
        }
    }

    /** Every ClusterRoleBinding and RoleBinding of the chart's ServiceAccount, copied for {@code account}. */
    private void grantTheChartsBindingsTo(String account) {
        java.util.function.Predicate<java.util.List<io.fabric8.kubernetes.api.model.rbac.Subject>> chartsAccount =
                subjects -> subjects != null
                        && subjects.stream()
                                .anyMatch(s -> "ServiceAccount".equals(s.getKind())
                                        && ChartRelease.SERVICE_ACCOUNT.equals(s.getName())
                                        && ChartRelease.NAMESPACE.equals(s.getNamespace()));
        int copied = 0;
        for (var binding : admin.rbac().clusterRoleBindings().list().getItems()) {
            if (chartsAccount.test(binding.getSubjects())) {
                copied++;
                createBinding(
                        "clusterrolebinding",
                        null,
                        binding.getMetadata().getName(),
                        "--clusterrole=" + binding.getRoleRef().getName(),
                        account);
            }
        }
        for (var binding : admin.rbac().roleBindings().inAnyNamespace().list().getItems()) {
            if (chartsAccount.test(binding.getSubjects())) {
                copied++;
                createBinding(
                        "rolebinding",
                        binding.getMetadata().getNamespace(),
                        binding.getMetadata().getName(),
                        ("ClusterRole".equals(binding.getRoleRef().getKind()) ? "--clusterrole=" : "--role=")
                                + binding.getRoleRef().getName(),
                        account);
            }
        }
        assertThat(copied).as("bindings of the chart's ServiceAccount").isGreaterThanOrEqualTo(2);
    }

    private void createBinding(String kind, String namespace, String name, String role, String account) {
        java.util.List<String> args = new java.util.ArrayList<>();
        if (namespace != null) {
            args.addAll(java.util.List.of("-n", namespace));
        }
        args.addAll(java.util.List.of(
                "create", kind, name + "-frozen", role, "--serviceaccount=" + ChartRelease.NAMESPACE + ":" + account));
        Commands.Result created = cluster.kubectl(args.toArray(String[]::new));
        assertThat(created.succeeded()).as(created.toString()).isTrue();
        java.util.List<String> label = new java.util.ArrayList<>();
        if (namespace != null) {
            label.addAll(java.util.List.of("-n", namespace));
        }
        label.addAll(java.util.List.of("label", kind, name + "-frozen", "modproxy.dev/e2e=" + account));
        Commands.Result labelled = cluster.kubectl(label.toArray(String[]::new));
        assertThat(labelled.succeeded()).as(labelled.toString()).isTrue();
    }

    /** A policy refusing every write of {@code account} to caches, their status and the objects a cache makes. */
    private static String refuseWritesOf(String policy, String account) {
        return """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: %1$s}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                    - apiGroups: ["", "apps", "modproxy.dev", "policy", "networking.k8s.io", "monitoring.coreos.com"]
                      apiVersions: ["*"]
                      operations: ["CREATE", "UPDATE", "DELETE"]
                      resources: ["configmaps", "persistentvolumeclaims", "services", "deployments", "goproxycaches",
                                  "goproxycaches/status", "goproxycaches/scale", "poddisruptionbudgets",
                                  "networkpolicies", "servicemonitors"]
                  matchConditions:
                  - name: the-frozen-replica
                    expression: "request.userInfo.username == 'system:serviceaccount:%2$s:%3$s'"
                  validations:
                  - expression: "false"
                    message: "%1$s: written by a replica that no longer holds the Lease"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: %1$s}
                spec:
                  policyName: %1$s
                  validationActions: [Deny]
                """.formatted(policy, ChartRelease.NAMESPACE, account);
    }

    /** The API server enforces a new policy a moment after it is stored: wait until a write of the account is refused. */
    private void awaitPolicyInForce(String policy, String namespace) {
        await("policy " + policy + " in force")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    Commands.Result probe = cluster.kubectl(
                            "-n",
                            namespace,
                            "create",
                            "configmap",
                            "policy-probe",
                            "--dry-run=server",
                            "--as=system:serviceaccount:" + ChartRelease.NAMESPACE + ":modproxy-operator-frozen");
                    return !probe.succeeded() && probe.toString().contains(policy);
                });
    }

    /** Requests the API server's ValidatingAdmissionPolicy admission refused, from its /metrics. */
    private double refusedByPolicies() {
        return cluster.kubectl("get", "--raw", "/metrics")
                .stdout()
                .lines()
                .filter(
                        line -> line.startsWith(
                                "apiserver_admission_controller_admission_duration_seconds_count{name=\"ValidatingAdmissionPolicy\""))
                .filter(line -> line.contains("rejected=\"true\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private void setUpstream(String namespace, String name, String upstream) {
        Commands.Result patched = cluster.kubectl(
                "-n",
                namespace,
                "patch",
                "goproxycache",
                name,
                "--type=merge",
                "-p",
                "{\"spec\":{\"upstream\":\"" + upstream + "\"}}");
        assertThat(patched.succeeded()).as(patched.toString()).isTrue();
    }

    private String upstreamOf(String namespace, String cache) {
        var config = admin.configMaps()
                .inNamespace(namespace)
                .withName(cache + "-config")
                .get();
        return config == null || config.getData() == null
                ? null
                : config.getData().get("MODPROXY_UPSTREAM");
    }

    private static void signal(String signal, OperatorProcess operator) {
        Commands.run(Map.of(), "kill", "-" + signal, Long.toString(operator.pid()));
    }

    private void aCacheCreatedNowTurnsReady(String namespace) {
        Namespaces.ensure(admin, namespace);
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .resource(Caches.cache(namespace, "default", Caches.smallSpec()))
                .create();
        await("a cache created after the takeover Ready")
                .atMost(Duration.ofSeconds(90))
                .until(() -> Caches.conditionIs(Caches.get(admin, namespace, "default"), "Ready", "True"));
    }

    private String holder() {
        Lease lease = admin.leases()
                .inNamespace(ChartRelease.NAMESPACE)
                .withName("modproxy-operator-lease")
                .get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }
}
