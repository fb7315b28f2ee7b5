package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** values.schema.json turns a wrong value into an error naming the value, before anything reaches a cluster. */
class ValuesSchemaTest {

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of(Chart.values("webhook.timeoutSeconds", 30), "/webhook/timeoutSeconds"),
                Arguments.of(Chart.values("webhook.certMode", "vault"), "/webhook/certMode"),
                Arguments.of(Chart.values("operator.replicas", 0), "/operator/replicas"),
                Arguments.of(Chart.values("operator.image.pullPolicy", "Sometimes"), "/operator/image/pullPolicy"),
                Arguments.of(Chart.values("watchNamespaces[0]", "Not_A_Namespace"), "/watchNamespaces/0"),
                Arguments.of(Chart.values("operator.replica", 2), "replica"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badValues")
    void templateRejectsABadValueNamingIt(Map<String, Object> values, String where) {
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.template(values));
        assertTrue(error.getMessage().contains("schema"), error.getMessage());
        assertTrue(error.getMessage().contains(where), error.getMessage());
    }

    /**
     * Values a looser schema let through although they render a manifest that breaks: the API server
     * refuses it, the kubelet cannot pull the image, or the Deployment's selector misses its pods.
     */
    static Stream<Arguments> valuesThatRenderBrokenManifests() {
        return Stream.of(
                // a tag in the repository rendered ghcr.io/modproxy/operator:1.2:0.1.0
                Arguments.of(
                        Chart.values("operator.image.repository", "ghcr.io/modproxy/operator:1.2"),
                        "/operator/image/repository",
                        "ghcr.io/modproxy/operator:1.2"),
                Arguments.of(
                        Chart.values("proxy.image.repository", "modproxy/proxy@sha256:" + "a".repeat(64)),
                        "/proxy/image/repository",
                        "modproxy/proxy@sha256:"),
                Arguments.of(Chart.values("operator.image.tag", "1.2/rc"), "/operator/image/tag", "1.2/rc"),
                Arguments.of(Chart.values("proxy.image.tag", "-rc1"), "/proxy/image/tag", "-rc1"),
                Arguments.of(Chart.values("image.registry", "ghcr.io@mirror"), "/image/registry", "ghcr.io@mirror"),
                Arguments.of(
                        Chart.values("operator.priorityClassName", "Bad Name"),
                        "/operator/priorityClassName",
                        "Bad Name"),
                Arguments.of(
                        Chart.values("operator.podLabels.app\\.kubernetes\\.io/name", "other"),
                        "/operator/podLabels",
                        "app.kubernetes.io/name"),
                Arguments.of(
                        Chart.values("operator.podLabels.modproxy\\.dev/inject", "yes"),
                        "/operator/podLabels",
                        "modproxy.dev/inject"),
                Arguments.of(
                        Chart.values("operator.podLabels.team", "platform team"),
                        "/operator/podLabels/team",
                        "platform team"),
                Arguments.of(Chart.values("operator.nodeSelector.Bad Key", "x"), "/operator/nodeSelector", "Bad Key"),
                // a prefix is a DNS subdomain, at most 253 characters, as Kubernetes and the operator's CRD check it
                Arguments.of(
                        Chart.values("operator.nodeSelector." + "a".repeat(254) + "/zone", "x"),
                        "/operator/nodeSelector",
                        "a".repeat(254) + "/zone"),
                Arguments.of(
                        Chart.values("serviceAccount.annotations." + "a".repeat(254) + "/role", "x"),
                        "/serviceAccount/annotations",
                        "a".repeat(254) + "/role"),
                Arguments.of(
                        Chart.values("operator.podAnnotations.example\\.com/", "x"),
                        "/operator/podAnnotations",
                        "example.com/"),
                Arguments.of(
                        Chart.values("grafana.dashboard.labels.team", "folder/modproxy"),
                        "/grafana/dashboard/labels/team",
                        "folder/modproxy"),
                Arguments.of(
                        Chart.values("serviceAccount.annotations.iam gke io", "x"),
                        "/serviceAccount/annotations",
                        "iam gke io"),
                Arguments.of(
                        Chart.values("operator.extraEnv[0].name", "GOMAXPROCS", "operator.extraEnv[0].value", 2),
                        "/operator/extraEnv/0/value",
                        "got number, want string"),
                Arguments.of(
                        Chart.values("operator.extraEnv[0].name", "GOMAXPROCS", "operator.extraEnv[0].valeu", "2"),
                        "/operator/extraEnv/0",
                        "valeu"),
                Arguments.of(
                        Chart.values("operator.imagePullSecrets[0].name", "Ghcr Pull"),
                        "/operator/imagePullSecrets/0/name",
                        "Ghcr Pull"),
                Arguments.of(
                        Chart.values("operator.resources.limits.memory", -512),
                        "/operator/resources/limits/memory",
                        "-512"),
                Arguments.of(
                        Chart.values(
                                "webhook.certMode", "cert-manager", "webhook.certManager.issuerRef.name", "corp CA"),
                        "/webhook/certManager/issuerRef/name",
                        "corp CA"),
                Arguments.of(
                        Chart.values(
                                "webhook.certMode", "cert-manager",
                                "webhook.certManager.issuerRef.name", "corp-ca",
                                "webhook.certManager.issuerRef.group", "cert-manager.io/v1"),
                        "/webhook/certManager/issuerRef/group",
                        "cert-manager.io/v1"),
                Arguments.of(
                        Chart.values("grafana.dashboard.annotations.grafana folder", "modproxy"),
                        "/grafana/dashboard/annotations",
                        "grafana folder"),
                // the API server: "memroy": must be a standard resource type or fully qualified
                Arguments.of(
                        Chart.values("operator.resources.requests.memroy", "1Gi"),
                        "/operator/resources/requests",
                        "memroy"),
                // the API server: valueFrom may not be specified when `value` is not empty
                Arguments.of(
                        Chart.values(
                                "operator.extraEnv[0].name", "NODE_NAME",
                                "operator.extraEnv[0].value", "node-1",
                                "operator.extraEnv[0].valueFrom.fieldRef.fieldPath", "spec.nodeName"),
                        "/operator/extraEnv/0/value",
                        "value must be ''"),
                // the API server: Unsupported value: "Exist": supported values: "Equal", "Exists"
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key",
                                "dedicated",
                                "operator.tolerations[0].operator",
                                "Exist"),
                        "/operator/tolerations/0/operator",
                        "'Exists', 'Equal'"),
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key",
                                "dedicated",
                                "operator.tolerations[0].efect",
                                "NoSchedule"),
                        "/operator/tolerations/0",
                        "efect"),
                // the API server: effect must be 'NoExecute' when `tolerationSeconds` is set
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key", "dedicated",
                                "operator.tolerations[0].operator", "Exists",
                                "operator.tolerations[0].effect", "NoSchedule",
                                "operator.tolerations[0].tolerationSeconds", 30),
                        "/operator/tolerations/0/effect",
                        "NoExecute"),
                // the API server: value must be empty when `operator` is 'Exists' (helm 4.3.2 on the e2e control plane
                // made the ServiceAccount, Roles and Service first, and so for the three below)
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key", "dedicated",
                                "operator.tolerations[0].operator", "Exists",
                                "operator.tolerations[0].value", "ci"),
                        "/operator/tolerations/0/value",
                        "value must be ''"),
                // the API server: operator must be Exists when `key` is empty (operator defaults to Equal)
                Arguments.of(
                        Chart.values("operator.tolerations[0].effect", "NoSchedule"),
                        "/operator/tolerations/0",
                        "missing property 'operator'"),
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key", "",
                                "operator.tolerations[0].operator", "Equal",
                                "operator.tolerations[0].effect", "NoSchedule"),
                        "/operator/tolerations/0/operator",
                        "'Exists'"),
                // the API server: name part must consist of alphanumeric characters, '-', '_' or '.'
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key", "dedicated node",
                                "operator.tolerations[0].operator", "Exists"),
                        "/operator/tolerations/0/key",
                        "dedicated node"),
                // the API server: a valid label must be an empty string or consist of alphanumeric characters, ...
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key", "dedicated",
                                "operator.tolerations[0].value", "ci team"),
                        "/operator/tolerations/0/value",
                        "ci team"),
                // the API server (server-side apply): .spec.template.spec.affinity.nodeAfinity: field not declared
                Arguments.of(
                        Chart.values(
                                "operator.affinity.nodeAfinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
                                1),
                        "/operator/affinity",
                        "nodeAfinity"));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("valuesThatRenderBrokenManifests")
    void templateRefusesAValueThatWouldRenderABrokenManifest(
            Map<String, Object> values, String where, String offending) {
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.template(values));
        assertTrue(error.getMessage().contains("schema"), error.getMessage());
        assertTrue(error.getMessage().contains(where), error.getMessage());
        assertTrue(error.getMessage().contains(offending), error.getMessage());
    }

    @Test
    void anEmptyPullSecretNameIsRefused() {
        // refused before the names had a pattern too (minLength); --set drops an empty value, so it comes in a file
        IllegalStateException error = assertThrows(
                IllegalStateException.class,
                () -> Chart.templateWithValuesFile("operator:\n  imagePullSecrets:\n    - name: \"\"\n"));
        assertTrue(error.getMessage().contains("/operator/imagePullSecrets/0/name"), error.getMessage());
    }

    static PodSpec pod(Rendered rendered) {
        return rendered.one(Deployment.class).getSpec().getTemplate().getSpec();
    }

    /** Values next to the refused ones that are right, each with where it lands in the rendered chart. */
    static Stream<Arguments> valuesTheTighterSchemaStillTakes() {
        return Stream.of(
                // a ':' before the last '/' is a registry's port, not a tag
                Arguments.of(
                        Chart.values("operator.image.repository", "localhost:5000/modproxy/operator"),
                        (Function<Rendered, Object>)
                                r -> OperatorDeploymentTest.operator(r).getImage(),
                        "localhost:5000/modproxy/operator:0.1.0"),
                Arguments.of(
                        Chart.values(
                                "image.registry", "registry.corp.example:5000/mirror",
                                "proxy.image.repository", "modproxy/go-proxy",
                                "proxy.image.tag", "0.1.0_rc.1"),
                        (Function<Rendered, Object>) r -> OperatorDeploymentTest.env(
                                        OperatorDeploymentTest.operator(r), "MODPROXY_OPERATOR_PROXY_IMAGE")
                                .orElseThrow(),
                        "registry.corp.example:5000/mirror/modproxy/go-proxy:0.1.0_rc.1"),
                Arguments.of(
                        Chart.values("operator.priorityClassName", "system-cluster-critical"),
                        (Function<Rendered, Object>) r -> pod(r).getPriorityClassName(),
                        "system-cluster-critical"),
                Arguments.of(
                        Chart.values(
                                "operator.podLabels.team", "platform", "operator.podLabels.example\\.com/tier", ""),
                        (Function<Rendered, Object>) r -> {
                            var template = r.one(Deployment.class).getSpec().getTemplate();
                            var selector = r.one(Deployment.class)
                                    .getSpec()
                                    .getSelector()
                                    .getMatchLabels();
                            assertTrue(
                                    template.getMetadata()
                                            .getLabels()
                                            .entrySet()
                                            .containsAll(selector.entrySet()),
                                    "the selector misses its pods: "
                                            + template.getMetadata().getLabels());
                            return template.getMetadata().getLabels().get("team") + ","
                                    + template.getMetadata().getLabels().get("example.com/tier");
                        },
                        "platform,"),
                Arguments.of(
                        Chart.values("operator.nodeSelector.kubernetes\\.io/os", "linux"),
                        (Function<Rendered, Object>) r -> pod(r).getNodeSelector(),
                        Map.of("kubernetes.io/os", "linux")),
                Arguments.of(
                        Chart.values("operator.nodeSelector." + "a".repeat(253) + "/zone", "x"),
                        (Function<Rendered, Object>) r -> pod(r).getNodeSelector(),
                        Map.of("a".repeat(253) + "/zone", "x")),
                Arguments.of(
                        Chart.values("operator.podAnnotations.example\\.com/owner", "Platform team <p@example.com>"),
                        (Function<Rendered, Object>) r -> r.one(Deployment.class)
                                .getSpec()
                                .getTemplate()
                                .getMetadata()
                                .getAnnotations(),
                        Map.of("example.com/owner", "Platform team <p@example.com>")),
                Arguments.of(
                        Chart.values(
                                "operator.extraEnv[0].name",
                                "JAVA_TOOL_OPTIONS",
                                "operator.extraEnv[0].value",
                                "-XX:+UseZGC"),
                        (Function<Rendered, Object>)
                                r -> OperatorDeploymentTest.env(OperatorDeploymentTest.operator(r), "JAVA_TOOL_OPTIONS")
                                        .orElseThrow(),
                        "-XX:+UseZGC"),
                Arguments.of(
                        Chart.values(
                                "operator.extraEnv[0].name", "NODE_NAME",
                                "operator.extraEnv[0].valueFrom.fieldRef.fieldPath", "spec.nodeName"),
                        (Function<Rendered, Object>) r -> OperatorDeploymentTest.operator(r).getEnv().stream()
                                .filter(e -> e.getName().equals("NODE_NAME"))
                                .findFirst()
                                .orElseThrow()
                                .getValueFrom()
                                .getFieldRef()
                                .getFieldPath(),
                        "spec.nodeName"),
                Arguments.of(
                        Chart.values("operator.imagePullSecrets[0].name", "ghcr-pull.v2"),
                        (Function<Rendered, Object>)
                                r -> pod(r).getImagePullSecrets().get(0).getName(),
                        "ghcr-pull.v2"),
                Arguments.of(
                        Chart.values(
                                "operator.resources.limits.example\\.com/gpu", 1,
                                "operator.resources.limits.hugepages-2Mi", "16Mi",
                                "operator.resources.requests.ephemeral-storage", "1Gi"),
                        (Function<Rendered, Object>) r -> {
                            var resources = OperatorDeploymentTest.operator(r).getResources();
                            return resources.getLimits().get("example.com/gpu") + ","
                                    + resources.getLimits().get("hugepages-2Mi") + ","
                                    + resources.getRequests().get("ephemeral-storage");
                        },
                        "1,16Mi,1Gi"),
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key", "node.kubernetes.io/unreachable",
                                "operator.tolerations[0].operator", "Exists",
                                "operator.tolerations[0].effect", "NoExecute",
                                "operator.tolerations[0].tolerationSeconds", 30,
                                "operator.tolerations[1].operator", "Exists"),
                        (Function<Rendered, Object>) r -> pod(r).getTolerations().stream()
                                .map(t -> t.getKey() + "/" + t.getOperator() + "/" + t.getEffect() + "/"
                                        + t.getTolerationSeconds())
                                .toList(),
                        java.util.List.of(
                                "node.kubernetes.io/unreachable/Exists/NoExecute/30", "null/Exists/null/null")),
                // a key and value with operator left out (Equal), as most taints are tolerated
                Arguments.of(
                        Chart.values(
                                "operator.tolerations[0].key", "example.com/dedicated",
                                "operator.tolerations[0].value", "ci_builds-2",
                                "operator.tolerations[0].effect", "NoSchedule"),
                        (Function<Rendered, Object>) r -> pod(r).getTolerations().stream()
                                .map(t -> t.getKey() + "=" + t.getValue() + ":" + t.getEffect())
                                .toList(),
                        java.util.List.of("example.com/dedicated=ci_builds-2:NoSchedule")),
                Arguments.of(
                        Chart.values(
                                "operator.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
                                100,
                                "operator.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey",
                                "kubernetes.io/hostname"),
                        (Function<Rendered, Object>) r -> pod(r).getAffinity()
                                .getPodAntiAffinity()
                                .getPreferredDuringSchedulingIgnoredDuringExecution()
                                .get(0)
                                .getPodAffinityTerm()
                                .getTopologyKey(),
                        "kubernetes.io/hostname"),
                Arguments.of(
                        Chart.values("operator.resources.limits.memory", 536870912),
                        (Function<Rendered, Object>) r -> OperatorDeploymentTest.operator(r)
                                .getResources()
                                .getLimits()
                                .get("memory"),
                        new Quantity("536870912")),
                Arguments.of(
                        Chart.values(
                                "webhook.certMode", "cert-manager",
                                "webhook.certManager.issuerRef.name", "corp-ca.v1",
                                "webhook.certManager.issuerRef.kind", "ClusterIssuer",
                                "webhook.certManager.issuerRef.group", "cas-issuer.jetstack.io"),
                        (Function<Rendered, Object>) r -> ((GenericKubernetesResource)
                                        r.ofKind("Certificate").get(0))
                                .get("spec", "issuerRef"),
                        Map.of("name", "corp-ca.v1", "kind", "ClusterIssuer", "group", "cas-issuer.jetstack.io")),
                Arguments.of(
                        Chart.values(
                                "serviceAccount.annotations.iam\\.gke\\.io/gcp-service-account",
                                "modproxy@project.iam.gserviceaccount.com"),
                        (Function<Rendered, Object>)
                                r -> r.one(ServiceAccount.class).getMetadata().getAnnotations(),
                        Map.of("iam.gke.io/gcp-service-account", "modproxy@project.iam.gserviceaccount.com")),
                Arguments.of(
                        Chart.values(
                                "grafana.dashboard.enabled", true,
                                "grafana.dashboard.labels.team", "platform",
                                "grafana.dashboard.annotations.grafana_folder", "Go modules"),
                        (Function<Rendered, Object>) r -> {
                            var configMap = r.one(ConfigMap.class).getMetadata();
                            return configMap.getLabels().get("team") + ","
                                    + configMap.getAnnotations().get("grafana_folder");
                        },
                        "platform,Go modules"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesTheTighterSchemaStillTakes")
    void aRightValueStillRendersWhereItBelongs(
            Map<String, Object> values, Function<Rendered, Object> rendered, Object expected) {
        assertEquals(expected, rendered.apply(Chart.render(values)));
    }

    @Test
    void lintFailsOnAChartWhoseValuesBreakTheSchema(@TempDir Path dir) throws IOException {
        Path chart = copyChart(dir);
        Path values = chart.resolve("values.yaml");
        Files.writeString(values, Files.readString(values).replace("certMode: operator", "certMode: self-signed"));

        LintResult result = new Helm(chart).lint().strict().call();
        assertTrue(result.isFailed());
        assertTrue(
                result.getMessages().stream().anyMatch(m -> m.contains("certMode")),
                String.join("\n", result.getMessages()));
    }

    static Path copyChart(Path target) throws IOException {
        Path source = Chart.directory();
        Path chart = target.resolve("modproxy");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path copy = chart.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy);
                }
            }
        }
        return chart;
    }
}
