package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ConfigMap, Service, PodDisruptionBudget and ServiceMonitor a cache asks for. */
class SmallDependentsTest {

    private final GoProxyCache cache = cache("team-a", "builds", spec -> {
        spec.setUpstream("https://goproxy.cn,direct");
        spec.setSumdb("sum.golang.google.cn");
        spec.setNoSumDB(List.of("corp.example.com/*"));
        spec.getMetrics().getServiceMonitor().setEnabled(true);
        spec.getMetrics().getServiceMonitor().getLabels().put("release", "prometheus");
    });

    @Test
    void configMapCarriesTheProxyEnvironment() {
        ConfigMap config = ProxyConfigMapDependent.desiredConfigMap(cache, java.util.Optional.empty());
        assertThat(config.getMetadata().getName()).isEqualTo("builds-config");
        assertThat(config.getMetadata().getNamespace()).isEqualTo("team-a");
        assertThat(config.getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn,direct")
                .containsEntry("MODPROXY_SUMDB", "sum.golang.google.cn")
                .containsEntry("MODPROXY_NOSUMDB", "corp.example.com/*")
                .containsEntry("MODPROXY_STORAGE_DIR", "/var/cache/modproxy")
                .containsEntry("QUARKUS_HTTP_PORT", "8080")
                .containsEntry("QUARKUS_MANAGEMENT_PORT", "9000")
                // the proxy defaults to 127.0.0.1 for a laptop run; in a pod both ports must be reachable
                .containsEntry("QUARKUS_HTTP_HOST", "0.0.0.0")
                .containsEntry("QUARKUS_MANAGEMENT_HOST", "0.0.0.0")
                .doesNotContainKey("MODPROXY_PRIVATE");
    }

    @Test
    void serviceExposesPort80OnTheHttpPortAndMatchesTheStatusUrl() {
        Service service = new ProxyServiceDependent().desired(cache, null);
        assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getPort()).isEqualTo(80);
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
        });
        assertThat(CacheNames.url(cache))
                .isEqualTo("http://" + service.getMetadata().getName() + ".team-a.svc");
    }

    @Test
    void theBuildsServiceTakesTheTypeAndAnnotationsOfTheSpecButTheManagementServiceDoesNot() {
        GoProxyCache exposed = cache("team-a", "gomod", spec -> {
            spec.getService().setType("LoadBalancer");
            spec.getService().getAnnotations().put("service.beta.kubernetes.io/aws-load-balancer-internal", "true");
        });
        Service builds = new ProxyServiceDependent().desired(exposed, null);
        Service management = new ProxyManagementServiceDependent().desired(exposed, null);

        assertThat(builds.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(builds.getMetadata().getAnnotations())
                .containsExactly(Map.entry("service.beta.kubernetes.io/aws-load-balancer-internal", "true"));
        assertThat(builds.getMetadata().getLabels()).containsAllEntriesOf(CacheNames.labels(exposed));
        assertThat(management.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(management.getMetadata().getAnnotations()).isNullOrEmpty();
        // the default: in-cluster only, no annotations of ours
        assertThat(new ProxyServiceDependent()
                        .desired(cache, null)
                        .getMetadata()
                        .getAnnotations())
                .isNullOrEmpty();
    }

    @Test
    void managementPortIsOnItsOwnServiceWhichBuildsAreNotGiven() {
        Service builds = new ProxyServiceDependent().desired(cache, null);
        Service management = new ProxyManagementServiceDependent().desired(cache, null);

        assertThat(builds.getSpec().getPorts())
                .extracting(p -> p.getTargetPort().getStrVal())
                .containsExactly("http");
        assertThat(management.getMetadata().getName())
                .isEqualTo("builds-management")
                .isNotEqualTo(builds.getMetadata().getName());
        assertThat(management.getSpec().getSelector()).isEqualTo(CacheNames.selector(cache));
        assertThat(management.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("management");
            assertThat(p.getPort()).isEqualTo(9000);
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("management");
        });
        assertThat(CacheNames.adminUrl(cache)).isEqualTo("http://builds-management.team-a.svc:9000");
    }

    @Test
    void networkPolicyOpensTheGoproxyPortToEveryoneWhenTheServiceServesOutsideTheCluster() {
        for (String type : List.of("NodePort", "LoadBalancer")) {
            GoProxyCache exposed =
                    cache("team-a", "builds", spec -> spec.getService().setType(type));
            NetworkPolicy policy = ProxyNetworkPolicyDependent.desiredPolicy(exposed, "modproxy-system", "monitoring");
            var serving = policy.getSpec().getIngress().get(0);
            assertThat(serving.getPorts())
                    .extracting(p -> p.getPort().getIntVal())
                    .containsExactly(8080);
            assertThat(serving.getFrom())
                    .as("%s: builds on VMs arrive from node or outside addresses", type)
                    .isNullOrEmpty();
            assertThat(policy.getSpec().getIngress().get(1).getFrom())
                    .as("the management port stays closed to them")
                    .hasSize(2);
        }
    }

    @Test
    void networkPolicyLetsOnlyTheOperatorAndPrometheusReachTheManagementPort() {
        NetworkPolicy policy = ProxyNetworkPolicyDependent.desiredPolicy(cache, "modproxy-system", "monitoring");

        assertThat(policy.getSpec().getPodSelector().getMatchLabels()).isEqualTo(CacheNames.selector(cache));
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
        assertThat(policy.getSpec().getIngress()).hasSize(2);
        var serving = policy.getSpec().getIngress().get(0);
        assertThat(serving.getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(8080);
        assertThat(serving.getFrom())
                .as("builds come from any namespace")
                .singleElement()
                .satisfies(peer ->
                        assertThat(peer.getNamespaceSelector().getMatchLabels()).isNullOrEmpty());
        var management = policy.getSpec().getIngress().get(1);
        assertThat(management.getPorts())
                .extracting(p -> p.getPort().getIntVal())
                .containsExactly(9000);
        assertThat(management.getFrom()).hasSize(2);
        assertThat(management.getFrom().get(0).getNamespaceSelector().getMatchLabels())
                .isEqualTo(java.util.Map.of("kubernetes.io/metadata.name", "modproxy-system"));
        assertThat(management.getFrom().get(0).getPodSelector().getMatchLabels())
                .containsEntry("app.kubernetes.io/component", "operator");
        assertThat(management.getFrom().get(1).getNamespaceSelector().getMatchLabels())
                .isEqualTo(java.util.Map.of("kubernetes.io/metadata.name", "monitoring"));

        GoProxyCache elsewhere =
                cache("team-a", "builds", spec -> spec.getNetworkPolicy().setPrometheusNamespace("observability"));
        assertThat(ProxyNetworkPolicyDependent.desiredPolicy(elsewhere, "modproxy-system", "monitoring")
                        .getSpec()
                        .getIngress()
                        .get(1)
                        .getFrom()
                        .get(1)
                        .getNamespaceSelector()
                        .getMatchLabels())
                .containsEntry("kubernetes.io/metadata.name", "observability");
    }

    @Test
    void disruptionBudgetKeepsOnePodOfThisCache() {
        PodDisruptionBudget pdb = new ProxyDisruptionBudgetDependent().desired(cache, null);
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(CacheNames.selector(cache));
    }

    @Test
    void serviceMonitorScrapesTheMetricsPathWithTheRequestedLabels() {
        ServiceMonitor monitor = new ServiceMonitorDependent().desired(cache, null);
        assertThat(monitor.getMetadata().getLabels())
                .containsEntry("release", "prometheus")
                .containsEntry(CacheNames.MANAGED_BY_LABEL, CacheNames.MANAGER);
        assertThat(monitor.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getPort()).isEqualTo("management");
            assertThat(e.getPath()).isEqualTo("/q/metrics");
            assertThat(e.getInterval()).isEqualTo("30s");
        });
        // it selects the management Service, not the one build pods use
        var selector = monitor.getSpec().getSelector().getMatchLabels();
        assertThat(new ProxyManagementServiceDependent()
                        .desired(cache, null)
                        .getMetadata()
                        .getLabels()
                        .entrySet())
                .containsAll(selector.entrySet());
        assertThat(new ProxyServiceDependent()
                        .desired(cache, null)
                        .getMetadata()
                        .getLabels()
                        .entrySet())
                .doesNotContainAnyElementsOf(selector.entrySet().stream()
                        .filter(e -> e.getKey().equals(CacheNames.COMPONENT_LABEL))
                        .toList());
    }

    @Test
    void optionalDependentsAreWantedOnlyWhenTheSpecAsks() {
        assertThat(new Conditions.SeveralReplicas().isMet(null, cache, null)).isFalse();
        assertThat(new Conditions.SeveralReplicas().isMet(null, cache(spec -> spec.setReplicas(2)), null))
                .isTrue();
        assertThat(new Conditions.ServiceMonitorWanted().isMet(null, cache, null))
                .isTrue();
        assertThat(new Conditions.ServiceMonitorWanted().isMet(null, cache(spec -> {}), null))
                .isFalse();
        // the NetworkPolicy: off unless the spec or the operator's default turns it on
        assertThat(Conditions.NetworkPolicyWanted.isWanted(cache(spec -> {}), false))
                .isFalse();
        assertThat(Conditions.NetworkPolicyWanted.isWanted(cache(spec -> {}), true))
                .isTrue();
        assertThat(Conditions.NetworkPolicyWanted.isWanted(
                        cache(spec -> spec.getNetworkPolicy().setEnabled(true)), false))
                .isTrue();
        assertThat(Conditions.NetworkPolicyWanted.isWanted(
                        cache(spec -> spec.getNetworkPolicy().setEnabled(false)), true))
                .isFalse();
    }
}
