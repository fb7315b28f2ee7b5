package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.EgressProxy;
import dev.modproxy.operator.api.v1alpha1.EgressProxyLogin;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.api.v1alpha1.ProxyTuning;
import dev.modproxy.operator.api.v1alpha1.UpstreamCredentials;
import dev.modproxy.operator.settings.ProxySettings;
import dev.modproxy.operator.settings.SpecProblems;
import dev.modproxy.operator.webhook.InjectionLabels;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ProxyDeploymentDependentTest {

    /**
     * SpecProblems and the CRD refuse spec.podLabels that set these labels, because the Deployment sets them over the
     * spec's: the two lists must stay one.
     */
    @Test
    void theLabelsThePodsGetOverTheSpecsAreTheReservedOnes() {
        Map<String, String> podLabels = ProxyDeploymentDependent.desiredDeployment(
                        cache(spec -> spec.setPodLabels(Map.of("team", "builds"))))
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getLabels();

        assertThat(podLabels).containsEntry("team", "builds");
        assertThat(podLabels.keySet())
                .filteredOn(label -> !label.equals("team"))
                .containsExactlyInAnyOrderElementsOf(SpecProblems.RESERVED_POD_LABELS);
    }

    @Test
    void proxyRunsAsNonRootOnAReadOnlyRootWithoutCapabilities() {
        Deployment d = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}));
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        Container proxy = pod.getContainers().get(0);

        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getSecurityContext().getFsGroup()).isNotNull();
        assertThat(proxy.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(proxy.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(proxy.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(proxy.getVolumeMounts())
                .extracting(m -> m.getMountPath())
                .containsExactlyInAnyOrder("/var/cache/modproxy", "/tmp");
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
    }

    @Test
    void proxyListensOnNamedHttpPortWithHealthProbesAndSettingsFromTheConfigMap() {
        Container proxy = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(proxy.getPorts())
                .extracting(p -> p.getName() + "=" + p.getContainerPort())
                .containsExactly("http=8080", "management=9000");
        assertThat(proxy.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        // health is served on the management port only
        assertThat(proxy.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        // a slow start (JVM under a CPU limit, a large volume) is not killed by liveness: the startup probe
        // holds liveness back for minutes, and the proxy opens its port before it counts the cache
        assertThat(proxy.getStartupProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(proxy.getStartupProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(proxy.getStartupProbe().getPeriodSeconds()
                        * proxy.getStartupProbe().getFailureThreshold())
                .isGreaterThanOrEqualTo(300);
        assertThat(proxy.getEnvFrom().get(0).getConfigMapRef().getName()).isEqualTo("gpc-config");
    }

    @Test
    void singleWriterVolumeRollsByRecreateAndSharedStorageRollsGradually() {
        assertThat(strategy(cache(spec -> {}))).isEqualTo("Recreate");
        assertThat(strategy(cache(spec -> spec.getStorage().setAccessModes(List.of("ReadWriteMany")))))
                .isEqualTo("RollingUpdate");
        assertThat(strategy(cache(spec -> {
                    ObjectStorage bucket = new ObjectStorage();
                    bucket.setBucket("go-modules");
                    spec.setObjectStorage(bucket);
                })))
                .isEqualTo("RollingUpdate");
    }

    /**
     * Under server-side apply only fields the operator names are its own: a rolling update's bounds left to the API
     * server's defaulting would stay when the cache moves to a ReadWriteOnce volume, and the API server refuses a
     * Recreate Deployment that has them (OperatorIT in e2e/ makes the whole switch on a real API server).
     */
    @Test
    void gradualRollsNameTheirBoundsSoThatARecreateDeploymentCarriesNone() {
        GoProxyCache shared = cache(spec -> spec.getStorage().setAccessModes(List.of("ReadWriteMany")));
        var rolling = ProxyDeploymentDependent.desiredDeployment(shared)
                .getSpec()
                .getStrategy()
                .getRollingUpdate();
        assertThat(rolling).isNotNull();
        assertThat(rolling.getMaxSurge().getStrVal()).isEqualTo("25%");
        assertThat(rolling.getMaxUnavailable().getStrVal()).isEqualTo("25%");
        assertThat(ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                        .getSpec()
                        .getStrategy()
                        .getRollingUpdate())
                .isNull();
    }

    /**
     * A HorizontalPodAutoscaler aimed at the Deployment writes its replicas through the scale subresource and comes to
     * hold f:spec/f:replicas (the operator's apply entry no longer does): the apply that sets them back is a take-back
     * naming that manager; kubectl scale deployment is the same, as kubectl.
     */
    @Test
    void replicasAnotherManagerSetThroughTheScaleSubresourceAreATakeBackNamingIt() {
        GoProxyCache cache = cache(spec -> {});
        Deployment desired = ProxyDeploymentDependent.desiredDeployment(cache);
        Deployment scaled = ProxyDeploymentDependent.desiredDeployment(cache);
        scaled.getSpec().setReplicas(3);
        scaled.getMetadata()
                .setManagedFields(List.of(
                        entry("goproxycache", "Apply", null, Map.of("f:strategy", Map.of(), "f:template", Map.of())),
                        entry("kube-controller-manager", "Update", "scale", Map.of("f:replicas", Map.of()))));

        assertThat(ReplicasTakeBack.of(scaled, desired, "goproxycache"))
                .contains(new ReplicasTakeBack("kube-controller-manager", "scale", 3, 1));
        assertThat(ReplicasTakeBack.of(scaled, desired, "goproxycache")
                        .orElseThrow()
                        .describeWriter())
                .isEqualTo("field manager kube-controller-manager (through the scale subresource)");

        scaled.getMetadata()
                .setManagedFields(List.of(
                        entry("goproxycache", "Apply", null, Map.of("f:strategy", Map.of())),
                        entry("kubectl", "Update", "scale", Map.of("f:replicas", Map.of()))));
        assertThat(ReplicasTakeBack.of(scaled, desired, "goproxycache"))
                .contains(new ReplicasTakeBack("kubectl", "scale", 3, 1));

        // an edit of the Deployment itself (kubectl edit), not through /scale
        scaled.getMetadata()
                .setManagedFields(List.of(
                        entry("goproxycache", "Apply", null, Map.of("f:strategy", Map.of())),
                        entry("kubectl-edit", "Update", null, Map.of("f:replicas", Map.of()))));
        assertThat(ReplicasTakeBack.of(scaled, desired, "goproxycache")
                        .orElseThrow()
                        .describeWriter())
                .isEqualTo("field manager kubectl-edit");
    }

    /**
     * A user's new spec.replicas (or an autoscaler aimed at the cache's own scale subresource, which writes it) is
     * applied by the operator, which holds the replicas of the Deployment: no take-back. Nor when another manager holds
     * them at the number the cache wants (nothing is set back), nor when no managed fields say who wrote them.
     */
    @Test
    void theOperatorsOwnApplyOfNewReplicasIsNoTakeBack() {
        GoProxyCache scaledUp = cache(spec -> {
            spec.setReplicas(3);
            spec.getStorage().setAccessModes(List.of("ReadWriteMany"));
        });
        Deployment desired = ProxyDeploymentDependent.desiredDeployment(scaledUp);
        Deployment before = ProxyDeploymentDependent.desiredDeployment(scaledUp);
        before.getSpec().setReplicas(1);
        before.getMetadata()
                .setManagedFields(List.of(
                        entry("goproxycache", "Apply", null, Map.of("f:replicas", Map.of(), "f:strategy", Map.of()))));
        assertThat(ReplicasTakeBack.of(before, desired, "goproxycache")).isEmpty();

        // the operator's take-back patch of the pod template is an Update under the same name
        before.getMetadata()
                .setManagedFields(List.of(entry("goproxycache", "Update", null, Map.of("f:replicas", Map.of()))));
        assertThat(ReplicasTakeBack.of(before, desired, "goproxycache")).isEmpty();

        Deployment agreeing = ProxyDeploymentDependent.desiredDeployment(scaledUp);
        agreeing.getMetadata()
                .setManagedFields(
                        List.of(entry("kube-controller-manager", "Update", "scale", Map.of("f:replicas", Map.of()))));
        assertThat(ReplicasTakeBack.of(agreeing, desired, "goproxycache"))
                .as("set to what the cache wants")
                .isEmpty();

        before.getMetadata().setManagedFields(null);
        assertThat(ReplicasTakeBack.of(before, desired, "goproxycache")).isEmpty();
    }

    /** The log names an episode once: while the status says ReplicasTakenBack, a take-back is the same fight. */
    @Test
    void aTakeBackIsReportedWhileTheStatusSaysReplicasTakenBack() {
        GoProxyCache cache = cache(spec -> {});
        assertThat(ReplicasTakeBack.reported(cache)).isFalse();
        GoProxyCacheStatus status = new GoProxyCacheStatus();
        status.setConditions(List.of(new CacheCondition(
                CacheCondition.DEGRADED, CacheCondition.FALSE, "AsExpected", "Nothing needs attention.")));
        cache.setStatus(status);
        assertThat(ReplicasTakeBack.reported(cache)).isFalse();
        status.setConditions(List.of(
                new CacheCondition(CacheCondition.DEGRADED, CacheCondition.TRUE, ReplicasTakeBack.REASON, "...")));
        assertThat(ReplicasTakeBack.reported(cache)).isTrue();
    }

    private static ManagedFieldsEntry entry(
            String manager, String operation, String subresource, Map<String, Object> specFields) {
        return new ManagedFieldsEntryBuilder()
                .withManager(manager)
                .withOperation(operation)
                .withSubresource(subresource)
                .withFieldsType("FieldsV1")
                .withNewFieldsV1()
                .addToAdditionalProperties("f:spec", specFields)
                .endFieldsV1()
                .build();
    }

    /** Seen on a real API server: a cache refused under the previous operator stayed refused after the upgrade. */
    @Test
    void boundsTheOperatorDoesNotOwnAreClearedOnlyOnTheWayToRecreate() {
        GoProxyCache onVolume = cache(spec -> {});
        GoProxyCache shared = cache(spec -> spec.getStorage().setAccessModes(List.of("ReadWriteMany")));
        var leftByAnEarlierOperator = ProxyDeploymentDependent.desiredDeployment(onVolume);
        leftByAnEarlierOperator.getSpec().setStrategy(ProxyDeploymentDependent.strategy(shared.getSpec()));

        assertThat(ProxyDeploymentDependent.boundsToClear(
                        leftByAnEarlierOperator, ProxyDeploymentDependent.desiredDeployment(onVolume)))
                .isTrue();
        assertThat(ProxyDeploymentDependent.boundsToClear(
                        leftByAnEarlierOperator, ProxyDeploymentDependent.desiredDeployment(shared)))
                .isFalse();
        assertThat(ProxyDeploymentDependent.boundsToClear(
                        ProxyDeploymentDependent.desiredDeployment(onVolume),
                        ProxyDeploymentDependent.desiredDeployment(onVolume)))
                .isFalse();
    }

    @Test
    void configHashFollowsTheProxySettingsOnly() {
        String base = hash(cache(spec -> {}));
        assertThat(hash(cache(spec -> {}))).isEqualTo(base);
        assertThat(hash(cache(spec -> spec.setUpstream("https://goproxy.cn")))).isNotEqualTo(base);
        assertThat(hash(cache(spec -> spec.setPrivate(List.of("corp.example.com/*")))))
                .isNotEqualTo(base);
        assertThat(hash(cache(spec -> spec.getPodAnnotations().put("team", "platform"))))
                .isEqualTo(base);
        assertThat(hash(cache(spec -> spec.getStorage().setSize("50Gi")))).isEqualTo(base);
    }

    @Test
    void proxyPodsOptOutOfInjectionSoAnOptedInNamespaceNeverSendsThemToTheWebhook() {
        GoProxyCache cache = cache(spec -> spec.getPodLabels().put(InjectionLabels.INJECT, "true"));

        assertThat(ProxyDeploymentDependent.desiredDeployment(cache)
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getLabels())
                .containsEntry(InjectionLabels.INJECT, "false");
    }

    @Test
    void schedulingAndPodMetadataComeFromTheSpecButCannotStealTheSelector() {
        GoProxyCache cache = cache(spec -> {
            spec.setNodeSelector(Map.of("pool", "builds"));
            spec.setTolerations(List.of(new TolerationBuilder()
                    .withKey("dedicated")
                    .withOperator("Exists")
                    .build()));
            spec.setAffinity(new AffinityBuilder()
                    .withNewNodeAffinity()
                    .endNodeAffinity()
                    .build());
            spec.getPodLabels().put("team", "platform");
            spec.getPodLabels().put(CacheNames.INSTANCE_LABEL, "someone-else");
            spec.getPodAnnotations().put("prometheus.io/scrape", "true");
            spec.setReplicas(1);
        });
        Deployment d = ProxyDeploymentDependent.desiredDeployment(cache);
        PodSpec pod = d.getSpec().getTemplate().getSpec();

        assertThat(pod.getNodeSelector()).containsEntry("pool", "builds");
        assertThat(pod.getTolerations()).extracting(t -> t.getKey()).containsExactly("dedicated");
        assertThat(pod.getAffinity().getNodeAffinity()).isNotNull();
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry("team", "platform")
                .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
        assertThat(d.getSpec().getSelector().getMatchLabels()).containsEntry(CacheNames.INSTANCE_LABEL, "gpc");
        assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("prometheus.io/scrape", "true")
                .containsKey(CacheNames.CONFIG_HASH_ANNOTATION);
    }

    /**
     * Every pod carries its template's hash, by which the cache tells the current template's pods from a rollout's old
     * ones: the same for the same spec, another whenever the template changes, the image or a Secret's name included,
     * which leave the config hash as it is.
     */
    @Test
    void thePodTemplateCarriesAHashOfItselfThatChangesWithAnyOfIt() {
        GoProxyCache plain = cache(spec -> {});
        String first = templateHash(plain);
        assertThat(first).matches("[0-9a-f]{16}").isEqualTo(templateHash(cache(spec -> {})));

        GoProxyCache otherImage = cache(spec -> spec.setImage("registry.corp.example.com/modproxy/proxy:1.2.3"));
        assertThat(hash(otherImage)).as("the config hash").isEqualTo(hash(plain));
        assertThat(templateHash(otherImage)).isNotEqualTo(first);
        GoProxyCache moreMemory = cache(spec -> spec.setResources(new ResourceRequirementsBuilder()
                .addToLimits("memory", new Quantity("4Gi"))
                .build()));
        assertThat(templateHash(moreMemory)).isNotEqualTo(first).isNotEqualTo(templateHash(otherImage));

        // the hash of the template it is in, without itself
        PodTemplateSpec template =
                ProxyDeploymentDependent.desiredDeployment(plain).getSpec().getTemplate();
        template.getMetadata().getAnnotations().remove(CacheNames.TEMPLATE_HASH_ANNOTATION);
        assertThat(ProxyDeploymentDependent.templateHash(template)).isEqualTo(first);
    }

    /**
     * The same annotations, labels and node selector applied with their keys in another order (another kubectl apply,
     * a Helm chart's rendering) are the same pod template: no pod-template annotation changes, so nothing rolls out.
     * A real change still does, and the order of lists (env, tolerations), which means something, still counts.
     */
    @Test
    void theTemplateHashDoesNotFollowTheOrderOfAMapsKeys() {
        GoProxyCache oneOrder = cache(spec -> {
            spec.setPodAnnotations(ordered("team", "builds", "cost-center", "42", "owner", "platform"));
            spec.setPodLabels(ordered("tier", "cache", "env", "ci"));
            spec.setNodeSelector(ordered("pool", "builds", "disk", "ssd"));
        });
        GoProxyCache otherOrder = cache(spec -> {
            spec.setPodAnnotations(ordered("owner", "platform", "cost-center", "42", "team", "builds"));
            spec.setPodLabels(ordered("env", "ci", "tier", "cache"));
            spec.setNodeSelector(ordered("disk", "ssd", "pool", "builds"));
        });
        assertThat(templateHash(otherOrder)).isEqualTo(templateHash(oneOrder));

        GoProxyCache otherValue = cache(spec -> {
            spec.setPodAnnotations(ordered("team", "builds", "cost-center", "43", "owner", "platform"));
            spec.setPodLabels(ordered("tier", "cache", "env", "ci"));
            spec.setNodeSelector(ordered("pool", "builds", "disk", "ssd"));
        });
        assertThat(templateHash(otherValue)).isNotEqualTo(templateHash(oneOrder));
        GoProxyCache otherImage = cache(spec -> {
            spec.setPodAnnotations(ordered("team", "builds", "cost-center", "42", "owner", "platform"));
            spec.setImage("registry.corp.example.com/modproxy/proxy:1.2.3");
        });
        assertThat(templateHash(otherImage)).isNotEqualTo(templateHash(oneOrder));

        var noSchedule = new TolerationBuilder()
                .withKey("dedicated")
                .withValue("builds")
                .withEffect("NoSchedule")
                .build();
        var noExecute = new TolerationBuilder()
                .withKey("dedicated")
                .withValue("builds")
                .withEffect("NoExecute")
                .build();
        assertThat(templateHash(cache(spec -> spec.setTolerations(List.of(noSchedule, noExecute)))))
                .as("lists keep their order")
                .isNotEqualTo(templateHash(cache(spec -> spec.setTolerations(List.of(noExecute, noSchedule)))));
    }

    /** Fields fabric8's model does not know (a newer API server's) are held in a map too, and hashed in key order. */
    @Test
    void fieldsTheModelDoesNotKnowAreHashedInKeyOrder() {
        PodTemplateSpec oneOrder = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                .getSpec()
                .getTemplate();
        PodTemplateSpec otherOrder = new io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder(oneOrder).build();
        oneOrder.getSpec().setAdditionalProperty("aFieldOfANewerRelease", "a");
        oneOrder.getSpec().setAdditionalProperty("anotherFieldOfANewerRelease", "b");
        otherOrder.getSpec().setAdditionalProperty("anotherFieldOfANewerRelease", "b");
        otherOrder.getSpec().setAdditionalProperty("aFieldOfANewerRelease", "a");
        assertThat(ProxyDeploymentDependent.templateHash(otherOrder))
                .isEqualTo(ProxyDeploymentDependent.templateHash(oneOrder));
    }

    /**
     * The API server keeps a quantity in its canonical form (1024Mi is stored as 1Gi), so the same amount written
     * another way is the same pod template: it must not change the hash and roll the pods. Another amount does.
     */
    @Test
    void theSameQuantityWrittenAnotherWayKeepsTheTemplateHash() {
        GoProxyCache gibibyte = cache(spec -> spec.setResources(new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("0.5"))
                .addToRequests("memory", new Quantity("1Gi"))
                .build()));
        GoProxyCache mebibytes = cache(spec -> spec.setResources(new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("500m"))
                .addToRequests("memory", new Quantity("1024Mi"))
                .build()));
        GoProxyCache gigabyte = cache(spec -> spec.setResources(new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("500m"))
                .addToRequests("memory", new Quantity("1G"))
                .build()));

        assertThat(templateHash(mebibytes)).isEqualTo(templateHash(gibibyte));
        assertThat(templateHash(gigabyte)).as("10^9 bytes is another amount").isNotEqualTo(templateHash(gibibyte));
    }

    /** A map holding {@code keysAndValues} in the order given. */
    private static Map<String, String> ordered(String... keysAndValues) {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private static String templateHash(GoProxyCache cache) {
        return ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations()
                .get(CacheNames.TEMPLATE_HASH_ANNOTATION);
    }

    @Test
    void resourcesAndImageDefaultUnlessTheSpecSetsThem() throws IOException {
        Container defaults = container(cache(spec -> {}));
        assertThat(defaults.getResources().getRequests()).containsEntry("memory", new Quantity("256Mi"));
        // the operator-wide default, modproxy.operator.proxy-image: its test-profile value in this run, and
        // outside tests the project's own release matching the operator's
        assertThat(defaults.getImage()).isEqualTo(ProxyImage.defaultImage());
        assertThat(Files.readAllLines(Path.of("src", "main", "resources", "application.properties")))
                .contains("modproxy.operator.proxy-image=ghcr.io/modproxy/proxy:${quarkus.application.version}");

        Container custom = container(cache(spec -> {
            spec.setResources(new ResourceRequirementsBuilder()
                    .addToLimits("memory", new Quantity("4Gi"))
                    .build());
            spec.setImage("registry.corp.example.com/modproxy/proxy:1.2.3");
            spec.setImagePullPolicy("Always");
            spec.setReplicas(2);
        }));
        assertThat(custom.getResources().getLimits()).containsEntry("memory", new Quantity("4Gi"));
        assertThat(custom.getImage()).isEqualTo("registry.corp.example.com/modproxy/proxy:1.2.3");
        assertThat(custom.getImagePullPolicy()).isEqualTo("Always");
    }

    private static String strategy(GoProxyCache cache) {
        return ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getStrategy()
                .getType();
    }

    private static String hash(GoProxyCache cache) {
        return ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations()
                .get(CacheNames.CONFIG_HASH_ANNOTATION);
    }

    private static Container container(GoProxyCache cache) {
        return ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
    }

    @Test
    void bucketCredentialsComeFromTheNamedSecretUnderDefaultKeys() {
        Deployment d =
                ProxyDeploymentDependent.desiredDeployment(cache(spec -> spec.setObjectStorage(bucket("minio-keys"))));
        Container proxy = d.getSpec().getTemplate().getSpec().getContainers().get(0);

        assertThat(proxy.getEnv())
                .extracting(EnvVar::getName)
                .containsExactly("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
        assertThat(proxy.getEnv()).allSatisfy(env -> {
            assertThat(env.getValue()).isNull();
            assertThat(env.getValueFrom().getSecretKeyRef().getName()).isEqualTo("minio-keys");
            assertThat(env.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(env.getName());
        });
    }

    @Test
    void upstreamLoginsAreAFileFromTheirSecretAndTheConfigMapOnlyNamesItsPath() {
        GoProxyCache cache = cache(spec -> {
            spec.setUpstreamCredentials(new dev.modproxy.operator.api.v1alpha1.UpstreamCredentials());
            spec.getUpstreamCredentials().setSecretName("artifactory-login");
        });
        PodSpec pod = ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getTemplate()
                .getSpec();

        io.fabric8.kubernetes.api.model.Volume volume = pod.getVolumes().stream()
                .filter(v -> v.getName().equals("upstream-credentials"))
                .findFirst()
                .orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("artifactory-login");
        assertThat(volume.getSecret().getItems())
                .singleElement()
                .satisfies(item ->
                        assertThat(item.getKey() + "->" + item.getPath()).isEqualTo("netrc->netrc"));
        assertThat(volume.getSecret().getDefaultMode()).isEqualTo(0440);
        assertThat(pod.getContainers().get(0).getVolumeMounts()).anySatisfy(mount -> {
            assertThat(mount.getName()).isEqualTo("upstream-credentials");
            assertThat(mount.getMountPath()).isEqualTo("/etc/modproxy/upstream-credentials");
            assertThat(mount.getReadOnly()).isTrue();
        });
        assertThat(pod.getContainers().get(0).getEnv()).isEmpty();
        assertThat(dev.modproxy.operator.settings.ProxySettings.of(cache.getSpec())
                        .env())
                .containsEntry("MODPROXY_NETRC", "/etc/modproxy/upstream-credentials/netrc")
                .allSatisfy((key, value) -> assertThat(value).doesNotContain("artifactory-login"));
        assertThat(ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getVolumes())
                .noneSatisfy(v -> assertThat(v.getName()).isEqualTo("upstream-credentials"));
    }

    @Test
    void upstreamCasAreAFileFromTheirSecretAndTheConfigMapOnlyNamesItsPath() {
        GoProxyCache cache = cache(spec -> {
            spec.setUpstreamCA(new dev.modproxy.operator.api.v1alpha1.UpstreamCA());
            spec.getUpstreamCA().setSecretName("corp-ca");
        });
        PodSpec pod = ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getTemplate()
                .getSpec();

        io.fabric8.kubernetes.api.model.Volume volume = upstreamCaVolume(pod);
        assertThat(volume.getConfigMap()).isNull();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("corp-ca");
        assertThat(volume.getSecret().getItems())
                .singleElement()
                .satisfies(item ->
                        assertThat(item.getKey() + "->" + item.getPath()).isEqualTo("ca.crt->ca.crt"));
        assertThat(volume.getSecret().getDefaultMode()).isEqualTo(0440);
        assertUpstreamCaMounted(pod);
        assertThat(pod.getContainers().get(0).getEnv()).isEmpty();
        assertThat(dev.modproxy.operator.settings.ProxySettings.of(cache.getSpec())
                        .env())
                .containsEntry("MODPROXY_UPSTREAM_CA_FILE", "/etc/modproxy/upstream-ca/ca.crt")
                .allSatisfy((key, value) -> assertThat(value).doesNotContain("corp-ca"));
        PodSpec without = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                .getSpec()
                .getTemplate()
                .getSpec();
        assertThat(without.getVolumes())
                .noneSatisfy(v -> assertThat(v.getName()).isEqualTo("upstream-ca"));
        assertThat(without.getContainers().get(0).getVolumeMounts())
                .noneSatisfy(m -> assertThat(m.getName()).isEqualTo("upstream-ca"));
        assertThat(dev.modproxy.operator.settings.ProxySettings.of(
                                cache(spec -> {}).getSpec())
                        .env())
                .doesNotContainKey("MODPROXY_UPSTREAM_CA_FILE");
    }

    /** A trust-manager Bundle or a CA bundle teams share is a ConfigMap; its key is often not ca.crt. */
    @Test
    void upstreamCasFromAConfigMapUnderAKeyOfItsOwn() {
        GoProxyCache cache = cache(spec -> {
            spec.setUpstreamCA(new dev.modproxy.operator.api.v1alpha1.UpstreamCA());
            spec.getUpstreamCA().setConfigMapName("corp-trust-bundle");
            spec.getUpstreamCA().setKey("bundle.pem");
        });
        PodSpec pod = ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getTemplate()
                .getSpec();

        io.fabric8.kubernetes.api.model.Volume volume = upstreamCaVolume(pod);
        assertThat(volume.getSecret()).isNull();
        assertThat(volume.getConfigMap().getName()).isEqualTo("corp-trust-bundle");
        assertThat(volume.getConfigMap().getItems())
                .singleElement()
                .satisfies(item ->
                        assertThat(item.getKey() + "->" + item.getPath()).isEqualTo("bundle.pem->ca.crt"));
        assertThat(volume.getConfigMap().getDefaultMode()).isEqualTo(0440);
        assertThat(volume.getConfigMap().getOptional()).isNull(); // a missing one holds the pod back, as a Secret's
        assertUpstreamCaMounted(pod);
        assertThat(dev.modproxy.operator.settings.ProxySettings.of(cache.getSpec())
                        .env())
                .containsEntry("MODPROXY_UPSTREAM_CA_FILE", "/etc/modproxy/upstream-ca/ca.crt");
    }

    private static io.fabric8.kubernetes.api.model.Volume upstreamCaVolume(PodSpec pod) {
        return pod.getVolumes().stream()
                .filter(v -> v.getName().equals("upstream-ca"))
                .findFirst()
                .orElseThrow();
    }

    private static void assertUpstreamCaMounted(PodSpec pod) {
        assertThat(pod.getContainers().get(0).getVolumeMounts())
                .filteredOn(mount -> mount.getName().equals("upstream-ca"))
                .singleElement()
                .satisfies(mount -> {
                    assertThat(mount.getMountPath()).isEqualTo("/etc/modproxy/upstream-ca");
                    assertThat(mount.getReadOnly()).isTrue();
                });
    }

    @Test
    void pullSecretsServiceAccountAndPriorityComeFromTheSpec() {
        PodSpec pod = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {
                    spec.setImagePullSecrets(
                            List.of(new io.fabric8.kubernetes.api.model.LocalObjectReference("registry-login")));
                    spec.setServiceAccountName("modproxy-s3-identity");
                    spec.setPriorityClassName("build-infrastructure");
                }))
                .getSpec()
                .getTemplate()
                .getSpec();

        assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("registry-login");
        assertThat(pod.getServiceAccountName()).isEqualTo("modproxy-s3-identity");
        assertThat(pod.getPriorityClassName()).isEqualTo("build-infrastructure");

        PodSpec plain = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                .getSpec()
                .getTemplate()
                .getSpec();
        assertThat(plain.getImagePullSecrets()).isNullOrEmpty();
        assertThat(plain.getServiceAccountName()).isNull();
        assertThat(plain.getPriorityClassName()).isNull();
    }

    @Test
    void secretKeysCanBeRenamed() {
        ObjectStorage bucket = bucket("rgw-user");
        bucket.setAccessKeyIdKey("access-key");
        bucket.setSecretAccessKeyKey("secret-key");
        Container proxy = ProxyDeploymentDependent.desiredDeployment(cache(spec -> spec.setObjectStorage(bucket)))
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(proxy.getEnv())
                .extracting(env -> env.getName() + "="
                        + env.getValueFrom().getSecretKeyRef().getKey())
                .containsExactly("AWS_ACCESS_KEY_ID=access-key", "AWS_SECRET_ACCESS_KEY=secret-key");
    }

    @Test
    void withObjectStorageEachPodStagesOnItsOwnBoundedEmptyDirInsteadOfTheClaim() {
        PodSpec pod = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {
                    spec.setObjectStorage(bucket(null));
                    spec.setReplicas(3);
                }))
                .getSpec()
                .getTemplate()
                .getSpec();

        assertThat(pod.getVolumes())
                .filteredOn(v -> v.getName().equals("cache"))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.getPersistentVolumeClaim()).isNull();
                    assertThat(v.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("4Gi"));
                });
        assertThat(pod.getContainers().get(0).getEnv())
                .as("default credential chain")
                .isEmpty();
    }

    @Test
    void proxyPodsCarryNoServiceAccountTokenABoundedTmpAndATolerantReadinessProbe() {
        PodSpec pod = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                .getSpec()
                .getTemplate()
                .getSpec();

        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getVolumes())
                .filteredOn(v -> v.getName().equals("tmp"))
                .singleElement()
                .satisfies(v -> assertThat(v.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("2Gi")));
        assertThat(pod.getContainers().get(0).getReadinessProbe().getFailureThreshold())
                .isGreaterThan(1);
    }

    /** The cache's Degraded ProxyCrashing quotes the proxy's last line, which the kubelet keeps only so. */
    @Test
    void aProxyThatExitsLeavesItsLastLogLineInItsTerminatedState() {
        PodSpec pod = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                .getSpec()
                .getTemplate()
                .getSpec();

        assertThat(pod.getContainers().get(0).getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
    }

    @Test
    void whereThePlatformAssignsIdsTheyAreLeftOutButRunAsNonRootStays() {
        PodSpec fixed = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}), true, Optional.empty())
                .getSpec()
                .getTemplate()
                .getSpec();
        PodSpec assigned = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}), false, Optional.empty())
                .getSpec()
                .getTemplate()
                .getSpec();

        assertThat(fixed.getSecurityContext().getRunAsUser()).isEqualTo(1001L);
        assertThat(fixed.getSecurityContext().getFsGroup()).isEqualTo(1001L);
        assertThat(assigned.getSecurityContext().getRunAsUser()).isNull();
        assertThat(assigned.getSecurityContext().getRunAsGroup()).isNull();
        assertThat(assigned.getSecurityContext().getFsGroup()).isNull();
        assertThat(assigned.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(assigned.getContainers().get(0).getSecurityContext().getRunAsNonRoot())
                .isTrue();
    }

    @Test
    void aHeldRolloutKeepsTheRunningPodsThroughAnOperatorUpgradeUntilReleased() {
        GoProxyCache held = cache(spec -> {
            spec.setReplicas(2);
            spec.setHoldRollout(true);
        });
        // what an older operator made: another image and other settings
        Deployment running =
                ProxyDeploymentDependent.desiredDeployment(cache(spec -> spec.setUpstream("https://old.example")));
        running.getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .setImage("registry.example/modproxy/proxy:0.0.9");

        Deployment kept = ProxyDeploymentDependent.desiredDeployment(held, true, Optional.of(running));

        assertThat(kept.getSpec().getTemplate()).isEqualTo(running.getSpec().getTemplate());
        assertThat(kept.getSpec().getReplicas())
                .as("scaling still follows the spec")
                .isEqualTo(2);

        held.getSpec().setHoldRollout(false);
        Deployment rolled = ProxyDeploymentDependent.desiredDeployment(held, true, Optional.of(running));
        assertThat(rolled.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage())
                .isEqualTo(ProxyImage.defaultImage());
        assertThat(rolled.getSpec().getTemplate())
                .isNotEqualTo(running.getSpec().getTemplate());
        // a new cache has nothing to hold: it starts on the current image
        held.getSpec().setHoldRollout(true);
        assertThat(ProxyDeploymentDependent.desiredDeployment(held, true, Optional.empty())
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage())
                .isEqualTo(ProxyImage.defaultImage());
    }

    @Test
    void aHeldRolloutKeepsTheSettingsTheRunningPodsRead() {
        GoProxyCache held = cache(spec -> {
            spec.setUpstream("https://goproxy.cn");
            spec.setHoldRollout(true);
        });
        ConfigMap running = ProxyConfigMapDependent.desiredConfigMap(
                cache(spec -> spec.setUpstream("https://old.example")), Optional.empty());

        assertThat(ProxyConfigMapDependent.desiredConfigMap(held, Optional.of(running))
                        .getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://old.example");
        held.getSpec().setHoldRollout(false);
        assertThat(ProxyConfigMapDependent.desiredConfigMap(held, Optional.of(running))
                        .getData())
                .containsEntry("MODPROXY_UPSTREAM", "https://goproxy.cn");
    }

    @Test
    void extraEnvironmentReachesTheProxyAfterTheSecretBackedVariables() {
        Container proxy = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {
                    spec.setObjectStorage(bucket("s3-keys"));
                    spec.setProxy(new ProxyTuning());
                    spec.getProxy()
                            .setEnv(List.of(
                                    new EnvVarBuilder()
                                            .withName("QUARKUS_LOG_LEVEL")
                                            .withValue("DEBUG")
                                            .build(),
                                    new EnvVarBuilder()
                                            .withName("MODPROXY_EXTRA_TOKEN")
                                            .withNewValueFrom()
                                            .withNewSecretKeyRef()
                                            .withName("tokens")
                                            .withKey("extra")
                                            .endSecretKeyRef()
                                            .endValueFrom()
                                            .build()));
                }))
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(proxy.getEnv())
                .extracting(EnvVar::getName)
                .containsExactly(
                        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "QUARKUS_LOG_LEVEL", "MODPROXY_EXTRA_TOKEN");
        assertThat(proxy.getEnv().get(2).getValue()).isEqualTo("DEBUG");
        assertThat(proxy.getEnv().get(3).getValueFrom().getSecretKeyRef().getName())
                .isEqualTo("tokens");
    }

    /**
     * The egress proxy's login comes from its Secret through the kubelet, first in env, then the addresses that refer
     * to it: the kubelet expands $(NAME) only with variables declared before, and never in the ConfigMap's values.
     */
    @Test
    void anEgressProxyLoginIsComposedIntoTheAddressesByTheKubeletFromItsSecret() {
        GoProxyCache cache = cache(spec -> {
            spec.setEgressProxy(new EgressProxy());
            spec.getEgressProxy().setHttpsProxy("proxy.corp.example.com:3128");
            spec.getEgressProxy().setHttpProxy("https://[fd00::1]:3128/");
            spec.getEgressProxy().setNoProxy(List.of(".corp.example.com"));
            spec.getEgressProxy().setLoginSecretRef(new EgressProxyLogin());
            spec.getEgressProxy().getLoginSecretRef().setName("egress-login");
            spec.setObjectStorage(bucket("s3-keys"));
            ProxyTuning tuning = new ProxyTuning();
            tuning.setEnv(List.of(new EnvVar("QUARKUS_LOG_LEVEL", "DEBUG", null)));
            spec.setProxy(tuning);
        });
        Container proxy = ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(proxy.getEnv())
                .extracting(EnvVar::getName)
                .containsExactly(
                        "EGRESS_PROXY_LOGIN",
                        "HTTPS_PROXY",
                        "HTTP_PROXY",
                        "AWS_ACCESS_KEY_ID",
                        "AWS_SECRET_ACCESS_KEY",
                        "QUARKUS_LOG_LEVEL");
        EnvVar login = proxy.getEnv().get(0);
        assertThat(login.getValue()).isNull();
        assertThat(login.getValueFrom().getSecretKeyRef().getName()).isEqualTo("egress-login");
        assertThat(login.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("login");
        assertThat(login.getValueFrom().getSecretKeyRef().getOptional())
                .as("a missing Secret or key keeps the pod from starting rather than running it without the login")
                .isFalse();
        assertThat(proxy.getEnv().get(1).getValue())
                .isEqualTo("http://$(EGRESS_PROXY_LOGIN)@proxy.corp.example.com:3128");
        assertThat(proxy.getEnv().get(2).getValue()).isEqualTo("https://$(EGRESS_PROXY_LOGIN)@[fd00::1]:3128/");

        // what the container's process gets, the login read from the Secret as it is, percent-encoding and all
        Map<String, String> secret = Map.of("egress-login/login", "build%40corp:p%3A$s");
        Map<String, String> started = new java.util.LinkedHashMap<>();
        for (EnvVar variable : proxy.getEnv()) {
            started.put(
                    variable.getName(),
                    variable.getValueFrom() != null
                            ? secret.get(variable.getValueFrom()
                                            .getSecretKeyRef()
                                            .getName() + "/"
                                    + variable.getValueFrom().getSecretKeyRef().getKey())
                            : dev.modproxy.operator.webhook.KubeletExpansion.expand(variable.getValue(), started));
        }
        assertThat(started)
                .containsEntry("HTTPS_PROXY", "http://build%40corp:p%3A$s@proxy.corp.example.com:3128")
                .containsEntry("HTTP_PROXY", "https://build%40corp:p%3A$s@[fd00::1]:3128/");

        // the ConfigMap (envFrom) holds neither address: its values are not expanded, and env would shadow them
        ConfigMap config = ProxyConfigMapDependent.desiredConfigMap(cache, Optional.empty());
        assertThat(config.getData())
                .doesNotContainKeys("HTTPS_PROXY", "HTTP_PROXY", "EGRESS_PROXY_LOGIN")
                .containsEntry("NO_PROXY", ".corp.example.com")
                .allSatisfy((key, value) -> assertThat(value).doesNotContain("egress-login", "EGRESS_PROXY_LOGIN"));
    }

    /** Without a login the addresses stay in the ConfigMap as they were, and env gets nothing of the egress proxy. */
    @Test
    void anEgressProxyWithoutALoginStaysInTheConfigMap() {
        GoProxyCache cache = cache(spec -> {
            spec.setEgressProxy(new EgressProxy());
            spec.getEgressProxy().setHttpsProxy("http://proxy.corp.example.com:3128");
            spec.getEgressProxy().setHttpProxy("http://proxy.corp.example.com:3128");
        });
        assertThat(ProxyDeploymentDependent.desiredDeployment(cache)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getEnv())
                .isEmpty();
        assertThat(ProxyConfigMapDependent.desiredConfigMap(cache, Optional.empty())
                        .getData())
                .containsEntry("HTTPS_PROXY", "http://proxy.corp.example.com:3128")
                .containsEntry("HTTP_PROXY", "http://proxy.corp.example.com:3128");
    }

    /** A login for httpsProxy alone leaves HTTP_PROXY unset; a key of the user's own is the one read. */
    @Test
    void anEgressProxyLoginGoesOnlyIntoTheAddressesThatAreSet() {
        GoProxyCache cache = cache(spec -> {
            spec.setEgressProxy(new EgressProxy());
            spec.getEgressProxy().setHttpsProxy("https://proxy.corp.example.com");
            spec.getEgressProxy().setLoginSecretRef(new EgressProxyLogin());
            spec.getEgressProxy().getLoginSecretRef().setName("egress-login");
            spec.getEgressProxy().getLoginSecretRef().setKey("user-pass");
        });
        List<EnvVar> env = ProxyDeploymentDependent.desiredDeployment(cache)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv();
        assertThat(env).extracting(EnvVar::getName).containsExactly("EGRESS_PROXY_LOGIN", "HTTPS_PROXY");
        assertThat(env.get(0).getValueFrom().getSecretKeyRef().getKey()).isEqualTo("user-pass");
        assertThat(env.get(1).getValue()).isEqualTo("https://$(EGRESS_PROXY_LOGIN)@proxy.corp.example.com");
        assertThat(ProxyConfigMapDependent.desiredConfigMap(cache, Optional.empty())
                        .getData())
                .doesNotContainKeys("HTTPS_PROXY", "HTTP_PROXY");
    }

    /** Only the login's reference is expanded: a '$' of the address itself reaches the proxy as written. */
    @Test
    void aDollarInTheAddressIsNotExpandedByTheKubelet() {
        String composed = ProxySettings.egressProxyUrlWithLogin("http://proxy$(HOME).corp:3128");
        assertThat(composed).isEqualTo("http://$(EGRESS_PROXY_LOGIN)@proxy$$(HOME).corp:3128");
        assertThat(dev.modproxy.operator.webhook.KubeletExpansion.expand(
                        composed, Map.of("EGRESS_PROXY_LOGIN", "u:p", "HOME", "/root")))
                .isEqualTo("http://u:p@proxy$(HOME).corp:3128");
    }

    /** spec.proxy.env is refused for exactly the variables the operator sets: none may be missing from the list. */
    @Test
    void everyVariableTheOperatorSetsIsOneSpecProxyEnvCannotSet() {
        GoProxyCache everything = cache(spec -> {
            spec.setObjectStorage(bucket("s3-keys"));
            spec.getObjectStorage().setEndpoint("https://minio.example");
            spec.getObjectStorage().setRegion("eu-west-1");
            spec.getObjectStorage().setPrefix("cache/");
            spec.setPrivate(List.of("corp.example/*"));
            spec.setNoSumDB(List.of("corp.example/*"));
            spec.getStorage().setHighWatermark(90);
            spec.getStorage().setLowWatermark(80);
            spec.setEgressProxy(new EgressProxy());
            spec.getEgressProxy().setHttpsProxy("http://egress:3128");
            spec.getEgressProxy().setHttpProxy("http://egress:3128");
            spec.getEgressProxy().setNoProxy(List.of(".corp"));
            spec.getEgressProxy().setLoginSecretRef(new EgressProxyLogin());
            spec.getEgressProxy().getLoginSecretRef().setName("egress-login");
            spec.setUpstreamCredentials(new UpstreamCredentials());
            spec.getUpstreamCredentials().setSecretName("logins");
            spec.setUpstreamCA(new dev.modproxy.operator.api.v1alpha1.UpstreamCA());
            spec.getUpstreamCA().setSecretName("corp-ca");
            ProxyTuning tuning = new ProxyTuning();
            tuning.setMutableTtl("1m");
            tuning.setNegativeTtl("1m");
            tuning.setConnectTimeout("1s");
            tuning.setReadTimeout("1s");
            tuning.setSumdbRequired(true);
            tuning.setMemoryCacheSize("1Mi");
            tuning.setJvmOptions("-Xss1m");
            spec.setProxy(tuning);
        });
        Set<String> set =
                new TreeSet<>(ProxySettings.of(everything.getSpec()).env().keySet());
        ProxyDeploymentDependent.desiredDeployment(everything)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv()
                .forEach(e -> set.add(e.getName()));

        assertThat(ProxySettings.OWNED_VARIABLES.keySet()).containsAll(set);
    }

    @Test
    void securityContextOverridesReplaceOnlyTheFieldsTheyNameAndKeepTheHardenedRest() {
        PodSpec pod = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {
                    spec.setPodSecurityContext(new PodSecurityContextBuilder()
                            .withRunAsUser(2000L)
                            .withFsGroup(3000L)
                            .withSupplementalGroups(4000L)
                            .build());
                    spec.setSecurityContext(new SecurityContextBuilder()
                            .withNewCapabilities()
                            .withAdd("NET_BIND_SERVICE")
                            .endCapabilities()
                            .withNewSeLinuxOptions()
                            .withLevel("s0:c123,c456")
                            .endSeLinuxOptions()
                            .build());
                }))
                .getSpec()
                .getTemplate()
                .getSpec();
        Container proxy = pod.getContainers().get(0);

        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(2000L);
        assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(3000L);
        assertThat(pod.getSecurityContext().getSupplementalGroups()).containsExactly(4000L);
        assertThat(pod.getSecurityContext().getRunAsGroup()).as("default kept").isEqualTo(1001L);
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

        assertThat(proxy.getSecurityContext().getCapabilities().getAdd()).containsExactly("NET_BIND_SERVICE");
        assertThat(proxy.getSecurityContext().getCapabilities().getDrop())
                .as("merged within capabilities")
                .containsExactly("ALL");
        assertThat(proxy.getSecurityContext().getSeLinuxOptions().getLevel()).isEqualTo("s0:c123,c456");
        assertThat(proxy.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(proxy.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    }

    @Test
    void aSecurityContextDefaultGoesOnlyWhenTheSpecSaysSo() {
        Container proxy = ProxyDeploymentDependent.desiredDeployment(
                        cache(spec -> spec.setSecurityContext(new SecurityContextBuilder()
                                .withReadOnlyRootFilesystem(false)
                                .build())))
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);

        assertThat(proxy.getSecurityContext().getReadOnlyRootFilesystem()).isFalse();
        assertThat(proxy.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(proxy.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        // a pod without overrides is exactly as hardened as before
        assertThat(ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}))
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getSecurityContext())
                .isEqualTo(new SecurityContextBuilder()
                        .withAllowPrivilegeEscalation(false)
                        .withReadOnlyRootFilesystem(true)
                        .withRunAsNonRoot(true)
                        .withNewCapabilities()
                        .withDrop("ALL")
                        .endCapabilities()
                        .build());
    }

    private static ObjectStorage bucket(String secret) {
        ObjectStorage bucket = new ObjectStorage();
        bucket.setBucket("go-modules");
        bucket.setCredentialsSecret(secret);
        return bucket;
    }
}
