package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class OperatorDeploymentTest {

    static Container operator(Rendered rendered) {
        return rendered.one(Deployment.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
    }

    static Optional<String> env(Container container, String name) {
        return container.getEnv().stream()
                .filter(e -> e.getName().equals(name))
                .map(EnvVar::getValue)
                .findFirst();
    }

    @Test
    void defaultsFollowTheDeploymentContract() {
        Rendered rendered = Chart.render();
        Container operator = operator(rendered);

        assertEquals("ghcr.io/modproxy/operator:0.1.0", operator.getImage());
        assertEquals(
                "metadata.namespace",
                operator.getEnv().stream()
                        .filter(e -> e.getName().equals("MODPROXY_OPERATOR_NAMESPACE"))
                        .findFirst()
                        .orElseThrow()
                        .getValueFrom()
                        .getFieldRef()
                        .getFieldPath());
        assertEquals(Optional.of("operator"), env(operator, "MODPROXY_WEBHOOK_CERT_MODE"));
        assertEquals(Optional.of("modproxy-webhook-tls"), env(operator, "MODPROXY_WEBHOOK_SECRET"));
        assertEquals(Optional.of("modproxy"), env(operator, "MODPROXY_WEBHOOK_CONFIG"));
        assertEquals(Optional.of("modproxy-webhook"), env(operator, "MODPROXY_WEBHOOK_SERVICE"));
        // unset means every namespace
        assertEquals(Optional.empty(), env(operator, "QUARKUS_OPERATOR_SDK_CONTROLLERS_GOPROXYCACHE_NAMESPACES"));
        assertEquals(
                "false",
                rendered.one(Deployment.class)
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getLabels()
                        .get("modproxy.dev/inject"));
    }

    @Test
    void oneReplicaHasNoDisruptionBudgetAndStillMayTakeTheLease() {
        Rendered rendered = Chart.render();
        assertEquals(1, rendered.one(Deployment.class).getSpec().getReplicas());
        // leader election runs in the prod profile whatever the count: a lone replica takes the Lease too
        assertTrue(rendered.named(Role.class, "modproxy-operator").getRules().stream()
                .anyMatch(r -> r.getResources().contains("leases")
                        && r.getResourceNames().contains("modproxy-operator-lease")));
        // a budget of one pod would block every node drain
        assertTrue(rendered.all(PodDisruptionBudget.class).isEmpty());
    }

    @Test
    void leaseAccessIsLimitedToTheOperatorLeaseInItsNamespace() {
        for (Map<String, Object> values :
                List.of(ValuesMatrix.DEFAULTS, ValuesMatrix.TWO_REPLICAS, ValuesMatrix.WATCHED_NAMESPACES)) {
            Rendered rendered = Chart.render(values);
            assertTrue(
                    rendered.all(ClusterRole.class).stream()
                            .flatMap(r -> r.getRules().stream())
                            .noneMatch(r -> r.getResources().contains("leases")),
                    "Lease access granted cluster-wide");
            var leaseRules = rendered.all(Role.class).stream()
                    .flatMap(r -> r.getRules().stream())
                    .filter(r -> r.getResources().contains("leases"))
                    .toList();
            assertEquals(List.of("create"), leaseRules.get(0).getVerbs());
            assertEquals(List.of("modproxy-operator-lease"), leaseRules.get(1).getResourceNames());
        }
    }

    @Test
    void cachesRunTheProxyImageOfThisRelease() {
        assertEquals(
                Optional.of("ghcr.io/modproxy/proxy:0.1.0"),
                env(operator(Chart.render()), "MODPROXY_OPERATOR_PROXY_IMAGE"));
        Container mirrored = operator(Chart.render(Chart.values(
                "proxy.image.repository",
                "registry.cn-hangzhou.example/mirror/modproxy-proxy",
                "proxy.image.tag",
                "0.1.0")));
        assertEquals(
                Optional.of("registry.cn-hangzhou.example/mirror/modproxy-proxy:0.1.0"),
                env(mirrored, "MODPROXY_OPERATOR_PROXY_IMAGE"));
    }

    @Test
    void severalReplicasElectALeaderThroughTheOperatorLease() {
        Rendered rendered = Chart.render(ValuesMatrix.TWO_REPLICAS);
        assertEquals(2, rendered.one(Deployment.class).getSpec().getReplicas());

        Role role = rendered.named(Role.class, "modproxy-operator");
        assertEquals(Chart.NAMESPACE, role.getMetadata().getNamespace());
        var leaseRules = role.getRules().stream()
                .filter(r -> r.getResources().contains("leases"))
                .toList();
        assertEquals(List.of("create"), leaseRules.get(0).getVerbs());
        assertEquals(List.of("modproxy-operator-lease"), leaseRules.get(1).getResourceNames());
        assertTrue(leaseRules.get(1).getVerbs().containsAll(List.of("get", "update")));

        // a drain keeps one replica, so the webhook always has an endpoint
        PodDisruptionBudget budget = rendered.one(PodDisruptionBudget.class);
        assertEquals(1, budget.getSpec().getMinAvailable().getIntVal());
        assertTrue(rendered.one(Deployment.class)
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getLabels()
                .entrySet()
                .containsAll(budget.getSpec().getSelector().getMatchLabels().entrySet()));
    }

    @Test
    void watchedNamespacesGetRolesInsteadOfClusterWideAccess() {
        Rendered rendered = Chart.render(ValuesMatrix.WATCHED_NAMESPACES);
        assertEquals(
                Optional.of("ci,builds"),
                env(operator(rendered), "QUARKUS_OPERATOR_SDK_CONTROLLERS_GOPROXYCACHE_NAMESPACES"));

        List<Role> cacheRoles = rendered.all(Role.class).stream()
                .filter(r -> r.getMetadata().getName().endsWith("-caches"))
                .toList();
        assertEquals(
                List.of("ci", "builds"),
                cacheRoles.stream().map(r -> r.getMetadata().getNamespace()).toList());
        for (Role role : cacheRoles) {
            assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().contains("goproxycaches")));
            assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().contains("deployments")));
            RoleBinding binding = rendered.all(RoleBinding.class).stream()
                    .filter(b -> b.getMetadata()
                            .getNamespace()
                            .equals(role.getMetadata().getNamespace()))
                    .findFirst()
                    .orElseThrow();
            assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
            assertEquals(Chart.NAMESPACE, binding.getSubjects().get(0).getNamespace());
        }
        // only the cluster-scoped reads stay in a ClusterRole
        for (ClusterRole role : rendered.all(ClusterRole.class)) {
            assertTrue(
                    role.getRules().stream()
                            .noneMatch(r -> r.getResources().contains("goproxycaches")
                                    || r.getResources().contains("deployments")
                                    || r.getResources().contains("configmaps")),
                    role.getMetadata().getName());
        }
    }

    @Test
    void allNamespacesUseOneClusterRoleForCaches() {
        Rendered rendered = Chart.render();
        ClusterRole caches = rendered.named(ClusterRole.class, "modproxy-operator-caches");
        var verbsByResource = caches.getRules().stream()
                .flatMap(r -> r.getResources().stream().map(res -> Map.entry(res, r.getVerbs())))
                .toList();
        // the status is patched, never read through its subresource (the operator reads the cache itself)
        assertTrue(verbsByResource.contains(Map.entry("goproxycaches/status", List.of("patch"))));
        // no finalizer and no blockOwnerDeletion (which OwnerReferencesPermissionEnforcement checks against it)
        assertTrue(verbsByResource.stream().noneMatch(rule -> rule.getKey().equals("goproxycaches/finalizers")));
        // it writes a cache's status only, applies its objects server-side and deletes only what a spec change removes
        assertTrue(verbsByResource.contains(Map.entry("goproxycaches", List.of("get", "list", "watch"))));
        // the operator SDK writes ConfigMaps without server-side apply: created and updated, never patched
        assertTrue(
                verbsByResource.contains(Map.entry("configmaps", List.of("get", "list", "watch", "create", "update"))));
        // server-side apply is fixed at build time: a claim is resized by a patch, never updated
        assertTrue(verbsByResource.contains(
                Map.entry("persistentvolumeclaims", List.of("get", "list", "watch", "create", "patch", "delete"))));
        for (String alwaysThere : List.of("services", "deployments")) {
            assertTrue(
                    verbsByResource.contains(
                            Map.entry(alwaysThere, List.of("get", "list", "watch", "create", "patch"))),
                    alwaysThere + ": no update or delete");
        }
        for (String removable : List.of("poddisruptionbudgets", "networkpolicies", "servicemonitors")) {
            assertTrue(
                    verbsByResource.contains(
                            Map.entry(removable, List.of("get", "list", "watch", "create", "patch", "delete"))),
                    removable + ": no update");
        }
        assertFalse(
                verbsByResource.stream().anyMatch(e -> e.getKey().equals("events")), "the operator records no Events");
        // the proxy pods' status is read (RBAC cannot narrow it to their labels: the operator's informer does)
        assertTrue(
                verbsByResource.stream()
                        .filter(e -> e.getKey().startsWith("pods"))
                        .allMatch(e -> e.equals(Map.entry("pods", List.of("get", "list", "watch")))),
                "pods only read");
        assertFalse(
                verbsByResource.stream().anyMatch(e -> e.getKey().equals("secrets")),
                "no Secret access in watched namespaces");
        assertTrue(rendered.all(Role.class).stream()
                .noneMatch(r -> r.getMetadata().getName().endsWith("-caches")));
    }

    @Test
    void storageClassesAreOnlyLookedUp() {
        for (Map<String, Object> values : List.of(ValuesMatrix.DEFAULTS, ValuesMatrix.WATCHED_NAMESPACES)) {
            Rendered rendered = Chart.render(values);
            var storageClassRules = rendered.all(ClusterRole.class).stream()
                    .flatMap(r -> r.getRules().stream())
                    .filter(r -> r.getResources().contains("storageclasses"))
                    .toList();
            assertEquals(1, storageClassRules.size());
            assertEquals(List.of("storage.k8s.io"), storageClassRules.get(0).getApiGroups());
            assertEquals(List.of("storageclasses"), storageClassRules.get(0).getResources());
            assertEquals(List.of("get"), storageClassRules.get(0).getVerbs());
        }
    }

    /** The proxy pods' status is read, to say why they do not start; nothing else of pods, nor their logs. */
    @Test
    void podsAreOnlyRead() {
        for (Map<String, Object> values : List.of(ValuesMatrix.DEFAULTS, ValuesMatrix.WATCHED_NAMESPACES)) {
            Rendered rendered = Chart.render(values);
            var podRules = Stream.concat(
                            rendered.all(ClusterRole.class).stream().flatMap(r -> r.getRules().stream()),
                            rendered.all(Role.class).stream().flatMap(r -> r.getRules().stream()))
                    .filter(r -> r.getResources().stream().anyMatch(res -> res.startsWith("pods")))
                    .toList();
            assertFalse(podRules.isEmpty());
            for (var rule : podRules) {
                assertEquals(List.of(""), rule.getApiGroups());
                assertEquals(List.of("pods"), rule.getResources());
                assertEquals(List.of("get", "list", "watch"), rule.getVerbs());
            }
        }
    }

    @Test
    void customImageAndResourcesReachTheContainer() {
        Container operator = operator(Chart.render(ValuesMatrix.CUSTOM_IMAGE_AND_RESOURCES));
        assertEquals("registry.corp.example/platform/modproxy-operator:0.1.0-rc1", operator.getImage());
        assertEquals("Always", operator.getImagePullPolicy());
        assertEquals(new Quantity("250m"), operator.getResources().getRequests().get("cpu"));
        assertEquals(
                new Quantity("640Mi"), operator.getResources().getRequests().get("memory"));
        assertEquals(new Quantity("768Mi"), operator.getResources().getLimits().get("memory"));
    }

    @Test
    void renamedReleaseKeepsTheWebhookObjectsConsistent() {
        Rendered rendered = Chart.render(ValuesMatrix.EVERYTHING);
        Container operator = operator(rendered);
        assertEquals(Optional.of("gomods-webhook"), env(operator, "MODPROXY_WEBHOOK_SERVICE"));
        assertEquals(Optional.of("gomods-webhook-tls"), env(operator, "MODPROXY_WEBHOOK_SECRET"));
        assertEquals(Optional.of("gomods"), env(operator, "MODPROXY_WEBHOOK_CONFIG"));
        // its own Lease: a release of another name in the same namespace elects its own leader, and the Role grants
        // the Lease the operator is told to take
        assertEquals(Optional.of("gomods-operator-lease"), env(operator, "MODPROXY_OPERATOR_LEASE_NAME"));
        assertEquals(
                List.of("gomods-operator-lease"),
                rendered.all(Role.class).stream()
                        .filter(r -> r.getMetadata().getNamespace().equals(Chart.NAMESPACE))
                        .flatMap(r -> r.getRules().stream())
                        .filter(r -> r.getResources().contains("leases")
                                && r.getResourceNames() != null
                                && !r.getResourceNames().isEmpty())
                        .flatMap(r -> r.getResourceNames().stream())
                        .toList());
        assertEquals(
                "gomods",
                rendered.one(
                                io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration
                                        .class)
                        .getMetadata()
                        .getName());
        // an excluded namespace is left out by both entries
        rendered.one(io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration.class)
                .getWebhooks()
                .forEach(webhook -> assertTrue(
                        webhook.getNamespaceSelector().getMatchExpressions().stream()
                                .anyMatch(r -> r.getKey().equals("kubernetes.io/metadata.name")
                                        && r.getOperator().equals("NotIn")
                                        && r.getValues().contains("monitoring")),
                        webhook.getName()));
    }

    @Test
    void proxyNetworkPolicyIsOffByDefaultAndTheOperatorMayManageIt() {
        Container defaults = operator(Chart.render());
        assertEquals(Optional.of("false"), env(defaults, "MODPROXY_OPERATOR_NETWORK_POLICY_ENABLED"));
        assertEquals(Optional.of("monitoring"), env(defaults, "MODPROXY_OPERATOR_NETWORK_POLICY_PROMETHEUS_NAMESPACE"));

        Rendered on = Chart.render(Chart.values(
                "proxy.networkPolicy.enabled", true, "proxy.networkPolicy.prometheusNamespace", "observability"));
        assertEquals(Optional.of("true"), env(operator(on), "MODPROXY_OPERATOR_NETWORK_POLICY_ENABLED"));
        assertEquals(
                Optional.of("observability"),
                env(operator(on), "MODPROXY_OPERATOR_NETWORK_POLICY_PROMETHEUS_NAMESPACE"));
        assertTrue(
                on.all(ClusterRole.class).stream()
                        .flatMap(r -> r.getRules().stream())
                        .anyMatch(r -> r.getApiGroups().contains("networking.k8s.io")
                                && r.getResources().contains("networkpolicies")
                                && r.getVerbs().contains("create")
                                && r.getVerbs().contains("delete")),
                "the operator cannot write the caches' NetworkPolicies");
    }

    @Test
    void whereThePlatformAssignsIdsNoneAreFixedButPodsStayNonRoot() {
        Rendered fixed = Chart.render();
        Rendered assigned = Chart.render(Chart.values("fixedUserIds", false));

        var fixedPod =
                fixed.one(Deployment.class).getSpec().getTemplate().getSpec().getSecurityContext();
        assertEquals(1001L, fixedPod.getRunAsUser());
        assertEquals(1001L, fixedPod.getFsGroup());
        assertEquals(Optional.of("true"), env(operator(fixed), "MODPROXY_OPERATOR_PROXY_FIXED_USER_IDS"));

        var assignedPod =
                assigned.one(Deployment.class).getSpec().getTemplate().getSpec().getSecurityContext();
        assertEquals(null, assignedPod.getRunAsUser());
        assertEquals(null, assignedPod.getRunAsGroup());
        assertEquals(null, assignedPod.getFsGroup());
        assertEquals(Boolean.TRUE, assignedPod.getRunAsNonRoot());
        // the proxies the operator makes follow the same setting
        assertEquals(Optional.of("false"), env(operator(assigned), "MODPROXY_OPERATOR_PROXY_FIXED_USER_IDS"));
    }

    @Test
    void operatorTmpIsBoundedAndTheChartRefusesClustersOlderThanItsCrdRules() throws Exception {
        var tmp = Chart.render().one(Deployment.class).getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals("tmp"))
                .findFirst()
                .orElseThrow();
        assertEquals(new Quantity("128Mi"), tmp.getEmptyDir().getSizeLimit());

        String chart = java.nio.file.Files.readString(Chart.directory().resolve("Chart.yaml"));
        assertTrue(chart.contains("kubeVersion: \">=1.29.0-0\""), chart);
        // helm itself enforces it: helm-java renders as Kubernetes v1.20.0, which the real chart refuses
        var refused = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class,
                () -> new com.marcnuri.helm.Helm(Chart.directory())
                        .template()
                        .withName(Chart.RELEASE)
                        .withNamespace(Chart.NAMESPACE)
                        .call());
        assertTrue(refused.getMessage().contains("chart requires kubeVersion: >=1.29.0-0"), refused.getMessage());
    }

    @Test
    void bothImagesComeFromOneRegistryAndCanBePinnedByDigest() {
        Rendered defaults = Chart.render();
        assertEquals("ghcr.io/modproxy/operator:0.1.0", operator(defaults).getImage());
        assertEquals(
                Optional.of("ghcr.io/modproxy/proxy:0.1.0"), env(operator(defaults), "MODPROXY_OPERATOR_PROXY_IMAGE"));

        String operatorDigest = "sha256:" + "a".repeat(64);
        String proxyDigest = "sha256:" + "b".repeat(64);
        Rendered mirrored = Chart.render(Chart.values(
                "image.registry",
                "registry.corp.example.cn/mirror/",
                "operator.image.digest",
                operatorDigest,
                "proxy.image.digest",
                proxyDigest));
        assertEquals(
                "registry.corp.example.cn/mirror/modproxy/operator:0.1.0@" + operatorDigest,
                operator(mirrored).getImage());
        assertEquals(
                Optional.of("registry.corp.example.cn/mirror/modproxy/proxy:0.1.0@" + proxyDigest),
                env(operator(mirrored), "MODPROXY_OPERATOR_PROXY_IMAGE"));
    }

    /**
     * What the operator keeps beside its heap (metaspace, code, threads, malloc): 210 to 222 MiB with 100 caches and
     * a burst of 200 pods, whatever the heap (docs/benchmarks.md, "The operator's memory with 100 caches").
     */
    private static final double BESIDE_THE_HEAP_MIB = 222;

    /**
     * Room left under the limit at that peak. With half the limit for the heap it was 40 to 44 MiB, and an earlier
     * probe with repeated bursts came within 22 MiB of the kernel's OOM kill.
     */
    private static final double HEADROOM_MIB = 64;

    private static final Pattern MAX_RAM_PERCENTAGE =
            Pattern.compile("JAVA_TOOL_OPTIONS=\"[^\"]*-XX:MaxRAMPercentage=([0-9.]+)");

    @Test
    void theDefaultLimitHoldsTheImagesHeapAndWhatLivesBesideIt() throws IOException {
        Quantity limit = operator(Chart.render()).getResources().getLimits().get("memory");
        double limitMib = Quantity.getAmountInBytes(limit).doubleValue() / (1024 * 1024);
        // ZGC commits all the heap it may take: the image's share of the limit (ProxySettingsTest keeps pom.xml's
        // image options equal to the Dockerfile's)
        String dockerfile = Files.readString(Chart.repositoryRoot().resolve("operator/Dockerfile"));
        Matcher percentage = MAX_RAM_PERCENTAGE.matcher(dockerfile);
        assertTrue(percentage.find(), "JAVA_TOOL_OPTIONS of operator/Dockerfile sets no -XX:MaxRAMPercentage");
        double heapMib = limitMib * Double.parseDouble(percentage.group(1)) / 100;

        double headroom = limitMib - heapMib - BESIDE_THE_HEAP_MIB;
        assertTrue(
                headroom >= HEADROOM_MIB,
                ("a %.0f MiB limit less a %.0f MiB heap and %.0f MiB beside it leaves %.0f MiB, under %.0f;"
                                + " measure with bench/operator-memory.sh")
                        .formatted(limitMib, heapMib, BESIDE_THE_HEAP_MIB, headroom, HEADROOM_MIB));
    }
}
