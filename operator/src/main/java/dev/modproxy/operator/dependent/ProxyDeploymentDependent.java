package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.api.v1alpha1.UpstreamCredentials;
import dev.modproxy.operator.settings.ProxySettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The proxy pods: hardened, probed, and rolled when (and only when) what they run changes. */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ProxyDeploymentDependent extends CRUDKubernetesDependentResource<Deployment, GoProxyCache> {

    static final String CONTAINER = "proxy";
    static final String CACHE_VOLUME = "cache";
    static final String TMP_VOLUME = "tmp";
    static final String CREDENTIALS_VOLUME = "upstream-credentials";
    /** The image's own non-root user (proxy/Dockerfile); fsGroup makes the cache volume writable for it. */
    static final long PROXY_UID = 1001L;
    /** Room for a few concurrent uploads being staged; a module zip is at most 500 MiB. */
    static final String STAGING_LIMIT = "4Gi";

    public ProxyDeploymentDependent() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(GoProxyCache cache, Context<GoProxyCache> context) {
        return desiredDeployment(cache);
    }

    static Deployment desiredDeployment(GoProxyCache cache) {
        GoProxyCacheSpec spec = cache.getSpec();
        return new DeploymentBuilder()
                .withMetadata(CacheNames.metadata(cache, CacheNames.deployment(cache)))
                .withNewSpec()
                .withReplicas(spec.getReplicas())
                .withNewSelector().withMatchLabels(CacheNames.selector(cache)).endSelector()
                .withNewStrategy().withType(sharesStorage(spec) ? "RollingUpdate" : "Recreate").endStrategy()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(podLabels(cache))
                .withAnnotations(podAnnotations(cache))
                .endMetadata()
                .withSpec(podSpec(cache))
                .endTemplate()
                .endSpec()
                .build();
    }

    /** A ReadWriteOnce volume cannot be mounted by old and new pods at once, so those roll by Recreate. */
    static boolean sharesStorage(GoProxyCacheSpec spec) {
        return spec.getObjectStorage() != null || (spec.getStorage() != null && spec.getStorage().isShared());
    }

    private static Map<String, String> podLabels(GoProxyCache cache) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (cache.getSpec().getPodLabels() != null) {
            labels.putAll(cache.getSpec().getPodLabels());
        }
        labels.putAll(CacheNames.labels(cache));
        return labels;
    }

    private static Map<String, String> podAnnotations(GoProxyCache cache) {
        Map<String, String> annotations = new LinkedHashMap<>();
        if (cache.getSpec().getPodAnnotations() != null) {
            annotations.putAll(cache.getSpec().getPodAnnotations());
        }
        annotations.put(CacheNames.CONFIG_HASH_ANNOTATION, ProxySettings.of(cache.getSpec()).hash());
        return annotations;
    }

    private static PodSpec podSpec(GoProxyCache cache) {
        GoProxyCacheSpec spec = cache.getSpec();
        return new PodSpecBuilder()
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(PROXY_UID)
                .withRunAsGroup(PROXY_UID)
                .withFsGroup(PROXY_UID)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withContainers(container(cache))
                .addToVolumes(cacheVolume(cache))
                .addAllToVolumes(credentialsVolume(spec.getUpstreamCredentials()))
                .addNewVolume()
                .withName(TMP_VOLUME)
                .withNewEmptyDir().endEmptyDir()
                .endVolume()
                .withNodeSelector(emptyToNull(spec.getNodeSelector()))
                .withTolerations(spec.getTolerations() == null || spec.getTolerations().isEmpty() ? null
                        : spec.getTolerations())
                .withAffinity(spec.getAffinity())
                .withImagePullSecrets(spec.getImagePullSecrets() == null || spec.getImagePullSecrets().isEmpty() ? null
                        : spec.getImagePullSecrets())
                .withServiceAccountName(spec.getServiceAccountName())
                .withPriorityClassName(spec.getPriorityClassName())
                .build();
    }

    private static Container container(GoProxyCache cache) {
        GoProxyCacheSpec spec = cache.getSpec();
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(ProxyImage.of(spec))
                .withImagePullPolicy(spec.getImagePullPolicy())
                .addNewPort()
                .withName(CacheNames.HTTP_PORT_NAME)
                .withContainerPort(ProxySettings.HTTP_PORT)
                .withProtocol("TCP")
                .endPort()
                .addNewEnvFrom().withNewConfigMapRef().withName(CacheNames.configMap(cache)).endConfigMapRef().endEnvFrom()
                .withEnv(credentials(spec.getObjectStorage()))
                .withLivenessProbe(probe("/q/health/live", 3))
                .withReadinessProbe(probe("/q/health/ready", 1))
                .withResources(resources(spec))
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName(CACHE_VOLUME).withMountPath(ProxySettings.STORAGE_DIR).endVolumeMount()
                .addNewVolumeMount().withName(TMP_VOLUME).withMountPath("/tmp").endVolumeMount()
                .addAllToVolumeMounts(spec.getUpstreamCredentials() == null ? List.of()
                        : List.of(new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName(CREDENTIALS_VOLUME)
                                .withMountPath(ProxySettings.CREDENTIALS_DIR).withReadOnly(true).build()))
                .build();
    }

    /** The netrc reaches the pods as a file straight from its Secret, readable by the proxy's group only. */
    static List<Volume> credentialsVolume(UpstreamCredentials credentials) {
        if (credentials == null) {
            return List.of();
        }
        return List.of(new VolumeBuilder().withName(CREDENTIALS_VOLUME)
                .withNewSecret().withSecretName(credentials.getSecretName()).withDefaultMode(0440)
                .addNewItem().withKey(keyOr(credentials.getNetrcKey(), UpstreamCredentials.DEFAULT_NETRC_KEY))
                .withPath(ProxySettings.NETRC_FILE).endItem()
                .endSecret().build());
    }

    /** With object storage the pods only stage uploads, each on its own emptyDir, so replicas need no shared volume. */
    private static Volume cacheVolume(GoProxyCache cache) {
        VolumeBuilder volume = new VolumeBuilder().withName(CACHE_VOLUME);
        if (cache.getSpec().getObjectStorage() != null) {
            return volume.withNewEmptyDir().withSizeLimit(new Quantity(STAGING_LIMIT)).endEmptyDir().build();
        }
        return volume.withNewPersistentVolumeClaim().withClaimName(CacheNames.volumeClaim(cache))
                .endPersistentVolumeClaim().build();
    }

    /** The bucket's key reaches the pods straight from its Secret, so it never sits in the ConfigMap. */
    static List<EnvVar> credentials(ObjectStorage bucket) {
        if (bucket == null || bucket.getCredentialsSecret() == null || bucket.getCredentialsSecret().isBlank()) {
            return List.of();
        }
        return List.of(
                secretEnv("AWS_ACCESS_KEY_ID", bucket.getCredentialsSecret(),
                        keyOr(bucket.getAccessKeyIdKey(), ObjectStorage.DEFAULT_ACCESS_KEY_ID_KEY)),
                secretEnv("AWS_SECRET_ACCESS_KEY", bucket.getCredentialsSecret(),
                        keyOr(bucket.getSecretAccessKeyKey(), ObjectStorage.DEFAULT_SECRET_ACCESS_KEY_KEY)));
    }

    private static EnvVar secretEnv(String name, String secret, String key) {
        return new EnvVarBuilder().withName(name)
                .withNewValueFrom().withNewSecretKeyRef().withName(secret).withKey(key).endSecretKeyRef().endValueFrom()
                .build();
    }

    private static String keyOr(String key, String fallback) {
        return key == null || key.isBlank() ? fallback : key;
    }

    private static Probe probe(String path, int failureThreshold) {
        return new ProbeBuilder()
                .withNewHttpGet().withPath(path).withPort(new IntOrString(CacheNames.HTTP_PORT_NAME)).endHttpGet()
                .withPeriodSeconds(10)
                .withTimeoutSeconds(2)
                .withFailureThreshold(failureThreshold)
                .build();
    }

    static ResourceRequirements resources(GoProxyCacheSpec spec) {
        if (spec.getResources() != null) {
            return spec.getResources();
        }
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("100m"))
                .addToRequests("memory", new Quantity("256Mi"))
                .addToLimits("memory", new Quantity("1Gi"))
                .build();
    }

    private static Map<String, String> emptyToNull(Map<String, String> map) {
        return map == null || map.isEmpty() ? null : map;
    }
}
