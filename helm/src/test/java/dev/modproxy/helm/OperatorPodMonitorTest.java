package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.openshift.api.model.monitoring.v1.PodMetricsEndpoint;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The operator's /q/metrics (the webhook's modproxy_webhook_* series, which the Grafana dashboard's webhook panel
 * queries) reached by Prometheus: a PodMonitor, opt-in as the chart's other prometheus-operator objects.
 */
class OperatorPodMonitorTest {

    static PodMonitor podMonitor(Map<String, Object> values) {
        return Chart.render(values).one(PodMonitor.class);
    }

    @Test
    void thereIsNoPodMonitorUnlessAskedFor() {
        // the install would fail on a cluster without the prometheus-operator's CRD
        assertEquals(List.of(), Chart.render().ofKind("PodMonitor"));
        assertEquals(
                List.of(),
                Chart.render(Chart.values("prometheusRule.enabled", true, "grafana.dashboard.enabled", true))
                        .ofKind("PodMonitor"));
    }

    @Test
    void enabledItScrapesTheOperatorsPodsWherePrometheusFindsIt() throws IOException {
        Rendered rendered = Chart.render(Chart.values(
                "operator.podMonitor.enabled", true,
                "operator.podMonitor.namespace", "monitoring",
                "operator.podMonitor.labels.release", "kube-prometheus-stack",
                "operator.podMonitor.annotations.owner", "platform team",
                "operator.podMonitor.interval", "1m",
                "operator.podLabels.team", "platform"));
        PodMonitor monitor = rendered.one(PodMonitor.class);

        assertEquals("monitoring.coreos.com/v1", monitor.getApiVersion());
        assertEquals("modproxy-operator", monitor.getMetadata().getName());
        assertEquals("monitoring", monitor.getMetadata().getNamespace());
        assertEquals("kube-prometheus-stack", monitor.getMetadata().getLabels().get("release"));
        assertEquals("modproxy", monitor.getMetadata().getLabels().get("app.kubernetes.io/name"));
        assertEquals("platform team", monitor.getMetadata().getAnnotations().get("owner"));
        // every field is one the CRD's type has: an unknown one (a typo) lands in additionalProperties
        assertEquals(Map.of(), monitor.getAdditionalProperties());
        assertEquals(Map.of(), monitor.getSpec().getAdditionalProperties());

        // from another namespace, it still looks for the pods in the release's
        assertEquals(
                List.of(Chart.NAMESPACE),
                monitor.getSpec().getNamespaceSelector().getMatchNames());
        // it selects exactly the Deployment's pods: the selector the Deployment itself uses
        Deployment operator = rendered.one(Deployment.class);
        assertEquals(
                operator.getSpec().getSelector().getMatchLabels(),
                monitor.getSpec().getSelector().getMatchLabels());

        PodMetricsEndpoint endpoint = monitor.getSpec().getPodMetricsEndpoints().get(0);
        assertEquals(1, monitor.getSpec().getPodMetricsEndpoints().size());
        assertEquals(Map.of(), endpoint.getAdditionalProperties());
        assertEquals("1m", endpoint.getInterval());
        assertEquals("/q/metrics", endpoint.getPath());
        // a named port of the operator's container, the one the Quarkus HTTP server (health, metrics) listens on
        ContainerPort port = operator.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
                .filter(p -> p.getName().equals(endpoint.getPort()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the operator has no port " + endpoint.getPort()));
        assertEquals(quarkusHttpPort(), port.getContainerPort());
        assertEquals(
                "/q/health/live",
                operator.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getLivenessProbe()
                        .getHttpGet()
                        .getPath(),
                "the probes use the same port's /q/ endpoints");
    }

    @Test
    void byDefaultInTheReleaseNamespaceEvery30sNamedAfterFullnameOverride() {
        PodMonitor monitor = podMonitor(Chart.values("operator.podMonitor.enabled", true));
        assertEquals(Chart.NAMESPACE, monitor.getMetadata().getNamespace());
        assertEquals("30s", monitor.getSpec().getPodMetricsEndpoints().get(0).getInterval());
        PodMonitor renamed =
                podMonitor(Chart.values("operator.podMonitor.enabled", true, "fullnameOverride", "gomods"));
        assertEquals("gomods-operator", renamed.getMetadata().getName());
    }

    @Test
    void aBadIntervalOrNamespaceIsRefusedNamingIt() {
        for (Map<String, Object> values : List.of(
                Chart.values("operator.podMonitor.enabled", true, "operator.podMonitor.interval", "30 seconds"),
                Chart.values("operator.podMonitor.enabled", true, "operator.podMonitor.namespace", "Monitoring"),
                Chart.values("operator.podMonitor.enable", true))) {
            IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.template(values));
            assertTrue(error.getMessage().contains("/operator/podMonitor"), error.getMessage());
        }
    }

    @Test
    void theDashboardsWebhookPanelQueriesWhatTheScrapeProduces() throws IOException {
        // a PodMonitor's series carry namespace (the operator's), pod, container, endpoint and job
        // ("<namespace>/<PodMonitor>") besides the meter's own tags; no service label (a Service scrape's), and the
        // dashboard's namespace and cache variables list the caches' namespaces and Services: a webhook query that
        // filtered on any of them would show nothing for the operator
        List<String> webhookQueries =
                GrafanaDashboardTest.queries(
                                new ObjectMapper().readTree(Files.readString(GrafanaDashboardTest.dashboardFile())))
                        .stream()
                        .filter(q -> q.contains("modproxy_webhook_"))
                        .toList();
        assertEquals(1, webhookQueries.size(), webhookQueries.toString());
        for (String query : webhookQueries) {
            for (String cachesOnly : List.of("service", "$namespace", "$cache", "job")) {
                assertTrue(!query.contains(cachesOnly), query + " filters on " + cachesOnly);
            }
            // each metric it queries is one the operator registers, with the labels it groups by
            for (String metric : GrafanaDashboardTest.metricNames(query)) {
                assertTrue(ExportedMetrics.names().contains(metric), metric);
                assertEquals(Set.of("outcome"), ExportedMetrics.labels().get(metric), metric);
            }
            assertTrue(query.contains("by (outcome)"), query);
        }
    }

    private static int quarkusHttpPort() throws IOException {
        Properties properties = new Properties();
        try (var in = Files.newInputStream(
                Chart.repositoryRoot().resolve("operator/src/main/resources/application.properties"))) {
            properties.load(in);
        }
        // Quarkus's default HTTP port unless the operator sets another
        return Integer.parseInt(properties.getProperty("quarkus.http.port", "8080"));
    }
}
