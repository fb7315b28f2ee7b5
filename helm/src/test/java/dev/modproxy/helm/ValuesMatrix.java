package dev.modproxy.helm;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The value sets every rendering invariant is checked against. */
final class ValuesMatrix {

    static final Map<String, Object> DEFAULTS = Map.of();
    static final Map<String, Object> CERT_MANAGER = Chart.values("webhook.certMode", "cert-manager");
    static final Map<String, Object> CERT_MANAGER_CLUSTER_ISSUER = Chart.values(
            "webhook.certMode", "cert-manager",
            "webhook.certManager.issuerRef.name", "corp-ca",
            "webhook.certManager.issuerRef.kind", "ClusterIssuer");
    static final Map<String, Object> WATCHED_NAMESPACES =
            Chart.values("watchNamespaces[0]", "ci", "watchNamespaces[1]", "builds");
    static final Map<String, Object> TWO_REPLICAS = Chart.values("operator.replicas", 2);
    static final Map<String, Object> CUSTOM_IMAGE_AND_RESOURCES = Chart.values(
            "operator.image.repository", "registry.corp.example/platform/modproxy-operator",
            "operator.image.tag", "0.1.0-rc1",
            "operator.image.pullPolicy", "Always",
            "operator.resources.requests.cpu", "250m",
            "operator.resources.requests.memory", "640Mi",
            "operator.resources.limits.memory", "768Mi");
    static final Map<String, Object> EVERYTHING = Chart.values(
            "webhook.certMode", "cert-manager",
            "watchNamespaces[0]", "ci",
            "operator.replicas", 3,
            "fullnameOverride", "gomods",
            "webhook.excludeNamespaces[0]", "monitoring",
            "prometheusRule.enabled", true,
            "prometheusRule.labels.release", "kube-prometheus-stack");

    private ValuesMatrix() {}

    static Stream<Arguments> all() {
        return Stream.of(
                Arguments.of("defaults", DEFAULTS),
                Arguments.of("cert-manager", CERT_MANAGER),
                Arguments.of("cert-manager with a ClusterIssuer", CERT_MANAGER_CLUSTER_ISSUER),
                Arguments.of("watched namespaces", WATCHED_NAMESPACES),
                Arguments.of("two replicas", TWO_REPLICAS),
                Arguments.of("custom image and resources", CUSTOM_IMAGE_AND_RESOURCES),
                Arguments.of("everything at once", EVERYTHING));
    }
}
