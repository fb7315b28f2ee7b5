package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.api.v1alpha1.ProxyTuning;
import dev.modproxy.operator.api.v1alpha1.Warmup;
import dev.modproxy.operator.api.v1alpha1.WarmupState;
import dev.modproxy.operator.api.v1alpha1.WarmupStatus;
import dev.modproxy.operator.cluster.ClusterUnderTest;
import dev.modproxy.operator.cluster.JosdkTimerRace;
import dev.modproxy.operator.cluster.ProxyStandIn;
import dev.modproxy.operator.cluster.TestRun;
import dev.modproxy.operator.dependent.CacheNames;
import dev.modproxy.operator.status.CacheStatusCalculator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.http.HttpClosedException;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.LogRecord;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator running against an API server: the mock server in CRUD mode here, or a real cluster with
 * MODPROXY_TEST_CLUSTER=kubeconfig. Objects are only observed through the API, never through the operator.
 */
@QuarkusTest
@QuarkusTestResource(ClusterUnderTest.class)
@QuarkusTestResource(ProxyStandIn.class)
class GoProxyCacheReconcilerTest {

    private static final Duration PATIENCE = Duration.ofSeconds(ClusterUnderTest.isReal() ? 180 : 30);

    @Inject
    KubernetesClient client;

    private final List<String> namespaces = new ArrayList<>();

    @AfterEach
    void deleteNamespaces() {
        namespaces.forEach(ns -> client.namespaces().withName(ns).delete());
    }

    @Test
    void newCacheGetsConfigMapVolumeDeploymentAndServiceRenderedFromItsSpec() {
        String ns = namespace();
        GoProxyCache cache = create(ns, "builds", spec -> {
            spec.setUpstream("https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct");
            spec.setPrivate(List.of("git.corp.example.com/*"));
            spec.setNoSumDB(List.of("corp.example.com/*", "internal.example.com"));
        });

        ConfigMap config = awaitObject(ConfigMap.class, ns, "builds-config");
        assertThat(config.getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct")
                .containsEntry("MODPROXY_PRIVATE", "git.corp.example.com/*")
                .containsEntry("MODPROXY_NOSUMDB", "corp.example.com/*,internal.example.com")
                .containsEntry("MODPROXY_SUMDB", "sum.golang.org")
                .containsEntry("MODPROXY_STORAGE_DIR", "/var/cache/modproxy");

        PersistentVolumeClaim claim = awaitObject(PersistentVolumeClaim.class, ns, "builds-cache");
        assertThat(claim.getSpec().getResources().getRequests().get("storage")).isEqualTo(new Quantity("10Gi"));
        assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");

        Deployment deployment = awaitObject(Deployment.class, ns, "builds");
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        var container =
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("ghcr.io/modproxy/proxy:test");
        assertThat(container.getEnvFrom().get(0).getConfigMapRef().getName()).isEqualTo("builds-config");
        assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(v ->
                        assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("builds-cache"));

        Service service = awaitObject(Service.class, ns, "builds");
        assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(80);
        assertThat(service.getSpec().getSelector()).isEqualTo(CacheNames.selector(cache));

        // the admin API and metrics are reached through a Service of their own; the one builds use has port 80 only
        assertThat(service.getSpec().getPorts()).hasSize(1);
        Service management = awaitObject(Service.class, ns, "builds-management");
        assertThat(management.getSpec().getPorts())
                .singleElement()
                .satisfies(p -> assertThat(p.getPort()).isEqualTo(9000));
        assertThat(management.getSpec().getSelector()).isEqualTo(CacheNames.selector(cache));
        assertThat(get(NetworkPolicy.class, ns, "builds"))
                .as("NetworkPolicy is off by default")
                .isNull();

        String operatorVersion = ConfigProvider.getConfig().getValue("quarkus.application.version", String.class);
        assertThat(operatorVersion).isNotBlank();
        for (HasMetadata owned : List.of(config, claim, deployment, service, management)) {
            assertThat(owned.getMetadata().getLabels())
                    .containsEntry("app.kubernetes.io/managed-by", "modproxy-operator")
                    .containsEntry("app.kubernetes.io/instance", "builds")
                    .containsEntry("app.kubernetes.io/version", operatorVersion);
            assertOwnedBy(owned, fresh(cache).getMetadata().getUid());
        }
        // it changes at every operator upgrade: a selector cannot follow (a Deployment's is immutable), and in the
        // pod template it would roll every cache's pods, those pinned to an image too
        assertThat(deployment.getSpec().getSelector().getMatchLabels()).isEqualTo(CacheNames.selector(cache));
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .doesNotContainKey("app.kubernetes.io/version");
        assertThat(client.resources(PodDisruptionBudget.class)
                        .inNamespace(ns)
                        .withName("builds")
                        .get())
                .isNull();
    }

    @Test
    void cacheOnObjectStorageGetsBucketSettingsSecretCredentialsAndNoVolume() {
        String ns = namespace();
        create(ns, "shared", spec -> {
            ObjectStorage bucket = new ObjectStorage();
            bucket.setEndpoint("http://minio.storage.svc:9000");
            bucket.setBucket("go-modules");
            bucket.setCredentialsSecret("minio-keys");
            spec.setObjectStorage(bucket);
            spec.setReplicas(3);
            spec.getStorage().setHighWatermark(80);
            spec.getStorage().setLowWatermark(50);
        });

        assertThat(awaitObject(ConfigMap.class, ns, "shared-config").getData())
                .containsEntry("MODPROXY_STORAGE_TYPE", "s3")
                .containsEntry("MODPROXY_S3_BUCKET", "go-modules")
                .containsEntry("MODPROXY_S3_ENDPOINT", "http://minio.storage.svc:9000")
                .containsEntry("MODPROXY_EVICTION_HIGH_WATERMARK", "80%")
                .containsEntry("MODPROXY_EVICTION_LOW_WATERMARK", "50%")
                .doesNotContainKeys("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
        Deployment deployment = awaitObject(Deployment.class, ns, "shared");
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(deployment
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getEnv())
                .extracting(e ->
                        e.getName() + "<-" + e.getValueFrom().getSecretKeyRef().getName() + "/"
                                + e.getValueFrom().getSecretKeyRef().getKey())
                .containsExactly(
                        "AWS_ACCESS_KEY_ID<-minio-keys/AWS_ACCESS_KEY_ID",
                        "AWS_SECRET_ACCESS_KEY<-minio-keys/AWS_SECRET_ACCESS_KEY");
        assertOwnedBy(
                awaitObject(PodDisruptionBudget.class, ns, "shared"),
                fresh(ns, "shared").getMetadata().getUid());
        assertThat(get(PersistentVolumeClaim.class, ns, "shared-cache")).isNull();
    }

    /**
     * The egress proxy's login stays in its Secret: the operator names the Secret in the pod template and writes
     * nothing of its value into any object, the ConfigMap and the cache's status included.
     */
    @Test
    void anEgressProxyLoginIsNamedNeverCopied() {
        String ns = namespace();
        String login = "build%40corp:Sup3r-s3cret";
        client.secrets()
                .inNamespace(ns)
                .resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                        .withNewMetadata()
                        .withName("egress-login")
                        .endMetadata()
                        .addToStringData("login", login)
                        .build())
                .create();
        create(ns, "behind", spec -> {
            spec.setEgressProxy(new dev.modproxy.operator.api.v1alpha1.EgressProxy());
            spec.getEgressProxy().setHttpsProxy("http://proxy.corp.example.com:3128");
            spec.getEgressProxy().setLoginSecretRef(new dev.modproxy.operator.api.v1alpha1.EgressProxyLogin());
            spec.getEgressProxy().getLoginSecretRef().setName("egress-login");
        });

        Deployment deployment = awaitObject(Deployment.class, ns, "behind");
        List<EnvVar> env = deployment
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv();
        assertThat(env).extracting(EnvVar::getName).startsWith("EGRESS_PROXY_LOGIN", "HTTPS_PROXY");
        assertThat(env.get(0).getValueFrom().getSecretKeyRef().getName()).isEqualTo("egress-login");
        assertThat(env.get(1).getValue()).isEqualTo("http://$(EGRESS_PROXY_LOGIN)@proxy.corp.example.com:3128");
        ConfigMap config = awaitObject(ConfigMap.class, ns, "behind-config");
        assertThat(config.getData()).doesNotContainKeys("HTTPS_PROXY", "HTTP_PROXY");
        await().atMost(PATIENCE).until(() -> fresh(ns, "behind").getStatus() != null);

        List<HasMetadata> written = new ArrayList<>();
        written.addAll(client.configMaps().inNamespace(ns).list().getItems());
        written.addAll(client.apps().deployments().inNamespace(ns).list().getItems());
        written.addAll(client.services().inNamespace(ns).list().getItems());
        written.addAll(client.persistentVolumeClaims().inNamespace(ns).list().getItems());
        written.addAll(client.resources(PodDisruptionBudget.class)
                .inNamespace(ns)
                .list()
                .getItems());
        written.addAll(
                client.network().v1().networkPolicies().inNamespace(ns).list().getItems());
        written.add(fresh(ns, "behind"));
        assertThat(written).hasSizeGreaterThanOrEqualTo(4);
        String base64 =
                java.util.Base64.getEncoder().encodeToString(login.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (HasMetadata object : written) {
            assertThat(io.fabric8.kubernetes.client.utils.Serialization.asYaml(object))
                    .as(object.getKind() + " " + object.getMetadata().getName())
                    .doesNotContain("Sup3r-s3cret", "build%40corp", base64);
        }
    }

    @Test
    void movingADiskCacheToObjectStorageDropsItsVolumeButKeepsTheDeployment() {
        String ns = namespace();
        create(ns, "moving", spec -> {});
        awaitObject(PersistentVolumeClaim.class, ns, "moving-cache");
        String deploymentUid =
                awaitObject(Deployment.class, ns, "moving").getMetadata().getUid();

        edit(ns, "moving", spec -> {
            ObjectStorage bucket = new ObjectStorage();
            bucket.setBucket("go-modules");
            spec.setObjectStorage(bucket);
        });
        await().atMost(PATIENCE).until(() -> get(PersistentVolumeClaim.class, ns, "moving-cache") == null);
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(get(Deployment.class, ns, "moving")
                                .getSpec()
                                .getTemplate()
                                .getSpec()
                                .getVolumes())
                        .anySatisfy(v -> assertThat(v.getEmptyDir())
                                .isNotNull()
                                .satisfies(e -> assertThat(v.getName()).isEqualTo("cache"))));
        assertThat(get(Deployment.class, ns, "moving").getMetadata().getUid()).isEqualTo(deploymentUid);
    }

    @Test
    void cacheIsReadyWithItsUrlOnlyOnceTheDeploymentIsAvailable() {
        String ns = namespace();
        // no node has this OS: on a real cluster the pod stays Pending and the Deployment unavailable
        create(ns, "ready", spec -> spec.setNodeSelector(Map.of("kubernetes.io/os", "none")));
        awaitObject(Deployment.class, ns, "ready");
        await().atMost(PATIENCE).untilAsserted(() -> {
            GoProxyCache seen = fresh(ns, "ready");
            assertCondition(seen, CacheCondition.READY, "False");
            assertThat(seen.getStatus().getObservedGeneration())
                    .isEqualTo(seen.getMetadata().getGeneration());
        });

        // changed, not removed: without server-side apply (the test profile) a removed field is not taken back
        edit(ns, "ready", spec -> spec.setNodeSelector(Map.of("kubernetes.io/os", "linux")));
        await().atMost(PATIENCE)
                .until(() -> "linux"
                        .equals(get(Deployment.class, ns, "ready")
                                .getSpec()
                                .getTemplate()
                                .getSpec()
                                .getNodeSelector()
                                .get("kubernetes.io/os")));
        markAvailable(ns, "ready");

        await().atMost(PATIENCE).untilAsserted(() -> {
            GoProxyCache seen = fresh(ns, "ready");
            assertCondition(seen, CacheCondition.READY, "True");
            assertCondition(seen, CacheCondition.DEGRADED, "False");
            assertThat(seen.getStatus().getUrl()).isEqualTo("http://ready." + ns + ".svc");
            assertThat(seen.getStatus().getReadyReplicas()).isEqualTo(1);
            // the scale subresource's status: the Deployment's pods and, spelt out, its selector
            assertThat(seen.getStatus().getReplicas()).isEqualTo(1);
            assertThat(seen.getStatus().getSelector())
                    .isEqualTo("app.kubernetes.io/component=proxy,app.kubernetes.io/instance=ready,"
                            + "app.kubernetes.io/name=modproxy");
        });
        assertThat(get(Deployment.class, ns, "ready").getSpec().getSelector().getMatchLabels())
                .isEqualTo(Map.of(
                        "app.kubernetes.io/component", "proxy",
                        "app.kubernetes.io/instance", "ready",
                        "app.kubernetes.io/name", "modproxy"));
    }

    @Test
    void aReadyCacheShowsTheFiguresItsProxyReports() {
        String ns = namespace();
        create(ns, "counted", spec -> {});
        markAvailable(ns, "counted");
        await().atMost(PATIENCE).untilAsserted(() -> {
            var figures = status(ns, "counted").getCache();
            assertThat(figures).as("status.cache").isNotNull();
            assertThat(figures.getSizeUsed()).isEqualTo("3.2Gi");
            assertThat(figures.getEntries()).isEqualTo(1200);
            assertThat(figures.getHitRatio()).isEqualTo("0.93");
            assertThat(figures.getEvictions()).isEqualTo(12);
            assertThat(figures.getLastWarmup()).isEqualTo("2026-11-23T22:00:00Z");
        });
        assertThat(condition(fresh(ns, "counted"), CacheCondition.READY).getMessage())
                .doesNotContain("not refreshed");
    }

    @Test
    void warmupListIsHandedToTheProxyOnceAndItsProgressShown() {
        String ns = namespace();
        String goSum = "golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=\n"
                + "golang.org/x/text v0.14.0/go.mod h1:18ZOQIKpY8NJVqYksKHtTdi31H5itFRjB5/qKTNYzSU=\n";
        client.configMaps()
                .inNamespace(ns)
                .resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("deps")
                        .endMetadata()
                        .addToData("go.sum", goSum)
                        .build())
                .create();
        create(ns, "warm", spec -> {
            spec.setWarmup(new Warmup());
            spec.getWarmup().setModules(List.of("example.com/gone@v1.0.0"));
            spec.getWarmup().setGoSumConfigMap("deps");
        });
        markAvailable(ns, "warm");

        await().atMost(PATIENCE).untilAsserted(() -> {
            WarmupStatus warmup = status(ns, "warm").getWarmup();
            assertThat(warmup).as("status.warmup").isNotNull();
            assertThat(warmup.getState()).isEqualTo(WarmupState.Finished);
            assertThat(warmup.getCompleted()).isEqualTo(3);
            assertThat(warmup.getFailures()).containsExactly("example.com/gone@v1.0.0 zip: not found upstream");
            assertThat(warmup.getSubmittedGeneration())
                    .isEqualTo(fresh(ns, "warm").getMetadata().getGeneration());
        });
        assertThat(ProxyStandIn.warmupPosts()).singleElement().isEqualTo("example.com/gone@v1.0.0\n" + goSum + "\n");

        if (!ClusterUnderTest.isReal()) {
            // a later reconciliation of the same generation, made visible by the ready count it reports
            Deployment d = get(Deployment.class, ns, "warm");
            d.getStatus().setReadyReplicas(2);
            client.resource(d).updateStatus();
            await().atMost(PATIENCE)
                    .until(() -> Integer.valueOf(2)
                            .equals(fresh(ns, "warm").getStatus().getReadyReplicas()));
            assertThat(ProxyStandIn.warmupPosts())
                    .as("same generation is not warmed twice")
                    .hasSize(1);
        }
    }

