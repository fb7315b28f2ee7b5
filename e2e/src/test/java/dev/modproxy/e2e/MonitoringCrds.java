package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * prometheus-operator's own CRDs for the kinds modproxy makes (ServiceMonitor, PodMonitor, PrometheusRule), as it
 * publishes them (e2e/cluster/monitoring pins the version; cluster.sh build copies the files), installed where the
 * cluster has none, so the API server checks those objects against the schema a real cluster would. A cluster that
 * has them (one running the prometheus-operator, named by {@code MODPROXY_TEST_CLUSTER}) keeps its own, and only
 * what was installed here is deleted on {@link #close()}.
 */
public final class MonitoringCrds implements AutoCloseable {

    public static final ResourceDefinitionContext SERVICE_MONITOR = context("ServiceMonitor", "servicemonitors");
    public static final ResourceDefinitionContext POD_MONITOR = context("PodMonitor", "podmonitors");
    public static final ResourceDefinitionContext PROMETHEUS_RULE = context("PrometheusRule", "prometheusrules");

    private static final List<ResourceDefinitionContext> KINDS = List.of(SERVICE_MONITOR, POD_MONITOR, PROMETHEUS_RULE);

    private final KubernetesClient admin;
    private final List<String> installed;

    private MonitoringCrds(KubernetesClient admin, List<String> installed) {
        this.admin = admin;
        this.installed = installed;
    }

    /** Creates the CRDs the cluster lacks and waits until the API server serves them (Established). */
    public static MonitoringCrds installUnlessPresent(ControlPlane cluster) {
        KubernetesClient admin = cluster.admin();
        Path files = Path.of(Commands.run(
                        Map.of(),
                        Repository.root().resolve("e2e/cluster/cluster.sh").toString(),
                        "crds")
                .lastLine());
        List<String> installed = new ArrayList<>();
        List<String> command = new ArrayList<>(List.of("create"));
        for (ResourceDefinitionContext kind : KINDS) {
            String name = crdName(kind);
            if (admin.apiextensions()
                            .v1()
                            .customResourceDefinitions()
                            .withName(name)
                            .get()
                    == null) {
                installed.add(name);
                // created, not applied client-side: that would copy each schema (65 to 71 KB) into a
                // last-applied annotation, where a kubectl apply of other prometheus-operator CRDs (up to
                // 737 KB) fails on the 256 KB limit
                command.addAll(List.of(
                        "-f",
                        files.resolve("monitoring.coreos.com_" + kind.getPlural() + ".yaml")
                                .toString()));
            }
        }
        if (!installed.isEmpty()) {
            Commands.Result created = cluster.kubectl(command.toArray(String[]::new));
            assertThat(created.succeeded()).as(created.toString()).isTrue();
            List<String> wait = new ArrayList<>(List.of("wait", "--for=condition=Established", "--timeout=60s"));
            installed.forEach(name -> wait.add("crd/" + name));
            Commands.Result established = cluster.kubectl(wait.toArray(String[]::new));
            assertThat(established.succeeded()).as(established.toString()).isTrue();
        }
        return new MonitoringCrds(admin, List.copyOf(installed));
    }

    /** The CRDs this instance created; empty on a cluster that had them all. */
    public List<String> installed() {
        return installed;
    }

    /** Deletes what {@link #installUnlessPresent} created (and the objects of those kinds with them). */
    @Override
    public void close() {
        for (String name : installed) {
            admin.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(name)
                    .withTimeout(60, TimeUnit.SECONDS)
                    .delete();
        }
    }

    private static String crdName(ResourceDefinitionContext kind) {
        return kind.getPlural() + "." + kind.getGroup();
    }

    private static ResourceDefinitionContext context(String kind, String plural) {
        return new ResourceDefinitionContext.Builder()
                .withGroup("monitoring.coreos.com")
                .withVersion("v1")
                .withKind(kind)
                .withPlural(plural)
                .withNamespaced(true)
                .build();
    }
}
