package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What must hold for every supported combination of values. */
class RenderedChartInvariantsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.modproxy.helm.ValuesMatrix#all")
    void operatorRunsLockedDown(String name, Map<String, Object> values) {
        Deployment deployment = Chart.render(values).one(Deployment.class);
        var pod = deployment.getSpec().getTemplate().getSpec();

        PodSecurityContext podSecurity = pod.getSecurityContext();
        assertEquals(Boolean.TRUE, podSecurity.getRunAsNonRoot());
        assertEquals(1001L, podSecurity.getRunAsUser());
        assertEquals("RuntimeDefault", podSecurity.getSeccompProfile().getType());

        Container operator = pod.getContainers().get(0);
        SecurityContext security = operator.getSecurityContext();
        assertEquals(Boolean.TRUE, security.getReadOnlyRootFilesystem());
        assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
        assertTrue(security.getCapabilities().getAdd() == null
                || security.getCapabilities().getAdd().isEmpty());

        // Quarkus writes to /tmp, which must be writable while the root file system is not
        assertTrue(operator.getVolumeMounts().stream()
                .anyMatch(m -> "/tmp".equals(m.getMountPath())
                        && pod.getVolumes().stream()
                                .anyMatch(v -> v.getName().equals(m.getName()) && v.getEmptyDir() != null)));

        assertEquals("/q/health/live", operator.getLivenessProbe().getHttpGet().getPath());
        assertEquals(
                "/q/health/ready", operator.getReadinessProbe().getHttpGet().getPath());
        assertNotNull(operator.getResources().getRequests().get("memory"));
        assertNotNull(operator.getResources().getLimits().get("memory"));
        assertEquals(
                Map.of("http", 8080, "webhook", 8443),
                Map.of(
                        operator.getPorts().get(0).getName(),
                                operator.getPorts().get(0).getContainerPort(),
                        operator.getPorts().get(1).getName(),
                                operator.getPorts().get(1).getContainerPort()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.modproxy.helm.ValuesMatrix#all")
    void rbacHasNoWildcardsAndSecretsOnlyInTheOperatorNamespace(String name, Map<String, Object> values) {
        Rendered rendered = Chart.render(values);
        Stream<PolicyRule> rules = Stream.concat(
                rendered.all(ClusterRole.class).stream().flatMap(r -> r.getRules().stream()),
                rendered.all(Role.class).stream().flatMap(r -> r.getRules().stream()));
        rules.forEach(rule -> {
            assertFalse(rule.getVerbs().contains("*"), "wildcard verb in " + rule);
            assertFalse(rule.getResources().contains("*"), "wildcard resource in " + rule);
            assertFalse(rule.getApiGroups().contains("*"), "wildcard API group in " + rule);
        });

        for (ClusterRole role : rendered.all(ClusterRole.class)) {
            assertTrue(
                    role.getRules().stream().noneMatch(r -> r.getResources().contains("secrets")),
                    "a ClusterRole would grant Secrets in every namespace: "
                            + role.getMetadata().getName());
        }
        for (Role role : rendered.all(Role.class)) {
            for (PolicyRule rule : role.getRules()) {
                if (!rule.getResources().contains("secrets")) {
                    continue;
                }
                assertEquals(
                        Chart.NAMESPACE,
                        role.getMetadata().getNamespace(),
                        "Secrets granted outside the operator namespace");
                // only creating can't be limited by name; reading and writing are limited to the webhook's Secret
                if (!rule.getVerbs().equals(List.of("create"))) {
                    assertEquals(1, rule.getResourceNames().size(), "Secret access not limited by name: " + rule);
                    assertTrue(rule.getResourceNames().get(0).endsWith("-webhook-tls"));
                }
            }
        }

        rendered.all(ClusterRole.class).stream()
                .flatMap(r -> r.getRules().stream())
                .filter(r -> r.getResources().contains("mutatingwebhookconfigurations"))
                .forEach(r -> assertEquals(
                        1, r.getResourceNames().size(), "webhook configurations not limited by name: " + r));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.modproxy.helm.ValuesMatrix#all")
    void apiServerCallsTheWebhookOnlyForOptedInPods(String name, Map<String, Object> values) {
        MutatingWebhookConfiguration configuration = Chart.render(values).one(MutatingWebhookConfiguration.class);
        Map<String, String> enabled = Map.of("modproxy.dev/inject", "enabled");
        Map<String, String> none = Map.of();

        // the rest of the cluster never waits on the operator
        assertEquals(List.of(), WebhookSelection.called(configuration, "monitoring", none, none));
        assertEquals(
                List.of(),
                WebhookSelection.called(configuration, "ci", Map.of("modproxy.dev/inject", "disabled"), none));
        assertEquals(
                List.of(), WebhookSelection.called(configuration, "ci", none, Map.of("modproxy.dev/inject", "false")));
        // opted in by the namespace label, or by the pod label (a cache name, "true", "ns/name"), exactly once
        assertEquals(
                1, WebhookSelection.called(configuration, "ci", enabled, none).size());
        assertEquals(
                1,
                WebhookSelection.called(configuration, "ci", enabled, Map.of("app", "build"))
                        .size());
        assertEquals(
                1,
                WebhookSelection.called(configuration, "ci", none, Map.of("modproxy.dev/inject", "true"))
                        .size());
        assertEquals(
                1,
                WebhookSelection.called(configuration, "ci", none, Map.of("modproxy.dev/inject", "gomod"))
                        .size());
        assertEquals(
                1,
                WebhookSelection.called(configuration, "ci", enabled, Map.of("modproxy.dev/inject", "gomod"))
                        .size());
        // the pod label "false" opts out of an opted-in namespace
        assertEquals(
                List.of(),
                WebhookSelection.called(configuration, "ci", enabled, Map.of("modproxy.dev/inject", "false")));
        // never the system nor the operator's own namespace, whatever the labels say
        for (String excluded : List.of("kube-system", Chart.NAMESPACE)) {
            assertEquals(
                    List.of(),
                    WebhookSelection.called(configuration, excluded, enabled, Map.of("modproxy.dev/inject", "true")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.modproxy.helm.ValuesMatrix#all")
    void webhookNeverBlocksPods(String name, Map<String, Object> values) {
        Rendered rendered = Chart.render(values);
        MutatingWebhookConfiguration configuration = rendered.one(MutatingWebhookConfiguration.class);
        assertEquals(2, configuration.getWebhooks().size());
        assertEquals(
                2,
                configuration.getWebhooks().stream()
                        .map(MutatingWebhook::getName)
                        .distinct()
                        .count(),
                "webhook names must be unique within the configuration");
        for (MutatingWebhook webhook : configuration.getWebhooks()) {
            assertTrue(webhook.getName().endsWith(".modproxy.dev"), webhook.getName());
            assertEquals(List.of("v1"), webhook.getAdmissionReviewVersions());
            assertEquals("Ignore", webhook.getFailurePolicy());
            assertEquals("None", webhook.getSideEffects());
            assertTrue(webhook.getTimeoutSeconds() <= 3, "timeout " + webhook.getTimeoutSeconds());
            assertEquals("IfNeeded", webhook.getReinvocationPolicy());
            assertEquals(List.of("CREATE"), webhook.getRules().get(0).getOperations());
            assertEquals(List.of("pods"), webhook.getRules().get(0).getResources());
            assertWebhookServiceReachesTheOperator(rendered, webhook);
        }
    }

    private static void assertWebhookServiceReachesTheOperator(Rendered rendered, MutatingWebhook webhook) {
        // the webhook's Service exists and routes to the operator's webhook port
        var target = webhook.getClientConfig().getService();
        assertEquals("/mutate-pods", target.getPath());
        Service service = rendered.named(Service.class, target.getName());
        assertEquals(Chart.NAMESPACE, target.getNamespace());
        var port = service.getSpec().getPorts().stream()
                .filter(p -> p.getPort().equals(target.getPort()))
                .findFirst()
                .orElseThrow();
        assertEquals("webhook", port.getName());
        assertEquals("webhook", port.getTargetPort().getStrVal());
        Deployment deployment = rendered.one(Deployment.class);
        assertTrue(
                deployment
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getLabels()
                        .entrySet()
                        .containsAll(service.getSpec().getSelector().entrySet()),
                "the webhook Service selects no operator pod");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.modproxy.helm.ValuesMatrix#all")
    void namespacedObjectsLandInTheReleaseNamespace(String name, Map<String, Object> values) {
        Rendered rendered = Chart.render(values);
        for (HasMetadata object : rendered.objects()) {
            String kind = object.getKind();
            boolean clusterScoped = List.of(
                            "ClusterRole",
                            "ClusterRoleBinding",
                            "CustomResourceDefinition",
                            "MutatingWebhookConfiguration",
                            "Namespace")
                    .contains(kind);
            boolean perWatchedNamespace = List.of("Role", "RoleBinding").contains(kind)
                    && object.getMetadata().getName().endsWith("-caches");
            if (clusterScoped) {
                assertEquals(null, object.getMetadata().getNamespace(), kind + " is cluster-scoped");
            } else if (!perWatchedNamespace) {
                assertEquals(
                        Chart.NAMESPACE,
                        object.getMetadata().getNamespace(),
                        kind + "/" + object.getMetadata().getName());
            }
        }
    }
}