    @Test
    void upstreamChangeRollsThePodsButAPodAnnotationChangeKeepsTheConfigHash() {
        String ns = namespace();
        create(ns, "roll", spec -> {});
        String firstHash = configHash(awaitObject(Deployment.class, ns, "roll"));

        edit(ns, "roll", spec -> spec.setUpstream("https://goproxy.cn,direct"));
        await().atMost(PATIENCE).until(() -> !firstHash.equals(configHash(get(Deployment.class, ns, "roll"))));
        assertThat(get(ConfigMap.class, ns, "roll-config").getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn,direct");
        String secondHash = configHash(get(Deployment.class, ns, "roll"));

        edit(ns, "roll", spec -> spec.getPodAnnotations().put("team", "platform"));
        await().atMost(PATIENCE)
                .until(() -> "platform"
                        .equals(get(Deployment.class, ns, "roll")
                                .getSpec()
                                .getTemplate()
                                .getMetadata()
                                .getAnnotations()
                                .get("team")));
        assertThat(configHash(get(Deployment.class, ns, "roll"))).isEqualTo(secondHash);
    }

    /**
     * A spec the Deployment did not get is not "rolled out", whatever the Deployment's status says of the earlier
     * one it runs: an invalid spec is not applied at all, and a Deployment whose update the API server refuses (here
     * an admission webhook, played by the mock) keeps its pod template while the ConfigMap beside it already holds
     * the new settings, which only a restarted pod would read.
     */
    @Test
    void aSpecTheDeploymentDidNotGetIsNotReportedAsRolledOut() {
        String ns = namespace();
        create(ns, "stale", spec -> {});
        markAvailable(ns, "stale");
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(condition(fresh(ns, "stale"), CacheCondition.PROGRESSING)
                                .getReason())
                        .isEqualTo("RolledOut"));
        String hash = configHash(get(Deployment.class, ns, "stale"));

        edit(ns, "stale", spec -> {
            spec.setUpstream("https://goproxy.cn,direct");
            spec.setResources(new ResourceRequirementsBuilder()
                    .addToRequests("cpu", new Quantity("lots"))
                    .build());
        });
        await().atMost(PATIENCE).untilAsserted(() -> {
            GoProxyCache seen = fresh(ns, "stale");
            assertThat(seen.getStatus().getObservedGeneration())
                    .isEqualTo(seen.getMetadata().getGeneration());
            assertThat(condition(seen, CacheCondition.DEGRADED).getReason()).isEqualTo("InvalidSpec");
            CacheCondition progressing = condition(seen, CacheCondition.PROGRESSING);
            assertThat(progressing.getStatus()).isEqualTo("False");
            assertThat(progressing.getReason()).isEqualTo("InvalidSpec");
            assertThat(progressing.getMessage()).contains("was not updated to the current spec");
        });
        assertThat(configHash(get(Deployment.class, ns, "stale"))).isEqualTo(hash);

        String denied = "admission webhook \"pinned.policy.example.com\" denied the request: images must be pinned";
        ClusterUnderTest.mock()
                .ifPresent(mock -> mock.expect()
                        .put()
                        .withPath("/apis/apps/v1/namespaces/" + ns + "/deployments/stale")
                        .andReturn(
                                400,
                                new StatusBuilder()
                                        .withStatus("Failure")
                                        .withCode(400)
                                        .withReason("BadRequest")
                                        .withMessage(denied)
                                        .build())
                        .always());
        edit(
                ns,
                "stale",
                spec -> spec.setResources(new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("100m"))
                        .build()));
        if (ClusterUnderTest.mock().isPresent()) {
            await().atMost(PATIENCE).untilAsserted(() -> {
                GoProxyCache seen = fresh(ns, "stale");
                assertThat(seen.getStatus().getObservedGeneration())
                        .isEqualTo(seen.getMetadata().getGeneration());
                assertThat(condition(seen, CacheCondition.DEGRADED).getMessage())
                        .contains("admission webhook \"pinned.policy.example.com\" refused")
                        .contains("images must be pinned");
                CacheCondition progressing = condition(seen, CacheCondition.PROGRESSING);
                assertThat(progressing.getStatus()).isEqualTo("False");
                assertThat(progressing.getReason()).isEqualTo("AdmissionDenied");
                assertThat(progressing.getMessage()).contains("was not updated to the current spec");
            });
            assertThat(get(ConfigMap.class, ns, "stale-config").getData())
                    .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn,direct");
            assertThat(configHash(get(Deployment.class, ns, "stale"))).isEqualTo(hash);
        } else {
            await().atMost(PATIENCE).until(() -> !hash.equals(configHash(get(Deployment.class, ns, "stale"))));
            await().atMost(PATIENCE)
                    .untilAsserted(() -> assertThat(condition(fresh(ns, "stale"), CacheCondition.PROGRESSING)
                                    .getReason())
                            .isEqualTo("RolledOut"));
        }
    }

    @Test
    void moreReplicasOnASharedVolumeRollOneByOneBehindADisruptionBudget() {
        String ns = namespace();
        create(ns, "scaled", spec -> spec.getStorage().setAccessModes(List.of("ReadWriteMany")));
        awaitObject(Deployment.class, ns, "scaled");

        edit(ns, "scaled", spec -> spec.setReplicas(3));
        await().atMost(PATIENCE).untilAsserted(() -> {
            Deployment d = get(Deployment.class, ns, "scaled");
            assertThat(d.getSpec().getReplicas()).isEqualTo(3);
            assertThat(d.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
        });
        PodDisruptionBudget pdb = awaitObject(PodDisruptionBudget.class, ns, "scaled");
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);

        edit(ns, "scaled", spec -> spec.setReplicas(1));
        await().atMost(PATIENCE).until(() -> get(PodDisruptionBudget.class, ns, "scaled") == null);
        assertThat(get(Deployment.class, ns, "scaled").getSpec().getReplicas()).isEqualTo(1);
    }

    @Test
    void storageGrowsOnRequestAndAShrinkIsRefusedAndReported() {
        String ns = namespace();
        create(ns, "disk", spec -> spec.getStorage().setSize("10Gi"));
        awaitObject(PersistentVolumeClaim.class, ns, "disk-cache");

        edit(ns, "disk", spec -> spec.getStorage().setSize("20Gi"));
        await().atMost(PATIENCE).until(() -> claimSize(ns, "disk-cache").equals(new Quantity("20Gi")));

        Optional<KubernetesClientException> rejected =
                editOrRejection(ns, "disk", spec -> spec.getStorage().setSize("5Gi"));
        if (rejected.isPresent()) {
            // a real API server enforces the CRD's CEL transition rule
            assertThat(rejected.get().getMessage()).contains("storage.size cannot shrink");
        } else {
            await().atMost(PATIENCE).untilAsserted(() -> {
                CacheCondition degraded = condition(fresh(ns, "disk"), CacheCondition.DEGRADED);
                assertThat(degraded.getStatus()).isEqualTo("True");
                assertThat(degraded.getReason()).isEqualTo("StorageShrinkRefused");
                assertThat(degraded.getMessage()).contains("at least 20Gi");
            });
        }
        assertThat(claimSize(ns, "disk-cache")).isEqualTo(new Quantity("20Gi"));
    }

    @Test
    void invalidUpstreamIsReportedAsDegradedWhileOtherCachesKeepReconciling() {
        String ns = namespace();
        Optional<KubernetesClientException> rejected = createOrRejection(
                ns, "broken", spec -> spec.setUpstream("https://goproxy.cn,,ftp://mirror.example.com"));
        if (rejected.isPresent()) {
            // a real API server enforces the CRD's pattern before the operator sees the resource
            assertThat(rejected.get().getMessage()).contains("spec.upstream");
            create(ns, "broken", spec -> spec.setUpstream("direct"));
        } else {
            await().atMost(PATIENCE).untilAsserted(() -> {
                CacheCondition degraded = condition(fresh(ns, "broken"), CacheCondition.DEGRADED);
                assertThat(degraded.getStatus()).isEqualTo("True");
                assertThat(degraded.getReason()).isEqualTo("InvalidSpec");
                // the go command skips the empty entry, and so does the proxy: the ftp:// one is the mistake
                assertThat(degraded.getMessage())
                        .contains("spec.upstream entry 3 \"ftp://mirror.example.com\" is not an http(s) URL");
            });
            assertThat(get(Deployment.class, ns, "broken")).isNull();
        }

        create(ns, "healthy", spec -> {});
        awaitObject(Deployment.class, ns, "healthy");

        edit(ns, "broken", spec -> spec.setUpstream("https://goproxy.cn"));
        awaitObject(Deployment.class, ns, "broken");
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "broken"), CacheCondition.DEGRADED, "False"));
    }

    /**
     * The CRD takes any value in spec.proxy.env; MODPROXY_PREFETCH=maybe stopped every proxy pod at start, a crash
     * loop under a status that did not say why. It is an invalid spec, and no Deployment is made until it is fixed.
     */
    @Test
    void aProxySettingInEnvThatTheProxyCannotUseIsAnInvalidSpec() {
        String ns = namespace();
        create(ns, "maybe", spec -> {
            spec.setProxy(new ProxyTuning());
            spec.getProxy().setEnv(List.of(new EnvVar("MODPROXY_PREFETCH", "maybe", null)));
        });
        await().atMost(PATIENCE).untilAsserted(() -> {
            CacheCondition degraded = condition(fresh(ns, "maybe"), CacheCondition.DEGRADED);
            assertThat(degraded.getStatus()).isEqualTo("True");
            assertThat(degraded.getReason()).isEqualTo("InvalidSpec");
            assertThat(degraded.getMessage())
                    .contains("spec.proxy.env[0] (MODPROXY_PREFETCH): MODPROXY_PREFETCH must be true or false, got "
                            + "'maybe'");
        });
        assertThat(get(Deployment.class, ns, "maybe")).isNull();

        edit(ns, "maybe", spec -> spec.getProxy().setEnv(List.of(new EnvVar("MODPROXY_PREFETCH", "off", null))));
        awaitObject(Deployment.class, ns, "maybe");
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "maybe"), CacheCondition.DEGRADED, "False"));
    }

    @Test
    void quotaRefusalIsReportedAsDegradedAndTheOperatorRecoversOnceItIsLifted() {
        String ns = namespace();
        storageQuota(ns, "1Gi");
        String refusal = "persistentvolumeclaims \"quota-cache\" is forbidden: exceeded quota: storage, requested: "
                + "requests.storage=10Gi, used: requests.storage=0, limited: requests.storage=1Gi";
        // more refusals than JOSDK's own retries (6 attempts in about 18 s): a quota outlasts them, and a quota
        // raised later sends the operator no event, so the operator must keep checking by itself
        int refusals = 8;
        // the mock does not enforce quotas: it answers the first attempts as the API server would
        ClusterUnderTest.mock()
                .ifPresent(mock -> mock.expect()
                        .post()
                        .withPath("/api/v1/namespaces/" + ns + "/persistentvolumeclaims")
                        .andReturn(403, forbidden(refusal))
                        .times(refusals));

        try (CapturedLog log = new CapturedLog(
                GoProxyCacheReconciler.class.getName(),
                "io.javaoperatorsdk.operator.processing.event.EventProcessor",
                "io.javaoperatorsdk.operator.processing.event.ReconciliationDispatcher")) {
            create(ns, "quota", spec -> {});
            await().atMost(PATIENCE).untilAsserted(() -> {
                CacheCondition degraded = condition(fresh(ns, "quota"), CacheCondition.DEGRADED);
                assertThat(degraded.getReason()).isEqualTo("QuotaExceeded");
                assertThat(degraded.getMessage()).contains("exceeded quota").contains("raise the quota");
            });
            assertThat(get(Deployment.class, ns, "quota")).isNull();
            Predicate<LogRecord> ours = about(ns);
            await("the operator still trying after " + refusals + " refusals")
                    .atMost(PATIENCE)
                    .until(() -> log.records.stream()
                                    .filter(ours)
                                    .filter(r -> CapturedLog.text(r).contains("QuotaExceeded"))
                                    .count()
                            >= refusals);
            // an expected refusal, explained in status: one line per attempt in the operator's log, no stack trace
            assertThat(log.records.stream().filter(ours).toList())
                    .allSatisfy(r ->
                            assertThat(r.getThrown()).as(CapturedLog.text(r)).isNull());
        }

        client.resources(ResourceQuota.class)
                .inNamespace(ns)
                .withName("storage")
                .delete();
        awaitObject(PersistentVolumeClaim.class, ns, "quota-cache");
        awaitObject(Deployment.class, ns, "quota");
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "quota"), CacheCondition.DEGRADED, "False"));
    }

    /**
     * A claim that exists but cannot grow (here a quota on requests.storage; a StorageClass without
     * allowVolumeExpansion is refused the same way) mounts as it is: it must not keep every other setting from the
     * Deployment. The operator once left the Deployment as it was while the ConfigMap got the new upstream, and said
     * "RolledOut"; and spec.storage.size cannot go back to end it (a CEL rule).
     */
    @Test
    void aClaimThatCannotGrowKeepsItsSizeAndEveryOtherSettingStillRollsOut() {
        String ns = namespace();
        storageQuota(ns, "3Gi");
        create(ns, "grow", spec -> spec.getStorage().setSize("1Gi"));
        awaitObject(PersistentVolumeClaim.class, ns, "grow-cache");
        markAvailable(ns, "grow");
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "grow"), CacheCondition.DEGRADED, "False"));
        String hash = configHash(get(Deployment.class, ns, "grow"));

        // the mock enforces no quota: it answers the claim's update as the API server does
        ClusterUnderTest.mock()
                .ifPresent(mock -> mock.expect()
                        .put()
                        .withPath("/api/v1/namespaces/" + ns + "/persistentvolumeclaims/grow-cache")
                        .andReturn(
                                403,
                                forbidden(
                                        "persistentvolumeclaims \"grow-cache\" is forbidden: exceeded quota: storage, "
                                                + "requested: requests.storage=4Gi, used: requests.storage=1Gi, limited: "
                                                + "requests.storage=3Gi"))
                        .always());
        edit(ns, "grow", spec -> spec.getStorage().setSize("5Gi"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            CacheCondition degraded = condition(fresh(ns, "grow"), CacheCondition.DEGRADED);
            assertThat(degraded.getReason()).isEqualTo("QuotaExceeded");
            assertThat(degraded.getMessage())
                    .contains("refuses to grow the volume claim grow-cache from 1Gi to 5Gi")
                    .contains("raise the quota")
                    .doesNotContain("lower spec.storage.size");
        });

        edit(ns, "grow", spec -> spec.setUpstream("https://goproxy.cn,direct"));
        await("the new upstream rolled out though the claim cannot grow")
                .atMost(PATIENCE)
                .until(() -> !hash.equals(configHash(get(Deployment.class, ns, "grow"))));
        assertThat(get(ConfigMap.class, ns, "grow-config").getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn,direct");
        markAvailable(ns, "grow");
        await().atMost(PATIENCE).untilAsserted(() -> {
            GoProxyCache seen = fresh(ns, "grow");
            assertThat(seen.getStatus().getObservedGeneration())
                    .isEqualTo(seen.getMetadata().getGeneration());
            assertThat(condition(seen, CacheCondition.PROGRESSING).getReason()).isEqualTo("RolledOut");
            assertThat(condition(seen, CacheCondition.DEGRADED).getReason()).isEqualTo("QuotaExceeded");
        });
        assertThat(claimSize(ns, "grow-cache")).isEqualTo(new Quantity("1Gi"));
    }

    @Test
    void aCacheWhoseNamespaceIsBeingDeletedIsLeftToGoWithOneQuietLine() {
        String ns = namespace();
        String terminating = "unable to create new content in namespace " + ns + " because it is being terminated";
        Predicate<LogRecord> ours = about(ns);
        try (CapturedLog log = new CapturedLog(
                GoProxyCacheReconciler.class.getName(),
                "io.javaoperatorsdk.operator.processing.event.EventProcessor",
                "io.javaoperatorsdk.operator.processing.event.ReconciliationDispatcher")) {
            if (ClusterUnderTest.mock().isPresent()) {
                // the mock has no namespace lifecycle: it answers every creation as the API server does meanwhile
                for (String kind : List.of("configmaps", "persistentvolumeclaims", "services")) {
                    ClusterUnderTest.mock()
                            .get()
                            .expect()
                            .post()
                            .withPath("/api/v1/namespaces/" + ns + "/" + kind)
                            .andReturn(403, forbidden(kind + " is forbidden: " + terminating))
                            .always();
                }
                create(ns, "leaving", spec -> {});
                await().atMost(PATIENCE)
                        .until(() -> log.records.stream()
                                .filter(ours)
                                .anyMatch(r -> CapturedLog.text(r).contains("being deleted")));
                // no retries and no status: one line, and the cache says nothing about permissions it does not lack
                await().during(Duration.ofSeconds(5))
                        .atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(log.records.stream()
                                        .filter(ours)
                                        .filter(GoProxyCacheReconcilerTest::shownByDefault)
                                        .toList())
                                .hasSize(1));
                assertThat(fresh(ns, "leaving").getStatus()).isNull();
            } else {
                // the real thing: the operator races the namespace controller, which deletes the cache and its objects
                create(ns, "leaving", spec -> {});
                awaitObject(Deployment.class, ns, "leaving");
                client.namespaces().withName(ns).delete();
                await().atMost(PATIENCE).until(() -> fresh(ns, "leaving") == null);
                // each object the namespace controller deletes first brings the operator back: one line in all at
                // INFO (the rest at DEBUG, which a test class run before this one in the same JVM may have turned on)
                assertThat(log.records.stream()
                                .filter(ours)
                                .filter(GoProxyCacheReconcilerTest::shownByDefault)
                                .filter(r -> CapturedLog.text(r).contains(terminating))
                                .toList())
                        .hasSizeLessThanOrEqualTo(1);
            }
            assertThat(log.records.stream().filter(ours).toList()).allSatisfy(r -> {
                assertThat(r.getThrown()).as(CapturedLog.text(r)).isNull();
                assertThat(CapturedLog.text(r)).doesNotContain("Forbidden");
            });
        }
    }

    /** A line the operator's log shows at its default level, INFO. */
    private static boolean shownByDefault(LogRecord record) {
        return record.getLevel().intValue() >= java.util.logging.Level.INFO.intValue();
    }

    /**
     * A 404 about the cache is its deletion only when it is gone: a cluster whose CRD lacks the status subresource
     * answers 404 to every status write of a cache that exists, and that must be said, not passed over as a
     * deletion.
     */
    @Test
    void aNotFoundAboutACacheThatStillExistsIsReportedWithItsLikelyCause() {
        String ns = namespace();
        try (CapturedLog log = new CapturedLog(GoProxyCacheReconciler.class.getName())) {
            if (ClusterUnderTest.mock().isPresent()) {
                ClusterUnderTest.mock()
                        .get()
                        .expect()
                        .patch()
                        // the test profile writes status with a JSON patch (the mock has no server-side apply)
                        .withPath("/apis/modproxy.dev/v1alpha1/namespaces/" + ns + "/goproxycaches/nostatus/status")
                        .andReturn(
                                404,
                                new StatusBuilder()
                                        .withStatus("Failure")
                                        .withCode(404)
                                        .withReason("NotFound")
                                        .withMessage("the server could not find the requested resource")
                                        .withNewDetails()
                                        .withGroup("modproxy.dev")
                                        .withKind("goproxycaches")
                                        .withName("nostatus")
                                        .endDetails()
                                        .build())
                        .always();
                create(ns, "nostatus", spec -> {});
                await().atMost(PATIENCE)
                        .untilAsserted(() -> assertThat(log.records.stream()
                                        .filter(about(ns))
                                        .map(CapturedLog::text)
                                        .toList())
                                .anySatisfy(line -> assertThat(line)
                                        .contains("though the GoProxyCache exists")
                                        .contains("status subresource")));
            } else {
                // the real thing: a cache deleted as it is reconciled brings no warning at all
                create(ns, "nostatus", spec -> {});
                client.resources(GoProxyCache.class)
                        .inNamespace(ns)
                        .withName("nostatus")
                        .delete();
                await().atMost(PATIENCE).until(() -> fresh(ns, "nostatus") == null);
                assertThat(log.records.stream()
                                .filter(about(ns))
                                .filter(r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())
                                .map(CapturedLog::text)
                                .toList())
                        .isEmpty();
            }
        }
    }

    /** The API server's answer to a creation it refuses. */
    @Test
    void aConflictWithAnotherWriterIsRetriedWithoutReportingTheCacheDegraded() {
        String ns = namespace();
        // on a real API server the Deployment controller's status writes bring such conflicts by themselves; the mock
        // answers the first creations of the ConfigMap as an API server does when another writer got there first
        ClusterUnderTest.mock()
                .ifPresent(mock -> mock.expect()
                        .post()
                        .withPath("/api/v1/namespaces/" + ns + "/configmaps")
                        .andReturn(
                                409,
                                new StatusBuilder()
                                        .withStatus("Failure")
                                        .withCode(409)
                                        .withReason("Conflict")
                                        .withMessage(
                                                "Operation cannot be fulfilled on configmaps \"contested-config\": "
                                                        + "the object has been modified; please apply your changes to the latest "
                                                        + "version and try again")
                                        .build())
                        .times(2));
        List<String> degraded = new CopyOnWriteArrayList<>();
        try (Watch watch = client.resources(GoProxyCache.class).inNamespace(ns).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, GoProxyCache cache) {
                Optional.ofNullable(cache.getStatus())
                        .flatMap(s -> s.condition(CacheCondition.DEGRADED))
                        .filter(c -> CacheCondition.TRUE.equals(c.getStatus()))
                        .ifPresent(c -> degraded.add(c.getReason() + ": " + c.getMessage()));
            }

            @Override
            public void onClose(WatcherException cause) {}
        })) {
            create(ns, "contested", spec -> {});
            awaitObject(ConfigMap.class, ns, "contested-config");
            awaitObject(Deployment.class, ns, "contested");
            await().atMost(PATIENCE)
                    .untilAsserted(() -> assertCondition(fresh(ns, "contested"), CacheCondition.DEGRADED, "False"));
        }
        assertThat(degraded).as("Degraded=True reported on the way").isEmpty();
    }

    private static Status forbidden(String message) {
        return new StatusBuilder()
                .withStatus("Failure")
                .withCode(403)
                .withReason("Forbidden")
                .withMessage(message)
                .build();
    }

    /**
     * Log records about caches of this namespace ({@code ns/name}, or {@code 'ns'} in JOSDK's): on a shared API
     * server the operator also reconciles what other tests left behind, and logs about those.
     */
    private static Predicate<LogRecord> about(String ns) {
        return r ->
                CapturedLog.text(r).contains(ns + "/") || CapturedLog.text(r).contains("'" + ns + "'");
    }

    @Test
    void manualEditsToTheDeploymentAndConfigMapAreReverted() {
        String ns = namespace();
        create(ns, "drift", spec -> {});
        awaitObject(Deployment.class, ns, "drift");
        awaitObject(ConfigMap.class, ns, "drift-config");

        // a person's edit, retried as kubectl would when the operator wrote the object in between (409)
        await().atMost(PATIENCE)
                .ignoreExceptionsMatching(e -> isRetriedByAPerson(e) || JosdkTimerRace.is(e))
                .until(() -> {
                    client.apps()
                            .deployments()
                            .inNamespace(ns)
                            .withName("drift")
                            .edit(d -> {
                                d.getSpec().setReplicas(5);
                                d.getSpec()
                                        .getTemplate()
                                        .getSpec()
                                        .getContainers()
                                        .get(0)
                                        .setImage("evil/proxy:1");
                                return d;
                            });
                    return true;
                });
        await().atMost(PATIENCE)
                .ignoreExceptionsMatching(e -> isRetriedByAPerson(e) || JosdkTimerRace.is(e))
                .until(() -> {
                    client.configMaps().inNamespace(ns).withName("drift-config").edit(c -> {
                        c.getData().put("MODPROXY_UPSTREAM", "https://elsewhere.example.com");
                        return c;
                    });
                    return true;
                });

        await().atMost(PATIENCE).untilAsserted(() -> {
            Deployment d = get(Deployment.class, ns, "drift");
            assertThat(d.getSpec().getReplicas()).isEqualTo(1);
            assertThat(d.getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getImage())
                    .isEqualTo("ghcr.io/modproxy/proxy:test");
            assertThat(get(ConfigMap.class, ns, "drift-config").getData())
                    .containsEntry("MODPROXY_UPSTREAM", "https://proxy.golang.org");
        });
    }

    /**
     * The informers see only objects labelled managed-by modproxy-operator: a label removed by hand (kubectl label
     * ... app.kubernetes.io/managed-by-) made the Deployment and ConfigMap vanish for the operator, whose creates then
     * failed (409) for good: Ready=False DeploymentMissing while the pods ran, Degraded=True "Conflict".
     */
    @Test
    void anOwnedObjectWhoseManagedByLabelWasRemovedGetsItBack() {
        String ns = namespace();
        GoProxyCache cache = create(ns, "relabel", spec -> {});
        awaitObject(ConfigMap.class, ns, "relabel-config");
        awaitObject(Deployment.class, ns, "relabel");
        markAvailable(ns, "relabel");
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "relabel"), CacheCondition.READY, "True"));

        for (Class<? extends HasMetadata> type : List.of(Deployment.class, ConfigMap.class)) {
            String name = type == Deployment.class ? "relabel" : "relabel-config";
            await().atMost(PATIENCE)
                    .ignoreExceptionsMatching(e -> isRetriedByAPerson(e) || JosdkTimerRace.is(e))
                    .until(() -> {
                        client.resources(type).inNamespace(ns).withName(name).edit(o -> {
                            o.getMetadata().getLabels().remove(CacheNames.MANAGED_BY_LABEL);
                            return o;
                        });
                        return true;
                    });
        }

        await().atMost(PATIENCE).untilAsserted(() -> {
            for (HasMetadata owned :
                    List.of(get(Deployment.class, ns, "relabel"), get(ConfigMap.class, ns, "relabel-config"))) {
                assertThat(owned.getMetadata().getLabels())
                        .as("labels of %s", owned.getMetadata().getName())
                        .containsEntry(CacheNames.MANAGED_BY_LABEL, CacheNames.MANAGER);
                assertOwnedBy(owned, fresh(cache).getMetadata().getUid());
            }
            assertCondition(fresh(ns, "relabel"), CacheCondition.DEGRADED, "False");
        });
        // the mock's update of the Deployment drops the status its controller (the test) wrote
        markAvailable(ns, "relabel");
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "relabel"), CacheCondition.READY, "True"));
    }

    /**
     * A Service of the cache's name that another application made is neither taken over nor reported as a passing
     * conflict ("Another writer changed an owned object at the same time", for ever): the cache names it, is not
     * Ready (build pods get no URL of someone else's Service), and takes the name once it is free.
     */
    /**
     * An owned object whose owner reference someone removed: the operator puts it back, unless the cluster lets only
     * those who may delete an object change its owner references (OwnerReferencesPermissionEnforcement, played by
     * the mock; the chart grants no delete on ConfigMaps). Then the status names the object and the deletion that
     * lets the operator make it again, not a permission to grant.
     */
    @Test
    void anObjectWhoseOwnerReferenceWasRemovedIsTakenBackOrNamedForDeletion() {
        String ns = namespace();
        create(ns, "refs", spec -> {});
        String uid = fresh(ns, "refs").getMetadata().getUid();
        assertOwnedBy(awaitObject(ConfigMap.class, ns, "refs-config"), uid);

        ClusterUnderTest.mock()
                .ifPresent(mock -> mock.expect()
                        .put()
                        .withPath("/api/v1/namespaces/" + ns + "/configmaps/refs-config")
                        .andReturn(
                                403,
                                forbidden("configmaps \"refs-config\" is forbidden: cannot set an ownerRef on a "
                                        + "resource you can't delete: , <nil>"))
                        .always());
        await().atMost(PATIENCE)
                .ignoreExceptionsMatching(e -> isRetriedByAPerson(e) || JosdkTimerRace.is(e))
                .untilAsserted(() -> client.configMaps()
                        .inNamespace(ns)
                        .withName("refs-config")
                        .edit(c -> {
                            c.getMetadata().setOwnerReferences(List.of());
                            return c;
                        }));
        // without its owner reference the ConfigMap's events no longer reach the cache: its next reconciliation
        edit(ns, "refs", spec -> spec.setUpstream("https://goproxy.cn,direct"));

        if (ClusterUnderTest.mock().isEmpty()) {
            // the tests' own identity may delete ConfigMaps: the reference is simply put back
            await().atMost(PATIENCE).untilAsserted(() -> assertOwnedBy(get(ConfigMap.class, ns, "refs-config"), uid));
            return;
        }
        await().atMost(PATIENCE).untilAsserted(() -> {
            CacheCondition degraded = condition(fresh(ns, "refs"), CacheCondition.DEGRADED);
            assertThat(degraded.getReason()).isEqualTo("OwnerReferenceRefused");
            assertThat(degraded.getMessage())
                    .startsWith("The ConfigMap refs-config carries this cache's labels but no owner reference")
                    .contains("kubectl -n " + ns + " delete configmap refs-config")
                    .doesNotContain("grant");
        });

        // the operator tries again by itself: the deleted ConfigMap, without the reference, sends the cache no event
        client.configMaps().inNamespace(ns).withName("refs-config").delete();
        await().atMost(PATIENCE).untilAsserted(() -> {
            ConfigMap remade = get(ConfigMap.class, ns, "refs-config");
            assertThat(remade).as("ConfigMap made again").isNotNull();
            assertOwnedBy(remade, uid);
        });
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "refs"), CacheCondition.DEGRADED, "False"));
    }

    @Test
    void aServiceOfTheCachesNameThatSomeoneElseMadeIsLeftAloneAndNamed() {
        String ns = namespace();
        client.services()
                .inNamespace(ns)
                .resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                        .withNewMetadata()
                        .withName("athens")
                        .withLabels(Map.of("app", "athens"))
                        .endMetadata()
                        .withNewSpec()
                        .withSelector(Map.of("app", "athens"))
                        .addNewPort()
                        .withPort(3000)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        create(ns, "athens", spec -> {});
        markAvailable(ns, "athens");

        await().atMost(PATIENCE).untilAsserted(() -> {
            CacheCondition degraded = condition(fresh(ns, "athens"), CacheCondition.DEGRADED);
            assertThat(degraded.getStatus()).isEqualTo("True");
            assertThat(degraded.getReason()).isEqualTo("NameInUse");
            assertThat(degraded.getMessage())
                    .contains("The Service athens already exists and is not this cache's")
                    .contains("delete or rename that Service");
        });
        GoProxyCache refused = fresh(ns, "athens");
        assertCondition(refused, CacheCondition.READY, "False");
        assertThat(refused.getStatus().getUrl()).isNull();
        Service theirs = get(Service.class, ns, "athens");
        assertThat(theirs.getSpec().getSelector()).isEqualTo(Map.of("app", "athens"));
        assertThat(theirs.getMetadata().getLabels()).isEqualTo(Map.of("app", "athens"));
        assertThat(theirs.getMetadata().getOwnerReferences()).isNullOrEmpty();

        client.resource(theirs).delete();
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(get(Service.class, ns, "athens"))
                    .isNotNull()
                    .satisfies(s ->
                            assertThat(s.getSpec().getSelector()).containsEntry(CacheNames.INSTANCE_LABEL, "athens"));
            assertCondition(fresh(ns, "athens"), CacheCondition.DEGRADED, "False");
            assertThat(fresh(ns, "athens").getStatus().getUrl()).isEqualTo("http://athens." + ns + ".svc");
        });
    }

    /**
     * What a person at kubectl would simply try again: a conflict with the operator's own write (409), or a
     * kept-alive connection the API server had closed just as the request went out (the Vert.x client reports
     * it as a closed connection, and fabric8 retries only I/O exceptions).
     */
    private static boolean isRetriedByAPerson(Throwable e) {
        if (e instanceof KubernetesClientException k && k.getCode() == 409) {
            return true;
        }
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof HttpClosedException) {
                return true;
            }
        }
        return false;
    }

    @Test
    void deletingTheCacheTakesItsObjectsButARetainedVolumeStaysAndIsAdoptedAgain() {
        String ns = namespace();
        create(ns, "gone", spec -> {});
        create(ns, "kept", spec -> spec.getStorage().setRetainOnDelete(true));
        String goneUid = fresh(ns, "gone").getMetadata().getUid();
        assertOwnedBy(awaitObject(PersistentVolumeClaim.class, ns, "gone-cache"), goneUid);
        assertOwnedBy(awaitObject(Deployment.class, ns, "gone"), goneUid);
        PersistentVolumeClaim keptClaim = awaitObject(PersistentVolumeClaim.class, ns, "kept-cache");
        assertThat(keptClaim.getMetadata().getOwnerReferences()).isEmpty();
        assertOwnedBy(
                awaitObject(Deployment.class, ns, "kept"),
                fresh(ns, "kept").getMetadata().getUid());

        client.resources(GoProxyCache.class).inNamespace(ns).withName("gone").delete();
        client.resources(GoProxyCache.class).inNamespace(ns).withName("kept").delete();
        if (ClusterUnderTest.isReal()) {
            await().atMost(PATIENCE)
                    .until(() -> get(Deployment.class, ns, "gone") == null
                            && get(PersistentVolumeClaim.class, ns, "gone-cache") == null);
        }
        await().atMost(PATIENCE).until(() -> fresh(ns, "kept") == null);
        assertThat(get(PersistentVolumeClaim.class, ns, "kept-cache")).isNotNull();

        create(ns, "kept", spec -> {
            spec.getStorage().setRetainOnDelete(true);
            spec.getStorage().setSize("10Gi");
        });
        awaitObject(Deployment.class, ns, "kept");
        assertThat(get(PersistentVolumeClaim.class, ns, "kept-cache")
                        .getMetadata()
                        .getUid())
                .isEqualTo(keptClaim.getMetadata().getUid());
    }

    /**
     * A retained ReadWriteOnce claim, adopted by a cache made again with ReadWriteMany and two replicas: the claim's
     * access modes cannot change, and a new GoProxyCache would adopt it again, so the status says to delete the
     * claim (or use its settings), without the API server's diff; no Deployment is laid out on a claim its pods
     * could not all mount. Deleting the claim, as it says, ends it.
     */
    @Test
    void aRetainedClaimAdoptedWithOtherAccessModesIsNamedAndDeletingItRecovers() {
        String ns = namespace();
        create(ns, "kept", spec -> spec.getStorage().setRetainOnDelete(true));
        awaitObject(Deployment.class, ns, "kept");
        String claimUid = awaitObject(PersistentVolumeClaim.class, ns, "kept-cache")
                .getMetadata()
                .getUid();
        client.resources(GoProxyCache.class).inNamespace(ns).withName("kept").delete();
        await().atMost(PATIENCE).until(() -> fresh(ns, "kept") == null);
        if (ClusterUnderTest.isReal()) {
            await().atMost(PATIENCE).until(() -> get(Deployment.class, ns, "kept") == null);
        } else {
            // the mock has no garbage collector: the test plays it
            client.apps().deployments().inNamespace(ns).withName("kept").delete();
        }

        create(ns, "kept", spec -> {
            spec.getStorage().setRetainOnDelete(true);
            spec.getStorage().setAccessModes(List.of("ReadWriteMany"));
            spec.setReplicas(2);
        });
        await().atMost(PATIENCE).untilAsserted(() -> {
            CacheCondition degraded = condition(fresh(ns, "kept"), CacheCondition.DEGRADED);
            assertThat(degraded.getReason()).isEqualTo("VolumeClaimMismatch");
            assertThat(degraded.getMessage())
                    .startsWith("The volume claim kept-cache exists with access modes [ReadWriteOnce], but "
                            + "spec.storage asks for [ReadWriteMany].")
                    .contains("kubectl -n " + ns + " delete pvc kept-cache")
                    .doesNotContain("PersistentVolumeClaimSpec")
                    .doesNotContain("need a new GoProxyCache");
        });
        assertThat(get(Deployment.class, ns, "kept")).isNull();
        assertThat(get(PersistentVolumeClaim.class, ns, "kept-cache")
                        .getMetadata()
                        .getUid())
                .isEqualTo(claimUid);

        client.persistentVolumeClaims().inNamespace(ns).withName("kept-cache").delete();
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(get(PersistentVolumeClaim.class, ns, "kept-cache"))
                        .isNotNull()
                        .satisfies(c -> assertThat(c.getSpec().getAccessModes()).containsExactly("ReadWriteMany")));
        assertThat(awaitObject(Deployment.class, ns, "kept").getSpec().getReplicas())
                .isEqualTo(2);
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "kept"), CacheCondition.DEGRADED, "False"));
    }

    @Test
    void switchingRetainOnDeleteOnAndOffMovesTheVolumesOwnerReference() {
        String ns = namespace();
        create(ns, "toggle", spec -> {});
        String uid = fresh(ns, "toggle").getMetadata().getUid();
        assertOwnedBy(awaitObject(PersistentVolumeClaim.class, ns, "toggle-cache"), uid);

        edit(ns, "toggle", spec -> spec.getStorage().setRetainOnDelete(true));
        await().atMost(PATIENCE)
                .until(() -> get(PersistentVolumeClaim.class, ns, "toggle-cache")
                        .getMetadata()
                        .getOwnerReferences()
                        .isEmpty());

        edit(ns, "toggle", spec -> spec.getStorage().setRetainOnDelete(false));
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertOwnedBy(get(PersistentVolumeClaim.class, ns, "toggle-cache"), uid));
    }

    /**
     * An operator before controller references wrote the cache as a plain owner; the next reconciliation makes it
     * the controller, with server-side apply (a real cluster) or without it (the mock).
     */
    @Test
    void objectsWithAPlainOwnerReferenceAreMadeControlledByTheirCache() {
        String ns = namespace();
        create(ns, "older", spec -> spec.getNetworkPolicy().setEnabled(true));
        String uid = fresh(ns, "older").getMetadata().getUid();
        List<HasMetadata> made = List.of(
                awaitObject(ConfigMap.class, ns, "older-config"),
                awaitObject(PersistentVolumeClaim.class, ns, "older-cache"),
                awaitObject(Deployment.class, ns, "older"),
                awaitObject(Service.class, ns, "older"),
                awaitObject(Service.class, ns, "older-management"),
                awaitObject(NetworkPolicy.class, ns, "older"));

        for (HasMetadata object : made) {
            await().atMost(PATIENCE)
                    .ignoreExceptionsMatching(e -> isRetriedByAPerson(e) || JosdkTimerRace.is(e))
                    .untilAsserted(() -> client.resources(object.getClass())
                            .inNamespace(ns)
                            .withName(object.getMetadata().getName())
                            .edit(o -> {
                                o.getMetadata().getOwnerReferences().forEach(ref -> ref.setController(null));
                                return o;
                            }));
        }
        for (HasMetadata object : made) {
            await().atMost(PATIENCE)
                    .untilAsserted(() -> assertOwnedBy(
                            get(object.getClass(), ns, object.getMetadata().getName()), uid));
        }
    }

    /**
     * A misspelt storage class leaves the claim Pending for ever, and the pods with it; the status names the class
     * and the way out, which is the one that works: the class cannot change in place, the cache is made again.
     */
    @Test
    void aClaimPendingOnAStorageClassThatDoesNotExistIsReportedAndACacheMadeAgainRecovers() {
        String ns = namespace();
        String misspelt = "no-such-class-" + TestRun.id();
        create(ns, "typo", spec -> spec.getStorage().setStorageClassName(misspelt));
        markPending(ns, "typo-cache");
        await().atMost(PATIENCE).untilAsserted(() -> {
            CacheCondition degraded = condition(fresh(ns, "typo"), CacheCondition.DEGRADED);
            assertThat(degraded.getReason()).isEqualTo("StorageClassNotFound");
            assertThat(degraded.getMessage())
                    .contains("typo-cache is Pending: StorageClass \"" + misspelt + "\" does not exist")
                    .contains("delete this GoProxyCache");
        });
        if (ClusterUnderTest.isReal()) {
            assertThat(editOrRejection(ns, "typo", spec -> spec.getStorage().setStorageClassName(misspelt + "-2")))
                    .as("a changed storage class")
                    .hasValueSatisfying(
                            e -> assertThat(e.getMessage()).contains("storage.storageClassName cannot change"));
        }

        client.resources(GoProxyCache.class).inNamespace(ns).withName("typo").delete();
        if (ClusterUnderTest.isReal()) {
            await().atMost(PATIENCE).until(() -> get(PersistentVolumeClaim.class, ns, "typo-cache") == null);
        } else {
            // the mock has no garbage collector: the test plays it
            await().atMost(PATIENCE).until(() -> fresh(ns, "typo") == null);
            client.resources(PersistentVolumeClaim.class)
                    .inNamespace(ns)
                    .withName("typo-cache")
                    .delete();
        }
        create(ns, "typo", spec -> {});
        assertThat(awaitObject(PersistentVolumeClaim.class, ns, "typo-cache")
                        .getSpec()
                        .getStorageClassName())
                .isNotEqualTo(misspelt);
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertCondition(fresh(ns, "typo"), CacheCondition.DEGRADED, "False"));
    }

    @Test
    void cachesInSeveralNamespacesEachGetTheirOwnObjectsAndUrl() {
        String first = namespace();
        String second = namespace();
        create(first, "shared-name", spec -> spec.setUpstream("https://goproxy.cn"));
        create(second, "shared-name", spec -> spec.setUpstream("https://mirrors.aliyun.com/goproxy/"));
        create(second, "other", spec -> {});

        assertThat(awaitObject(ConfigMap.class, first, "shared-name-config").getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn");
        assertThat(awaitObject(ConfigMap.class, second, "shared-name-config").getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://mirrors.aliyun.com/goproxy/");
        awaitObject(Deployment.class, second, "other");
        markAvailable(first, "shared-name");
        markAvailable(second, "shared-name");
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(status(first, "shared-name").getUrl()).isEqualTo("http://shared-name." + first + ".svc");
            assertThat(status(second, "shared-name").getUrl()).isEqualTo("http://shared-name." + second + ".svc");
        });
    }

    @Test
    void serviceMonitorIsMadeOnlyWhenAskedForAndItsCrdIsInstalled() {
        String ns = namespace();
        create(ns, "scraped", spec -> spec.getMetrics().getServiceMonitor().setEnabled(true));
        create(ns, "unscraped", spec -> {});
        awaitObject(Deployment.class, ns, "scraped");
        // a cluster running the Prometheus operator has the CRD already; elsewhere (the mock, the e2e cluster) it comes
        // now
        if (client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName("servicemonitors.monitoring.coreos.com")
                        .get()
                == null) {
            // the proxy serves, so not Degraded, but the ServiceMonitor asked for is not made, and the status says so
            await().atMost(PATIENCE).untilAsserted(() -> {
                assertCondition(fresh(ns, "scraped"), CacheCondition.DEGRADED, "False");
                assertThat(condition(fresh(ns, "scraped"), CacheCondition.DEGRADED)
                                .getReason())
                        .isEqualTo(CacheStatusCalculator.SERVICE_MONITOR_CRD_MISSING);
            });
            assertThat(get(ServiceMonitor.class, ns, "scraped")).isNull();
            installServiceMonitorCrd();
            // nothing else changes: the cache waiting for the CRD is looked at again by itself
        }

        ServiceMonitor monitor = awaitObject(ServiceMonitor.class, ns, "scraped");
        edit(ns, "unscraped", spec -> spec.setUpstream("https://goproxy.cn"));
        assertThat(monitor.getSpec().getEndpoints().get(0).getPath()).isEqualTo("/q/metrics");
        assertOwnedBy(monitor, fresh(ns, "scraped").getMetadata().getUid());
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(condition(fresh(ns, "scraped"), CacheCondition.DEGRADED)
                                .getReason())
                        .isEqualTo("AsExpected"));
        await().atMost(PATIENCE)
                .until(() -> "https://goproxy.cn"
                        .equals(get(ConfigMap.class, ns, "unscraped-config")
                                .getData()
                                .get("MODPROXY_UPSTREAM")));
        assertThat(get(ServiceMonitor.class, ns, "unscraped")).isNull();
    }

    /**
     * Two caches of a namespace annotated modproxy.dev/default=true leave the webhook without a default there: each
     * says so, naming the other, and each notices when the other gains or loses the annotation, though an
     * annotation makes no new generation and the cache that notices did not change at all.
     */
    @Test
    void cachesAnnotatedDefaultBesideEachOtherSayItAndNoticeWhenEitherChanges() {
        String ns = namespace();
        create(ns, "first", spec -> {});
        create(ns, "second", spec -> {});
        markDefault(ns, "first", true);
        awaitDegradedReason(ns, "first", "AsExpected");
        awaitDegradedReason(ns, "second", "AsExpected");

        markDefault(ns, "second", true);

        awaitDegradedReason(ns, "first", CacheStatusCalculator.SEVERAL_DEFAULT_CACHES);
        awaitDegradedReason(ns, "second", CacheStatusCalculator.SEVERAL_DEFAULT_CACHES);
        CacheCondition first = condition(fresh(ns, "first"), CacheCondition.DEGRADED);
        assertThat(first.getStatus()).isEqualTo("True");
        assertThat(first.getMessage())
                .contains("This cache and GoProxyCache second are annotated modproxy.dev/default=true")
                .contains("kubectl -n " + ns + " annotate goproxycache second modproxy.dev/default-");
        assertThat(condition(fresh(ns, "second"), CacheCondition.DEGRADED).getMessage())
                .contains("This cache and GoProxyCache first are annotated");

        markDefault(ns, "first", false);

        awaitDegradedReason(ns, "first", "AsExpected");
        awaitDegradedReason(ns, "second", "AsExpected");
    }

    private void awaitDegradedReason(String ns, String name, String reason) {
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(condition(fresh(ns, name), CacheCondition.DEGRADED)
                                .getReason())
                        .as("Degraded of %s", name)
                        .isEqualTo(reason));
    }

    @Test
    void aHeldCacheKeepsItsPodsAndSettingsUntilReleased() {
        String ns = namespace();
        create(ns, "held", spec -> {});
        String firstHash = configHash(awaitObject(Deployment.class, ns, "held"));
        edit(ns, "held", spec -> spec.setHoldRollout(true));

        // what an operator upgrade would change, here through the spec: held, nothing rolls
        edit(ns, "held", spec -> {
            spec.setUpstream("https://goproxy.cn,direct");
            spec.setReplicas(1);
        });
        await().atMost(PATIENCE)
                .until(() -> fresh(ns, "held").getStatus() != null
                        && java.util.Objects.equals(
                                fresh(ns, "held").getStatus().getObservedGeneration(),
                                fresh(ns, "held").getMetadata().getGeneration()));
        assertThat(configHash(get(Deployment.class, ns, "held"))).isEqualTo(firstHash);
        assertThat(get(ConfigMap.class, ns, "held-config").getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://proxy.golang.org");

        edit(ns, "held", spec -> spec.setHoldRollout(false));
        await().atMost(PATIENCE).until(() -> !firstHash.equals(configHash(get(Deployment.class, ns, "held"))));
        assertThat(get(ConfigMap.class, ns, "held-config").getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn,direct");
    }

    @Test
    void aHeldCacheMovingToObjectStorageKeepsTheClaimItsPodsMountUntilReleased() {
        String ns = namespace();
        create(ns, "heldmove", spec -> {});
        awaitObject(PersistentVolumeClaim.class, ns, "heldmove-cache");
        edit(ns, "heldmove", spec -> {
            spec.setHoldRollout(true);
            ObjectStorage bucket = new ObjectStorage();
            bucket.setBucket("go-modules");
            spec.setObjectStorage(bucket);
        });
        await().atMost(PATIENCE)
                .until(() -> fresh(ns, "heldmove").getStatus() != null
                        && java.util.Objects.equals(
                                fresh(ns, "heldmove").getStatus().getObservedGeneration(),
                                fresh(ns, "heldmove").getMetadata().getGeneration()));
        // the claim of a cache that is not held goes within a reconciliation or two (the test above)
        await().during(Duration.ofSeconds(5))
                .atMost(PATIENCE)
                .until(() -> get(PersistentVolumeClaim.class, ns, "heldmove-cache") != null);

        edit(ns, "heldmove", spec -> spec.setHoldRollout(false));
        await().atMost(PATIENCE).until(() -> get(PersistentVolumeClaim.class, ns, "heldmove-cache") == null);
    }

    @Test
    void networkPolicyFollowsTheSpecSwitch() {
        String ns = namespace();
        create(ns, "fenced", spec -> spec.getNetworkPolicy().setEnabled(true));

        NetworkPolicy policy = awaitObject(NetworkPolicy.class, ns, "fenced");
        assertThat(policy.getSpec().getIngress())
                .extracting(rule -> rule.getPorts().get(0).getPort().getIntVal())
                .containsExactly(8080, 9000);
        assertOwnedBy(policy, fresh(ns, "fenced").getMetadata().getUid());

        edit(ns, "fenced", spec -> spec.getNetworkPolicy().setEnabled(false));
        await().atMost(PATIENCE).until(() -> get(NetworkPolicy.class, ns, "fenced") == null);
    }

    private void installServiceMonitorCrd() {
        client.apiextensions()
                .v1()
                .customResourceDefinitions()
                .resource(new CustomResourceDefinitionBuilder()
                        .withNewMetadata()
                        .withName("servicemonitors.monitoring.coreos.com")
                        .withLabels(TestRun.labels())
                        .endMetadata()
                        .withNewSpec()
                        .withGroup("monitoring.coreos.com")
                        .withScope("Namespaced")
                        .withNewNames()
                        .withKind("ServiceMonitor")
                        .withPlural("servicemonitors")
                        .endNames()
                        .addNewVersion()
                        .withName("v1")
                        .withServed(true)
                        .withStorage(true)
                        .withNewSchema()
                        .withNewOpenAPIV3Schema()
                        .withType("object")
                        .withXKubernetesPreserveUnknownFields(true)
                        .endOpenAPIV3Schema()
                        .endSchema()
                        .endVersion()
                        .endSpec()
                        .build())
                .create();
    }

    private String namespace() {
        String name = "gpc-" + UUID.randomUUID().toString().substring(0, 8);
        client.namespaces().resource(TestRun.namespace(name)).create();
        namespaces.add(name);
        return name;
    }

    private GoProxyCache create(String ns, String name, Consumer<GoProxyCacheSpec> customize) {
        GoProxyCache cache = new GoProxyCache();
        cache.setMetadata(
                new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        customize.accept(cache.getSpec());
        return client.resource(cache).create();
    }

    private Optional<KubernetesClientException> createOrRejection(
            String ns, String name, Consumer<GoProxyCacheSpec> customize) {
        try {
            create(ns, name, customize);
            return Optional.empty();
        } catch (KubernetesClientException e) {
            assertThat(e.getCode())
                    .as("rejected as invalid: %s", e.getMessage())
                    .isEqualTo(422);
            return Optional.of(e);
        }
    }

    private Optional<KubernetesClientException> editOrRejection(
            String ns, String name, Consumer<GoProxyCacheSpec> change) {
        try {
            edit(ns, name, change);
            return Optional.empty();
        } catch (KubernetesClientException e) {
            assertThat(e.getCode())
                    .as("rejected as invalid: %s", e.getMessage())
                    .isEqualTo(422);
            return Optional.of(e);
        }
    }

    private void edit(String ns, String name, Consumer<GoProxyCacheSpec> change) {
        editCache(ns, name, c -> change.accept(c.getSpec()));
    }

    /** As kubectl annotate gpc NAME modproxy.dev/default=true, or modproxy.dev/default- when {@code marked} is false. */
    private void markDefault(String ns, String name, boolean marked) {
        editCache(ns, name, c -> {
            Map<String, String> annotations = new HashMap<>(
                    Optional.ofNullable(c.getMetadata().getAnnotations()).orElse(Map.of()));
            if (marked) {
                annotations.put("modproxy.dev/default", "true");
            } else {
                annotations.remove("modproxy.dev/default");
            }
            c.getMetadata().setAnnotations(annotations);
        });
    }

    /** Edits like kubectl edit: on a conflict with the operator's status write, or a dropped connection, read again and retry. */
    private void editCache(String ns, String name, Consumer<GoProxyCache> change) {
        await().atMost(PATIENCE)
                .ignoreExceptionsMatching(e -> isRetriedByAPerson(e) || JosdkTimerRace.is(e))
                .until(() -> {
                    client.resources(GoProxyCache.class)
                            .inNamespace(ns)
                            .withName(name)
                            .edit(c -> {
                                change.accept(c);
                                return c;
                            });
                    return true;
                });
    }

    private GoProxyCache fresh(GoProxyCache cache) {
        return fresh(cache.getMetadata().getNamespace(), cache.getMetadata().getName());
    }

    private GoProxyCache fresh(String ns, String name) {
        return client.resources(GoProxyCache.class)
                .inNamespace(ns)
                .withName(name)
                .get();
    }

    /** The cache's status; an assertion error (which the awaits retry) until the operator has written one. */
    private GoProxyCacheStatus status(String ns, String name) {
        GoProxyCache cache = fresh(ns, name);
        assertThat(cache.getStatus()).as("status of %s", name).isNotNull();
        return cache.getStatus();
    }

    private <T extends HasMetadata> T get(Class<T> type, String ns, String name) {
        return client.resources(type).inNamespace(ns).withName(name).get();
    }

    private <T extends HasMetadata> T awaitObject(Class<T> type, String ns, String name) {
        return await().atMost(PATIENCE).until(() -> get(type, ns, name), o -> o != null);
    }

    /** A failure names the condition's reason and message: they say what the operator saw. */
    private static void assertCondition(GoProxyCache cache, String type, String status) {
        CacheCondition c = condition(cache, type);
        assertThat(c.getStatus())
                .as("%s of %s (%s: %s)", type, cache.getMetadata().getName(), c.getReason(), c.getMessage())
                .isEqualTo(status);
    }

    private static CacheCondition condition(GoProxyCache cache, String type) {
        assertThat(cache.getStatus())
                .as("status of %s", cache.getMetadata().getName())
                .isNotNull();
        Optional<CacheCondition> c = cache.getStatus().condition(type);
        assertThat(c).as("condition %s", type).isPresent();
        return c.get();
    }

    private static String configHash(Deployment d) {
        return d.getSpec().getTemplate().getMetadata().getAnnotations().get(CacheNames.CONFIG_HASH_ANNOTATION);
    }

    private Quantity claimSize(String ns, String name) {
        return get(PersistentVolumeClaim.class, ns, name)
                .getSpec()
                .getResources()
                .getRequests()
                .get("storage");
    }

    /** Owned by the cache alone, as its controller ("Controlled By" in kubectl describe). */
    private static void assertOwnedBy(HasMetadata owned, String uid) {
        assertThat(owned.getMetadata().getOwnerReferences())
                .as(
                        "owner references of %s %s",
                        owned.getKind(), owned.getMetadata().getName())
                .singleElement()
                .satisfies(ref -> {
                    assertThat(ref.getUid()).isEqualTo(uid);
                    assertThat(ref.getKind()).isEqualTo("GoProxyCache");
                    assertThat(ref.getController()).isTrue();
                });
    }

    /** A new claim is Pending until a volume binds it; the API server says so, the mock needs to be told. */
    private void markPending(String ns, String name) {
        if (ClusterUnderTest.isReal()) {
            return;
        }
        PersistentVolumeClaim claim = awaitObject(PersistentVolumeClaim.class, ns, name);
        claim.setStatus(
                new PersistentVolumeClaimStatusBuilder().withPhase("Pending").build());
        client.resource(claim).updateStatus();
    }

    /** The mock has no Deployment controller, so the test plays it; a real cluster runs the pods itself. */
    private void markAvailable(String ns, String name) {
        if (ClusterUnderTest.isReal()) {
            return;
        }
        Deployment d = awaitObject(Deployment.class, ns, name);
        d.setStatus(new DeploymentStatusBuilder()
                .withObservedGeneration(d.getMetadata().getGeneration())
                .withReplicas(d.getSpec().getReplicas())
                .withUpdatedReplicas(d.getSpec().getReplicas())
                .withReadyReplicas(d.getSpec().getReplicas())
                .withAvailableReplicas(d.getSpec().getReplicas())
                .withConditions(new DeploymentConditionBuilder()
                        .withType("Available")
                        .withStatus("True")
                        .withReason("MinimumReplicasAvailable")
                        .build())
                .build());
        client.resource(d).updateStatus();
    }

    /** A ResourceQuota "storage" on the namespace's volume claims' requests. */
    private void storageQuota(String ns, String requests) {
        client.resource(new ResourceQuotaBuilder()
                        .withNewMetadata()
                        .withName("storage")
                        .withNamespace(ns)
                        .endMetadata()
                        .withNewSpec()
                        .addToHard("requests.storage", new Quantity(requests))
                        .endSpec()
                        .build())
                .create();
    }
}
