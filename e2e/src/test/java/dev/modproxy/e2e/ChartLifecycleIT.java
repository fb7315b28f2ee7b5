package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Release;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** helm install, upgrade and uninstall of helm/modproxy against the real API server (helm-java). */
@ExtendWith(ControlPlane.class)
@Order(2)
class ChartLifecycleIT {

    @Test
    void theChartInstallsUpgradesAndUninstallsKeepingTheCrd() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);

        Release installed = chart.install(Map.of());
        assertThat(installed.getStatus()).isEqualTo("deployed");
        assertThat(admin.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName("goproxycaches.modproxy.dev")
                        .get())
                .isNotNull();
        assertThat(admin.admissionRegistration()
                        .v1()
                        .mutatingWebhookConfigurations()
                        .withName("modproxy")
                        .get())
                .isNotNull();
        // kube-controller-manager and kwok run the chart's operator Deployment (a simulated pod, no JVM)
        await("the chart's operator Deployment available")
                .atMost(Duration.ofSeconds(60))
                .until(() -> readyReplicas(admin) == 1);

        Release upgraded = chart.upgrade(Map.of("operator.replicas", 2));
        assertThat(upgraded.getRevision()).isEqualTo("2");
        Deployment operator = admin.apps()
                .deployments()
                .inNamespace(ChartRelease.NAMESPACE)
                .withName("modproxy-operator")
                .get();
        assertThat(operator.getSpec().getReplicas()).isEqualTo(2);
        await("two operator replicas available").atMost(Duration.ofSeconds(60)).until(() -> readyReplicas(admin) == 2);

        chart.uninstall();
        await("the release's objects deleted")
                .atMost(Duration.ofSeconds(60))
                .until(() -> admin.apps()
                                        .deployments()
                                        .inNamespace(ChartRelease.NAMESPACE)
                                        .withName("modproxy-operator")
                                        .get()
                                == null
                        && admin.admissionRegistration()
                                        .v1()
                                        .mutatingWebhookConfigurations()
                                        .withName("modproxy")
                                        .get()
                                == null);
        // crds.keep (the default): caches and their volumes survive an uninstall
        assertThat(admin.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName("goproxycaches.modproxy.dev")
                        .get())
                .isNotNull();
    }

    private static int readyReplicas(KubernetesClient admin) {
        Deployment deployment = admin.apps()
                .deployments()
                .inNamespace(ChartRelease.NAMESPACE)
                .withName("modproxy-operator")
                .get();
        Integer ready = deployment == null || deployment.getStatus() == null
                ? null
                : deployment.getStatus().getReadyReplicas();
        return ready == null ? 0 : ready;
    }
}
