package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.util.List;
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
        ConfigMap config = new ProxyConfigMapDependent().desired(cache, null);
        assertThat(config.getMetadata().getName()).isEqualTo("builds-config");
        assertThat(config.getMetadata().getNamespace()).isEqualTo("team-a");
        assertThat(config.getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn,direct")
                .containsEntry("MODPROXY_SUMDB", "sum.golang.google.cn")
                .containsEntry("MODPROXY_NOSUMDB", "corp.example.com/*")
                .containsEntry("MODPROXY_STORAGE_DIR", "/var/cache/modproxy")
                .containsEntry("QUARKUS_HTTP_PORT", "8080")
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
        assertThat(CacheNames.url(cache)).isEqualTo("http://" + service.getMetadata().getName() + ".team-a.svc");
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
            assertThat(e.getPort()).isEqualTo("http");
            assertThat(e.getPath()).isEqualTo("/q/metrics");
            assertThat(e.getInterval()).isEqualTo("30s");
        });
    }

    @Test
    void optionalDependentsAreWantedOnlyWhenTheSpecAsks() {
        assertThat(new Conditions.SeveralReplicas().isMet(null, cache, null)).isFalse();
        assertThat(new Conditions.SeveralReplicas().isMet(null, cache(spec -> spec.setReplicas(2)), null)).isTrue();
        assertThat(new Conditions.ServiceMonitorWanted().isMet(null, cache, null)).isTrue();
        assertThat(new Conditions.ServiceMonitorWanted().isMet(null, cache(spec -> { }), null)).isFalse();
    }
}
