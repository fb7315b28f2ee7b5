package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Release;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
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

    /**
     * `helm uninstall` keeps the CRD (crds.keep), still annotated as the uninstalled release's; a release of another
     * name or namespace (a reinstall elsewhere, a second team's operator) cannot take it over. Helm's own refusal
     * ("invalid ownership metadata") said nothing of crds.install; the chart's names the holder and both ways out.
     */
    @Test
    void aCrdKeptByAnotherReleaseIsRefusedWithWhatToDoInstead() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        chart.install(Map.of());
        chart.uninstall();
        assertThat(crdAnnotations(admin))
                .containsEntry("meta.helm.sh/release-name", ChartRelease.NAME)
                .containsEntry("meta.helm.sh/release-namespace", ChartRelease.NAMESPACE);

        String elsewhere = Namespaces.of("reinstall");
        assertThatThrownBy(() -> chart.install("gomods", elsewhere, Map.of("fullnameOverride", "gomods")))
                .hasMessageContaining("crds.install")
                .hasMessageContaining("release " + ChartRelease.NAME + " in namespace " + ChartRelease.NAMESPACE)
                .hasMessageContaining("--set crds.install=false")
                .hasMessageContaining(
                        "kubectl annotate crd goproxycaches.modproxy.dev meta.helm.sh/release-name=gomods "
                                + "meta.helm.sh/release-namespace=" + elsewhere);
        // the first way out: the release leaves the CRD alone
        try {
            Release beside =
                    chart.install("gomods", elsewhere, Map.of("fullnameOverride", "gomods", "crds.install", false));
            assertThat(beside.getStatus()).isEqualTo("deployed");
            assertThat(admin.apps()
                            .deployments()
                            .inNamespace(elsewhere)
                            .withName("gomods-operator")
                            .get())
                    .isNotNull();
        } finally {
            chart.uninstall("gomods", elsewhere);
        }
        // neither install touched the CRD: it is still the first release's
        assertThat(crdAnnotations(admin))
                .containsEntry("meta.helm.sh/release-name", ChartRelease.NAME)
                .containsEntry("meta.helm.sh/release-namespace", ChartRelease.NAMESPACE);
        // and that release, installed again where it was, takes it back
        assertThat(chart.install(Map.of()).getStatus()).isEqualTo("deployed");
        chart.uninstall();
        admin.namespaces().withName(elsewhere).delete();
    }

    /**
     * Review: a second release (another team's operator, in another namespace) with the default fullnameOverride
     * collides with the first on the cluster-wide objects named after it. helm refused it naming one ClusterRole
     * ("invalid ownership metadata; annotation validation error: key "meta.helm.sh/release-name" must equal ...")
     * and not the value to change; the chart now names the holder and fullnameOverride before anything is made.
     */
    @Test
    void aSecondReleaseWithTheFirstsFullnameIsToldToPickItsOwn() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        String elsewhere = Namespaces.of("second");
        chart.install(Map.of());
        try {
            assertThatThrownBy(() -> chart.install("team-b", elsewhere, Map.of("crds.install", false)))
                    .hasMessageContaining("fullnameOverride: the MutatingWebhookConfiguration modproxy")
                    .hasMessageContaining(
                            "belongs to release " + ChartRelease.NAME + " in namespace " + ChartRelease.NAMESPACE)
                    .hasMessageContaining("--set fullnameOverride=modproxy-team-b");
            // refused before anything was made: not even the namespace helm's --create-namespace would have made
            assertThat(admin.namespaces().withName(elsewhere).get()).isNull();

            Release beside = chart.install(
                    "team-b", elsewhere, Map.of("crds.install", false, "fullnameOverride", "modproxy-team-b"));
            assertThat(beside.getStatus()).isEqualTo("deployed");
            assertThat(admin.admissionRegistration()
                            .v1()
                            .mutatingWebhookConfigurations()
                            .withName("modproxy-team-b")
                            .get())
                    .isNotNull();
            // and the first release still upgrades: its own MutatingWebhookConfiguration is no collision
            assertThat(chart.upgrade(Map.of()).getRevision()).isEqualTo("2");
        } finally {
            chart.uninstall("team-b", elsewhere);
            chart.uninstall();
            admin.namespaces().withName(elsewhere).delete();
        }
    }

    /**
     * A watched namespace that does not exist: the API server refused its Role after the objects before it had been
     * made, leaving a failed release (`namespaces "team-..." not found`, twice). The chart now says so before
     * anything is made.
     */
    @Test
    void aWatchedNamespaceThatDoesNotExistIsNamedBeforeAnythingIsMade() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        String missing = Namespaces.of("not-made-yet");
        String release = Namespaces.of("watching");
        // crds.install=false: whichever test ran before, the CRD the first one keeps is not this release's
        Map<String, Object> values =
                Map.of("fullnameOverride", "watching", "crds.install", false, "watchNamespaces[0]", missing);
        assertThatThrownBy(() -> chart.install("watching", release, values))
                .hasMessageContaining("watchNamespaces: " + missing + " not found")
                .hasMessageContaining("kubectl create namespace " + missing);
        // nothing of the release was made: not even the namespace helm's --create-namespace would have created
        assertThat(admin.namespaces().withName(release).get()).isNull();
        assertThat(admin.rbac().clusterRoles().withName("watching-operator").get())
                .isNull();

        Namespaces.ensure(admin, missing);
        try {
            Release installed = chart.install("watching", release, values);
            assertThat(installed.getStatus()).isEqualTo("deployed");
            assertThat(admin.rbac()
                            .roles()
                            .inNamespace(missing)
                            .withName("watching-operator-caches")
                            .get())
                    .isNotNull();
        } finally {
            chart.uninstall("watching", release);
            admin.namespaces().withName(release).delete();
            admin.namespaces().withName(missing).delete();
        }
    }

    /**
     * Review: grafana.dashboard.namespace or prometheusRule.namespace naming a namespace that does not exist left a
     * failed release, its ServiceAccount, Role and Service made ("server-side apply failed for object
     * grafana-missing/g1-grafana-dashboard /v1, Kind=ConfigMap: namespaces "grafana-missing" not found", helm 4.3.2),
     * as a missing watched namespace did. The chart now names the value before anything is made.
     */
    @Test
    void aDashboardOrAlertNamespaceThatDoesNotExistIsNamedBeforeAnythingIsMade() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        String missing = Namespaces.of("no-grafana-yet");
        String release = Namespaces.of("dashboards");
        Map<String, Object> dashboard = Map.of(
                "fullnameOverride",
                "dashboards",
                "crds.install",
                false,
                "grafana.dashboard.enabled",
                true,
                "grafana.dashboard.namespace",
                missing);
        assertThatThrownBy(() -> chart.install("dashboards", release, dashboard))
                .hasMessageContaining("grafana.dashboard.namespace: " + missing + " not found")
                .hasMessageContaining("kubectl create namespace " + missing);
        // the PrometheusRule's namespace is asked before helm looks for the prometheus-operator's CRD
        assertThatThrownBy(() -> chart.install(
                        "dashboards",
                        release,
                        Map.of(
                                "fullnameOverride",
                                "dashboards",
                                "crds.install",
                                false,
                                "prometheusRule.enabled",
                                true,
                                "prometheusRule.namespace",
                                missing)))
                .hasMessageContaining("prometheusRule.namespace: " + missing + " not found");
        // nothing of the release was made: not even the namespace helm's --create-namespace would have created
        assertThat(admin.namespaces().withName(release).get()).isNull();
        assertThat(admin.rbac().clusterRoles().withName("dashboards-operator").get())
                .isNull();

        Namespaces.ensure(admin, missing);
        try {
            Release installed = chart.install("dashboards", release, dashboard);
            assertThat(installed.getStatus()).isEqualTo("deployed");
            assertThat(admin.configMaps()
                            .inNamespace(missing)
                            .withName("dashboards-grafana-dashboard")
                            .get())
                    .isNotNull();
        } finally {
            chart.uninstall("dashboards", release);
            admin.namespaces().withName(release).delete();
            admin.namespaces().withName(missing).delete();
        }
    }

    /**
     * Review: operator.priorityClassName naming no PriorityClass gave a release helm reported deployed whose operator
     * never started: the ReplicaSet's only word was an event ("pods ... is forbidden: no PriorityClass with name
     * ci-critical was found"), and the webhook, never answering, let every pod through unchanged. The chart now
     * refuses it before anything is made; a class the cluster has is taken.
     */
    @Test
    void aPriorityClassThatDoesNotExistIsNamedBeforeAnythingIsMade() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        String release = Namespaces.of("prioritised");
        String priorityClass = release + "-critical";
        Map<String, Object> values = Map.of(
                "fullnameOverride", "prioritised", "crds.install", false, "operator.priorityClassName", priorityClass);
        assertThatThrownBy(() -> chart.install("prioritised", release, values))
                .hasMessageContaining("operator.priorityClassName: PriorityClass " + priorityClass + " not found");
        assertThat(admin.namespaces().withName(release).get()).isNull();

        admin.scheduling()
                .v1()
                .priorityClasses()
                .resource(new PriorityClassBuilder()
                        .withNewMetadata()
                        .withName(priorityClass)
                        .endMetadata()
                        .withValue(100000)
                        .build())
                .create();
        try {
            assertThat(chart.install("prioritised", release, values).getStatus())
                    .isEqualTo("deployed");
            await("the operator pod created with the PriorityClass")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> admin.pods().inNamespace(release).list().getItems().stream()
                            .anyMatch(pod -> priorityClass.equals(pod.getSpec().getPriorityClassName())));
        } finally {
            chart.uninstall("prioritised", release);
            admin.namespaces().withName(release).delete();
            admin.scheduling().v1().priorityClasses().withName(priorityClass).delete();
        }
    }

    /**
     * Review: the chart makes no PriorityClass, so an installer's role may leave them out; helm's lookup then stops the
     * render with its own error ("error calling lookup: priorityclasses.scheduling.k8s.io "system-cluster-critical" is
     * forbidden"), and such an installer, who installed with a built-in class before the check, could not. The
     * built-in classes are in every cluster and are no longer asked for; any other name still is (docs/install.md).
     */
    @Test
    void anInstallerThatMayNotReadPriorityClassesInstallsWithABuiltInOne() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        String release = Namespaces.of("restricted");
        String installer = release + "-installer";
        // everything the chart makes (and RBAC's escalate and bind, to grant its roles), but no scheduling.k8s.io
        admin.rbac()
                .clusterRoles()
                .resource(new ClusterRoleBuilder()
                        .withNewMetadata()
                        .withName(installer)
                        .endMetadata()
                        .addNewRule()
                        .withApiGroups(
                                "",
                                "apps",
                                "rbac.authorization.k8s.io",
                                "admissionregistration.k8s.io",
                                "apiextensions.k8s.io",
                                "policy",
                                "coordination.k8s.io")
                        .withResources("*")
                        .withVerbs("*")
                        .endRule()
                        .build())
                .create();
        admin.rbac()
                .clusterRoleBindings()
                .resource(new ClusterRoleBindingBuilder()
                        .withNewMetadata()
                        .withName(installer)
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", installer)
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withNamespace("default")
                        .withName(installer)
                        .endSubject()
                        .build())
                .create();
        admin.serviceAccounts()
                .inNamespace("default")
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(installer)
                        .endMetadata()
                        .build())
                .create();
        try {
            String kubeconfig = kubeconfigOf(cluster, tokenOf(admin, installer));
            assertThat(cluster.kubectl(
                                    "--as",
                                    "system:serviceaccount:default:" + installer,
                                    "auth",
                                    "can-i",
                                    "get",
                                    "priorityclasses")
                            .stdout()
                            .strip())
                    .isEqualTo("no");
            Release installed = chart.installAs(
                    kubeconfig,
                    "restricted",
                    release,
                    Map.of(
                            "fullnameOverride",
                            "restricted",
                            "crds.install",
                            false,
                            "operator.priorityClassName",
                            "system-cluster-critical"));
            assertThat(installed.getStatus()).isEqualTo("deployed");
            await("the operator pod created with the PriorityClass")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> admin.pods().inNamespace(release).list().getItems().stream()
                            .anyMatch(pod -> "system-cluster-critical"
                                    .equals(pod.getSpec().getPriorityClassName())));

            // any other name is asked of the cluster, and helm's lookup error says which permission is missing
            assertThatThrownBy(() -> chart.installAs(
                            kubeconfig,
                            "restricted-too",
                            release,
                            Map.of(
                                    "fullnameOverride",
                                    "restricted-too",
                                    "crds.install",
                                    false,
                                    "operator.priorityClassName",
                                    "ci-critical")))
                    .hasMessageContaining("error calling lookup")
                    .hasMessageContaining("cannot get resource \"priorityclasses\"");
        } finally {
            chart.uninstall("restricted", release);
            admin.namespaces().withName(release).delete();
            admin.rbac().clusterRoleBindings().withName(installer).delete();
            admin.rbac().clusterRoles().withName(installer).delete();
            admin.serviceAccounts().inNamespace("default").withName(installer).delete();
        }
    }

    /** A kubeconfig of the cluster authenticating with {@code token}, as an installer's CI job holds one. */
    private static String kubeconfigOf(ControlPlane cluster, String token) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: cluster
                    cluster:
                      server: %s
                      certificate-authority-data: %s
                users:
                  - name: installer
                    user:
                      token: %s
                contexts:
                  - name: installer
                    context: {cluster: cluster, user: installer}
                current-context: installer
                """.formatted(
                cluster.apiServerUrl(),
                Base64.getEncoder().encodeToString(cluster.caCertificate().getBytes(StandardCharsets.UTF_8)),
                token);
    }

    private static String tokenOf(KubernetesClient admin, String serviceAccount) {
        return admin.serviceAccounts()
                .inNamespace("default")
                .withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(3600L)
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
    }

    /**
     * Review: helm install --create-namespace renders the chart before it creates the release namespace, so a release
     * that watches its own namespace (caches beside the operator) was refused as watching a namespace that does not
     * exist, though helm was about to create it.
     */
    @Test
    void aReleaseThatWatchesItsOwnNamespaceInstallsWithCreateNamespace() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        String release = Namespaces.of("watches-itself");
        Map<String, Object> values =
                Map.of("fullnameOverride", "watches-itself", "crds.install", false, "watchNamespaces[0]", release);
        try {
            Release installed = chart.install("watches-itself", release, values);
            assertThat(installed.getStatus()).isEqualTo("deployed");
        } finally {
            try {
                chart.uninstall("watches-itself", release);
            } catch (RuntimeException notInstalled) {
                // refused before anything was made
            }
            admin.namespaces().withName(release).delete();
        }
    }

    /**
     * Review: the chart offered nothing that scrapes the operator's /q/metrics (the dashboard's webhook panel). The
     * PodMonitor operator.podMonitor renders is accepted by the API server, in the namespace asked for, and its
     * selector, in the namespace it names, finds exactly the operator's pods, on a port they have. The cluster has no
     * prometheus-operator: the test installs prometheus-operator's own CRDs (MonitoringCrds) when there are none, and
     * deletes them. Under their schema the PodMonitor and the PrometheusRule (prometheusRule.enabled) are stored with
     * the spec helm sent (the release's manifest), field for field: a field the schema does not know is dropped by the API server with
     * no more than a warning, which a misspelt or misplaced field in a template would be. The CRD does not check the
     * alerts' PromQL (a string to it).
     */
    @Test
    void theOperatorsPodMonitorFindsTheOperatorsPods() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        String release = Namespaces.of("scraped");
        String monitoring = Namespaces.of("monitoring");
        Map<String, Object> values = Map.ofEntries(
                Map.entry("fullnameOverride", "scraped"),
                Map.entry("crds.install", false),
                Map.entry("operator.replicas", 2),
                Map.entry("operator.podMonitor.enabled", true),
                Map.entry("operator.podMonitor.namespace", monitoring),
                Map.entry("operator.podMonitor.labels.release", "kube-prometheus-stack"),
                Map.entry("prometheusRule.enabled", true),
                Map.entry("prometheusRule.namespace", monitoring),
                Map.entry("prometheusRule.labels.release", "kube-prometheus-stack"),
                Map.entry("prometheusRule.additionalAlertLabels.team", "platform"),
                Map.entry("prometheusRule.runbookBaseUrl", "https://git.example.com/modproxy/docs/troubleshooting.md"));
        MonitoringCrds crds = MonitoringCrds.installUnlessPresent(cluster);
        Namespaces.ensure(admin, monitoring);
        try {
            Release installed = chart.install("scraped", release, values);
            assertThat(installed.getStatus()).isEqualTo("deployed");
            GenericKubernetesResource monitor = admin.genericKubernetesResources(MonitoringCrds.POD_MONITOR)
                    .inNamespace(monitoring)
                    .withName("scraped-operator")
                    .get();
            assertThat(monitor).as("PodMonitor %s/scraped-operator", monitoring).isNotNull();
            assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack");
            GenericKubernetesResource rule = admin.genericKubernetesResources(MonitoringCrds.PROMETHEUS_RULE)
                    .inNamespace(monitoring)
                    .withName("scraped-alerts")
                    .get();
            assertThat(rule).as("PrometheusRule %s/scraped-alerts", monitoring).isNotNull();
            Map<String, GenericKubernetesResource> sent = ChartRelease.manifest(admin, "scraped", release);
            assertThat(monitor.getAdditionalProperties().get("spec"))
                    .as("spec of the PodMonitor as the API server stored it, against what helm sent")
                    .isEqualTo(sent.get("PodMonitor/scraped-operator")
                            .getAdditionalProperties()
                            .get("spec"));
            assertThat(rule.getAdditionalProperties().get("spec"))
                    .as("spec of the PrometheusRule as the API server stored it, against what helm sent")
                    .isEqualTo(sent.get("PrometheusRule/scraped-alerts")
                            .getAdditionalProperties()
                            .get("spec"));
            List<Map<String, Object>> groups = rule.get("spec", "groups");
            assertThat(groups)
                    .isNotEmpty()
                    .allSatisfy(
                            group -> assertThat((List<?>) group.get("rules")).isNotEmpty());

            // what Prometheus would do with it: list the pods its selector matches in the namespaces it names
            List<String> namespaces = monitor.get("spec", "namespaceSelector", "matchNames");
            Map<String, String> selector = monitor.get("spec", "selector", "matchLabels");
            List<Map<String, Object>> endpoints = monitor.get("spec", "podMetricsEndpoints");
            assertThat(namespaces).containsExactly(release);
            await("both operator pods running")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> admin.pods().inNamespace(release).withLabels(selector).list().getItems().stream()
                                    .filter(pod ->
                                            "Running".equals(pod.getStatus().getPhase()))
                                    .count()
                            == 2);
            List<Pod> scraped = admin.pods()
                    .inNamespace(release)
                    .withLabels(selector)
                    .list()
                    .getItems();
            Deployment operator = admin.apps()
                    .deployments()
                    .inNamespace(release)
                    .withName("scraped-operator")
                    .get();
            assertThat(scraped).allSatisfy(pod -> {
                assertThat(pod.getMetadata().getOwnerReferences().get(0).getName())
                        .startsWith(operator.getMetadata().getName() + "-");
                assertThat(pod.getSpec().getContainers().get(0).getPorts()).anySatisfy(port -> {
                    assertThat(port.getName()).isEqualTo(endpoints.get(0).get("port"));
                    assertThat(port.getContainerPort()).isEqualTo(8080);
                });
            });
            assertThat(endpoints.get(0)).containsEntry("path", "/q/metrics");
        } finally {
            try {
                chart.uninstall("scraped", release);
                admin.namespaces().withName(release).delete();
                admin.namespaces().withName(monitoring).delete();
            } finally {
                crds.close();
            }
        }
    }

    /**
     * Moving from deploy/modproxy.yaml to the chart (docs/upgrade.md, "From the plain manifests to Helm"): helm refuses
     * objects that carry no release's annotations, and the chart's own look-ups refuse them before helm's
     * --take-ownership (helm 3.17+) could matter, naming the way out; annotated as the release's (the CRD labelled
     * managed-by Helm too), the same objects are taken over by helm install (helm-java, helm 3's client-side apply)
     * without a new ReplicaSet or pod, upgraded, and an uninstall keeps the CRD and the caches.
     */
    @Test
    void thePlainManifestsOperatorIsHandedToAHelmReleaseWithoutARestart() {
        ControlPlane cluster = ControlPlane.shared();
        KubernetesClient admin = cluster.admin();
        ChartRelease chart = new ChartRelease(cluster);
        String manifests = Repository.root().resolve("deploy/modproxy.yaml").toString();
        String team = Namespaces.of("kept");
        Commands.Result applied = cluster.kubectl("apply", "-f", manifests);
        assertThat(applied.succeeded()).as(applied.toString()).isTrue();
        try {
            await("the plain manifests' operator available")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> readyReplicas(admin) == 1);
            Namespaces.ensure(admin, team);
            Commands.Result cache = cluster.kubectlWithInput("""
                    apiVersion: modproxy.dev/v1alpha1
                    kind: GoProxyCache
                    metadata:
                      name: builds
                    spec: {}
                    """, "apply", "-n", team, "-f", "-");
            assertThat(cache.succeeded()).as(cache.toString()).isTrue();
            String cacheUid = goProxyCacheUid(admin, team);
            String deploymentUid = operatorDeployment(admin).getMetadata().getUid();
            List<String> podsBefore = operatorPodUids(admin);

            // the chart's own look-ups stop the install, naming the way out (helm's --take-ownership, which helm-java
            // 0.0.17 cannot pass, stops there too: helm 4.3.2 by hand, docs/upgrade.md)
            assertThatThrownBy(() -> chart.install(Map.of()))
                    .hasMessageContaining("belongs to no Helm release")
                    .hasMessageContaining("docs/upgrade.md, From the plain manifests to Helm");

            // docs/upgrade.md's commands
            Commands.Result annotated = cluster.kubectl(
                    "annotate",
                    "-f",
                    manifests,
                    "meta.helm.sh/release-name=" + ChartRelease.NAME,
                    "meta.helm.sh/release-namespace=" + ChartRelease.NAMESPACE,
                    "--overwrite");
            assertThat(annotated.succeeded()).as(annotated.toString()).isTrue();
            Commands.Result notTheNamespace = cluster.kubectl(
                    "annotate",
                    "namespace",
                    ChartRelease.NAMESPACE,
                    "meta.helm.sh/release-name-",
                    "meta.helm.sh/release-namespace-");
            assertThat(notTheNamespace.succeeded())
                    .as(notTheNamespace.toString())
                    .isTrue();
            Commands.Result labelled = cluster.kubectl(
                    "label", "crd", "goproxycaches.modproxy.dev", "app.kubernetes.io/managed-by=Helm", "--overwrite");
            assertThat(labelled.succeeded()).as(labelled.toString()).isTrue();

            Release installed = chart.install(Map.of());
            assertThat(installed.getStatus()).isEqualTo("deployed");
            assertThat(operatorDeployment(admin).getMetadata().getUid()).isEqualTo(deploymentUid);
            assertThat(admin.apps()
                            .replicaSets()
                            .inNamespace(ChartRelease.NAMESPACE)
                            .list()
                            .getItems())
                    .as("no new ReplicaSet: the pod template is the plain manifests' own")
                    .hasSize(1);
            assertThat(operatorPodUids(admin)).isEqualTo(podsBefore);
            assertThat(readyReplicas(admin)).isEqualTo(1);

            Release upgraded = chart.upgrade(Map.of("operator.replicas", 2, "webhook.timeoutSeconds", 5));
            assertThat(upgraded.getStatus()).isEqualTo("deployed");
            await("two operator replicas available")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> readyReplicas(admin) == 2);

            chart.uninstall();
            await("the release's Deployment deleted")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> operatorDeployment(admin) == null);
            assertThat(goProxyCacheUid(admin, team))
                    .as("the cache, and so the CRD, kept")
                    .isEqualTo(cacheUid);
            // the Namespace was never the release's: it stays, with its Pod Security labels
            assertThat(admin.namespaces()
                            .withName(ChartRelease.NAMESPACE)
                            .get()
                            .getMetadata()
                            .getLabels())
                    .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        } finally {
            try {
                chart.uninstall();
            } catch (RuntimeException notInstalled) {
                // uninstalled above, or never installed
            }
            admin.namespaces().withName(team).delete();
            // what the plain manifests made and no uninstall removed, should the hand-over have failed (the CRD stays,
            // as every uninstall leaves it)
            cluster.kubectl(
                    "delete",
                    "clusterrole,clusterrolebinding,mutatingwebhookconfiguration",
                    "-l",
                    "app.kubernetes.io/instance=" + ChartRelease.NAME,
                    "--ignore-not-found");
            cluster.kubectl(
                    "delete",
                    "-n",
                    ChartRelease.NAMESPACE,
                    "deployment,service,serviceaccount,role,rolebinding",
                    "-l",
                    "app.kubernetes.io/instance=" + ChartRelease.NAME,
                    "--ignore-not-found");
        }
    }

    private static Deployment operatorDeployment(KubernetesClient admin) {
        return admin.apps()
                .deployments()
                .inNamespace(ChartRelease.NAMESPACE)
                .withName("modproxy-operator")
                .get();
    }

    private static List<String> operatorPodUids(KubernetesClient admin) {
        return admin.pods().inNamespace(ChartRelease.NAMESPACE).list().getItems().stream()
                .map(pod -> pod.getMetadata().getUid())
                .sorted()
                .toList();
    }

    private static String goProxyCacheUid(KubernetesClient admin, String namespace) {
        return admin.genericKubernetesResources("modproxy.dev/v1alpha1", "GoProxyCache")
                .inNamespace(namespace)
                .withName("builds")
                .get()
                .getMetadata()
                .getUid();
    }

    private static Map<String, String> crdAnnotations(KubernetesClient admin) {
        return admin.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("goproxycaches.modproxy.dev")
                .get()
                .getMetadata()
                .getAnnotations();
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
