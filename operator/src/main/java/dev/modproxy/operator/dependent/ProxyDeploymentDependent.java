package dev.modproxy.operator.dependent;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.modproxy.operator.api.v1alpha1.EgressProxy;
import dev.modproxy.operator.api.v1alpha1.EgressProxyLogin;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.api.v1alpha1.UpstreamCA;
import dev.modproxy.operator.api.v1alpha1.UpstreamCredentials;
import dev.modproxy.operator.settings.ProxySettings;
import dev.modproxy.operator.settings.ShortDigest;
import dev.modproxy.operator.webhook.InjectionLabels;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.KeyToPathBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/** The proxy pods: hardened, probed, and rolled when (and only when) what they run changes. */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ProxyDeploymentDependent extends CacheOwnedDependent<Deployment> {

    static final String CONTAINER = "proxy";
    static final String CACHE_VOLUME = "cache";
    static final String TMP_VOLUME = "tmp";
    static final String CREDENTIALS_VOLUME = "upstream-credentials";
    static final String UPSTREAM_CA_VOLUME = "upstream-ca";
    /** The image's own non-root user (proxy/Dockerfile); fsGroup makes the cache volume writable for it. */
    static final long PROXY_UID = 1001L;
    /** Room for a few concurrent uploads being staged; a module zip is at most 500 MiB. */
    static final String STAGING_LIMIT = "4Gi";
    /** /tmp holds pass-through zips (up to 500 MiB each) while the cache is full: room for four at once. */
    static final String TMP_LIMIT = "2Gi";
    /** Chart value proxy.fixedUserIds: false where the platform assigns uid and fsGroup (OpenShift restricted SCC). */
    static final String FIXED_USER_IDS_KEY = "modproxy.operator.proxy-fixed-user-ids";

    private static final String TAKEN_BACK = ProxyDeploymentDependent.class.getName() + ".takenBack";
    private static final String REPLICAS_TAKEN_BACK = ProxyDeploymentDependent.class.getName() + ".replicasTakenBack";
    private static final Logger LOG = Logger.getLogger(ProxyDeploymentDependent.class);
    /**
     * fabric8's serialization of its model, with every map's entries written in key order and every quantity as the
     * number it stands for: the API server keeps a quantity in its canonical form (1024Mi is stored as 1Gi), so the
     * same amount written another way is the same template.
     */
    private static final KubernetesSerialization KEYS_IN_ORDER = new KubernetesSerialization(
            new ObjectMapper()
                    .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    // a mix-in, as Quantity names its own serializer, which a module's would not replace
                    .addMixIn(Quantity.class, QuantityAsAmount.class),
            false);

    @JsonSerialize(using = QuantityAsAmount.Writer.class)
    private interface QuantityAsAmount {

        final class Writer extends StdSerializer<Quantity> {

            Writer() {
                super(Quantity.class);
            }

            @Override
            public void serialize(Quantity quantity, JsonGenerator json, SerializerProvider provider)
                    throws IOException {
                String amount;
                try {
                    amount = quantity.getNumericalAmount().stripTrailingZeros().toPlainString();
                } catch (ArithmeticException | IllegalArgumentException e) {
                    // not a quantity the API server takes; as written, which the spec's check reports
                    amount = quantity.toString();
                }
                json.writeString(amount);
            }
        }
    }

    public ProxyDeploymentDependent() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(GoProxyCache cache, Context<GoProxyCache> context) {
        boolean fixedUserIds = ConfigProvider.getConfig()
                .getOptionalValue(FIXED_USER_IDS_KEY, Boolean.class)
                .orElse(true);
        return desiredDeployment(cache, fixedUserIds, getSecondaryResource(cache, context));
    }

    /** By name: the default would compute desired(), which itself reads the current Deployment. */
    @Override
    protected ResourceID targetSecondaryResourceID(GoProxyCache cache, Context<GoProxyCache> context) {
        return new ResourceID(CacheNames.deployment(cache), cache.getMetadata().getNamespace());
    }

    static Deployment desiredDeployment(GoProxyCache cache) {
        return desiredDeployment(cache, true, Optional.empty());
    }

    /** @param running the Deployment as it is now; its pod template is kept while the cache's roll-out is held */
    static Deployment desiredDeployment(GoProxyCache cache, boolean fixedUserIds, Optional<Deployment> running) {
        Deployment desired = freshDeployment(cache, fixedUserIds);
        if (CacheNames.rolloutHeld(cache)
                && running.isPresent()
                && running.get().getSpec() != null) {
            // only the pod template is held: replicas and the strategy still follow the spec
            desired.getSpec()
                    .setTemplate(
                            new PodTemplateSpecBuilder(running.get().getSpec().getTemplate()).build());
        }
        return desired;
    }

    private static Deployment freshDeployment(GoProxyCache cache, boolean fixedUserIds) {
        GoProxyCacheSpec spec = cache.getSpec();
        Deployment deployment = new DeploymentBuilder()
                .withMetadata(CacheNames.metadata(cache, CacheNames.deployment(cache)))
                .withNewSpec()
                .withReplicas(spec.getReplicas())
                .withNewSelector()
                .withMatchLabels(CacheNames.selector(cache))
                .endSelector()
                .withStrategy(strategy(spec))
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(podLabels(cache))
                .withAnnotations(podAnnotations(cache))
                .endMetadata()
                .withSpec(podSpec(cache, fixedUserIds))
                .endTemplate()
                .endSpec()
                .build();
        PodTemplateSpec template = deployment.getSpec().getTemplate();
        template.getMetadata().getAnnotations().put(CacheNames.TEMPLATE_HASH_ANNOTATION, templateHash(template));
        return deployment;
    }

    /**
     * A hash of the rendered pod template (before this annotation is added), which every pod made from it carries:
     * which pods are the current template's is then read on the pod itself. The alternatives were weighed: the
     * Deployment controller names its newest ReplicaSet only in its Progressing condition's message, which is not
     * API, names the previous ReplicaSet for a while after a rollback to an earlier template, and is absent without a
     * progress deadline; the pod-template-hash label is computed by the controller from Go's printing of the
     * template, which cannot be reproduced here; reading ReplicaSets would take one more informer and more RBAC; the
     * config hash does not change with the image, the resources or a Secret's name. Maps are hashed in key order
     * (spec.podAnnotations applied with its keys in another order is the same template; the API server keeps no
     * order either), lists as they are (the order of env, volumes and containers means something), quantities as
     * the amount they stand for (1024Mi and 1Gi are one amount, which the API server stores as 1Gi).
     */
    static String templateHash(PodTemplateSpec template) {
        return ShortDigest.of(KEYS_IN_ORDER.asJson(template).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The bounds of a rolling update are named, at the API server's defaults, rather than left to its defaulting:
     * then they are the operator's own fields under server-side apply, and dropping them is what removes them when
     * the storage stops being shared. Defaulted, they belonged to no one, stayed, and the API server refused the
     * Recreate Deployment ("spec.strategy.rollingUpdate: Forbidden") for as long as the cache existed.
     */
    static DeploymentStrategy strategy(GoProxyCacheSpec spec) {
        if (!sharesStorage(spec)) {
            return new DeploymentStrategyBuilder().withType("Recreate").build();
        }
        return new DeploymentStrategyBuilder()
                .withType("RollingUpdate")
                .withNewRollingUpdate()
                .withMaxSurge(new IntOrString("25%"))
                .withMaxUnavailable(new IntOrString("25%"))
                .endRollingUpdate()
                .build();
    }

    /**
     * Bounds the operator does not own stay under server-side apply: those an earlier operator left to the API
     * server's defaulting (a cache that was already refused when the operator was upgraded) or that another writer
     * holds. They are cleared with the switch to Recreate, in one JSON merge patch, before the apply.
     */
    @Override
    public Deployment update(Deployment actual, Deployment desired, GoProxyCache cache, Context<GoProxyCache> context) {
        if (useSSA(context)) {
            takeBackPodTemplate(actual, desired, cache, context);
        }
        noteReplicasTakenBack(actual, desired, cache, context);
        if (boundsToClear(actual, desired)) {
            context.getClient()
                    .apps()
                    .deployments()
                    .inNamespace(actual.getMetadata().getNamespace())
                    .withName(actual.getMetadata().getName())
                    .patch(
                            PatchContext.of(PatchType.JSON_MERGE),
                            "{\"spec\":{\"strategy\":{\"type\":\"Recreate\",\"rollingUpdate\":null}}}");
        }
        return super.update(actual, desired, cache, context);
    }

    /**
     * Fields other managers added to the pod template stay under server-side apply, so the Deployment is not as the
     * spec wants it while any are there, though every field the operator applies is.
     */
    @Override
    public Result<Deployment> match(
            Deployment actual, Deployment desired, GoProxyCache cache, Context<GoProxyCache> context) {
        Result<Deployment> result = super.match(actual, desired, cache, context);
        if (!result.matched() || !useSSA(context)) {
            return result;
        }
        return drift(actual, desired, context).removed().isEmpty() ? result : Result.computed(false, desired);
    }

    /**
     * Takes the pod template back from other managers before the apply: one JSON patch removes what they added and
     * puts the operator's values back where they changed them, so that no template in between rolls out and a field
     * that makes the operator's own values invalid ({@code privileged}) is gone before they are applied. Read afresh,
     * since the patch names list items by index and holds the resourceVersion read (a 409 if it changed meanwhile).
     * Patched with the {@code patch} verb the operator already has for the apply.
     */
    private void takeBackPodTemplate(
            Deployment cached, Deployment desired, GoProxyCache cache, Context<GoProxyCache> context) {
        if (drift(cached, desired, context).isEmpty()) {
            return;
        }
        var deployments = context.getClient()
                .apps()
                .deployments()
                .inNamespace(cached.getMetadata().getNamespace())
                .withName(cached.getMetadata().getName());
        Deployment actual = deployments.get();
        if (actual == null) {
            return;
        }
        PodTemplateDrift drift = drift(actual, desired, context);
        if (drift.isEmpty()) {
            return;
        }
        if (!drift.removed().isEmpty()) {
            deployments.patch(
                    new PatchContext.Builder()
                            .withPatchType(PatchType.JSON)
                            .withFieldManager(fieldManager(context))
                            .build(),
                    drift.jsonPatch(actual.getMetadata().getResourceVersion()));
        }
        LOG.warnf(
                "Took back the proxy pod template of Deployment %s/%s (GoProxyCache %s) from %s",
                actual.getMetadata().getNamespace(),
                actual.getMetadata().getName(),
                cache.getMetadata().getName(),
                drift.describe());
        context.managedWorkflowAndDependentResourceContext().put(TAKEN_BACK, drift);
    }

    /**
     * The apply below sets the replicas back as it does any field of the operator's; this only notes that another
     * writer had set them (an autoscaler aimed at the Deployment, {@code kubectl scale deployment}), for the status,
     * and logs it once per episode: while the status says so (Degraded ReplicasTakenBack), an autoscaler's next
     * write, 15 s later, is the same fight going on.
     */
    private static void noteReplicasTakenBack(
            Deployment actual, Deployment desired, GoProxyCache cache, Context<GoProxyCache> context) {
        Optional<ReplicasTakeBack> takeBack = ReplicasTakeBack.of(actual, desired, fieldManager(context));
        if (takeBack.isEmpty()) {
            return;
        }
        if (!ReplicasTakeBack.reported(cache)) {
            LOG.infof(
                    "Setting the replicas of Deployment %s/%s back to %d (GoProxyCache %s's spec.replicas): %s set "
                            + "them to %d. An autoscaler or kubectl scale must aim at GoProxyCache %s, not at its "
                            + "Deployment; the cache's Degraded condition says so until it stops",
                    actual.getMetadata().getNamespace(),
                    actual.getMetadata().getName(),
                    takeBack.get().wanted(),
                    cache.getMetadata().getName(),
                    takeBack.get().describeWriter(),
                    takeBack.get().set(),
                    cache.getMetadata().getName());
        }
        context.managedWorkflowAndDependentResourceContext().put(REPLICAS_TAKEN_BACK, takeBack.get());
    }

    /** Another writer's replicas that this reconciliation set back to the cache's, for the status. */
    public static Optional<ReplicasTakeBack> replicasTakenBack(Context<GoProxyCache> context) {
        return context.managedWorkflowAndDependentResourceContext().get(REPLICAS_TAKEN_BACK, ReplicasTakeBack.class);
    }

    /** What this reconciliation took back from other managers' edits of the pod template, for the status. */
    public static Optional<PodTemplateDrift> takenBack(Context<GoProxyCache> context) {
        return context.managedWorkflowAndDependentResourceContext().get(TAKEN_BACK, PodTemplateDrift.class);
    }

    private static PodTemplateDrift drift(Deployment actual, Deployment desired, Context<GoProxyCache> context) {
        return PodTemplateDrift.of(actual, desired, fieldManager(context));
    }

    private static String fieldManager(Context<GoProxyCache> context) {
        return context.getControllerConfiguration().fieldManager();
    }

    /** Whether the running Deployment still has a rolling update's bounds where the operator wants Recreate. */
    static boolean boundsToClear(Deployment actual, Deployment desired) {
        return "Recreate".equals(desired.getSpec().getStrategy().getType())
                && actual.getSpec() != null
                && actual.getSpec().getStrategy() != null
                && actual.getSpec().getStrategy().getRollingUpdate() != null;
    }

    /** A ReadWriteOnce volume cannot be mounted by old and new pods at once, so those roll by Recreate. */
    static boolean sharesStorage(GoProxyCacheSpec spec) {
        return spec.getObjectStorage() != null
                || (spec.getStorage() != null && spec.getStorage().isShared());
    }

    private static Map<String, String> podLabels(GoProxyCache cache) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (cache.getSpec().getPodLabels() != null) {
            labels.putAll(cache.getSpec().getPodLabels());
        }
        labels.putAll(CacheNames.labels(cache));
        // The proxy reads no GOPROXY: in a namespace labelled modproxy.dev/inject=enabled its own pods
        // would otherwise be sent to the webhook on every roll-out.
        labels.put(InjectionLabels.INJECT, "false");
        return labels;
    }

    private static Map<String, String> podAnnotations(GoProxyCache cache) {
        Map<String, String> annotations = new LinkedHashMap<>();
        if (cache.getSpec().getPodAnnotations() != null) {
            annotations.putAll(cache.getSpec().getPodAnnotations());
        }
        annotations.put(
                CacheNames.CONFIG_HASH_ANNOTATION,
                ProxySettings.of(cache.getSpec()).hash());
        return annotations;
    }

    private static PodSpec podSpec(GoProxyCache cache, boolean fixedUserIds) {
        GoProxyCacheSpec spec = cache.getSpec();
        // Without fixed ids the platform picks uid and fsGroup (OpenShift: from the namespace's range);
        // the image's files belong to group 0, which such a uid is given, so it can write the cache.
        Long id = fixedUserIds ? PROXY_UID : null;
        return new PodSpecBuilder()
                // the proxy never talks to the API server
                .withAutomountServiceAccountToken(false)
                .withSecurityContext(Overrides.merge(
                        new PodSecurityContextBuilder()
                                .withRunAsNonRoot(true)
                                .withRunAsUser(id)
                                .withRunAsGroup(id)
                                .withFsGroup(id)
                                .withNewSeccompProfile()
                                .withType("RuntimeDefault")
                                .endSeccompProfile()
                                .build(),
                        spec.getPodSecurityContext(),
                        PodSecurityContext.class))
                .withContainers(container(cache))
                .addToVolumes(cacheVolume(cache))
                .addAllToVolumes(credentialsVolume(spec.getUpstreamCredentials()))
                .addAllToVolumes(upstreamCaVolume(spec.getUpstreamCA()))
                .addNewVolume()
                .withName(TMP_VOLUME)
                .withNewEmptyDir()
                .withSizeLimit(new Quantity(TMP_LIMIT))
                .endEmptyDir()
                .endVolume()
                .withNodeSelector(emptyToNull(spec.getNodeSelector()))
                .withTolerations(
                        spec.getTolerations() == null || spec.getTolerations().isEmpty() ? null : spec.getTolerations())
                .withAffinity(spec.getAffinity())
                .withImagePullSecrets(
                        spec.getImagePullSecrets() == null
                                        || spec.getImagePullSecrets().isEmpty()
                                ? null
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
                // a proxy that exits at start leaves its last log line ("modproxy cannot start: ...") in its
                // terminated state, which the cache's Degraded ProxyCrashing quotes
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .addNewPort()
                .withName(CacheNames.HTTP_PORT_NAME)
                .withContainerPort(ProxySettings.HTTP_PORT)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName(CacheNames.MANAGEMENT_PORT_NAME)
                .withContainerPort(ProxySettings.MANAGEMENT_PORT)
                .withProtocol("TCP")
                .endPort()
                .addNewEnvFrom()
                .withNewConfigMapRef()
                .withName(CacheNames.configMap(cache))
                .endConfigMapRef()
                .endEnvFrom()
                .withEnv(env(spec))
                .withStartupProbe(startupProbe())
                .withLivenessProbe(probe("/q/health/live", 3))
                // one slow answer under load (a GC pause, a busy disk) does not take the pod out of the Service
                .withReadinessProbe(probe("/q/health/ready", 3))
                .withResources(resources(spec))
                .withSecurityContext(Overrides.merge(
                        new SecurityContextBuilder()
                                .withAllowPrivilegeEscalation(false)
                                .withReadOnlyRootFilesystem(true)
                                .withRunAsNonRoot(true)
                                .withNewCapabilities()
                                .withDrop("ALL")
                                .endCapabilities()
                                .build(),
                        spec.getSecurityContext(),
                        SecurityContext.class))
                .addNewVolumeMount()
                .withName(CACHE_VOLUME)
                .withMountPath(ProxySettings.STORAGE_DIR)
                .endVolumeMount()
                .addNewVolumeMount()
                .withName(TMP_VOLUME)
                .withMountPath("/tmp")
                .endVolumeMount()
                .addAllToVolumeMounts(
                        spec.getUpstreamCredentials() == null
                                ? List.of()
                                : List.of(new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                                        .withName(CREDENTIALS_VOLUME)
                                        .withMountPath(ProxySettings.CREDENTIALS_DIR)
                                        .withReadOnly(true)
                                        .build()))
                .addAllToVolumeMounts(
                        spec.getUpstreamCA() == null
                                ? List.of()
                                : List.of(new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                                        .withName(UPSTREAM_CA_VOLUME)
                                        .withMountPath(ProxySettings.UPSTREAM_CA_DIR)
                                        .withReadOnly(true)
                                        .build()))
                .build();
    }

    /** Secret-backed variables, then spec.proxy.env; both win over the ConfigMap's (a pod's env beats its envFrom). */
    static List<EnvVar> env(GoProxyCacheSpec spec) {
        List<EnvVar> env = new ArrayList<>(egressProxyLogin(spec.getEgressProxy()));
        env.addAll(credentials(spec.getObjectStorage()));
        if (spec.getProxy() != null && spec.getProxy().getEnv() != null) {
            env.addAll(spec.getProxy().getEnv());
        }
        return env;
    }

    /** The netrc reaches the pods as a file straight from its Secret, readable by the proxy's group only. */
    static List<Volume> credentialsVolume(UpstreamCredentials credentials) {
        if (credentials == null) {
            return List.of();
        }
        return List.of(new VolumeBuilder()
                .withName(CREDENTIALS_VOLUME)
                .withNewSecret()
                .withSecretName(credentials.getSecretName())
                .withDefaultMode(0440)
                .addNewItem()
                .withKey(keyOr(credentials.getNetrcKey(), UpstreamCredentials.DEFAULT_NETRC_KEY))
                .withPath(ProxySettings.NETRC_FILE)
                .endItem()
                .endSecret()
                .build());
    }

    /**
     * The CA certificates reach the pods as a file straight from their Secret or ConfigMap, readable by the proxy's
     * group only, as the netrc: the operator names the object and never reads it, so it needs no access to either.
     */
    static List<Volume> upstreamCaVolume(UpstreamCA ca) {
        if (ca == null) {
            return List.of();
        }
        KeyToPath item = new KeyToPathBuilder()
                .withKey(keyOr(ca.getKey(), UpstreamCA.DEFAULT_KEY))
                .withPath(ProxySettings.UPSTREAM_CA_FILE)
                .build();
        VolumeBuilder volume = new VolumeBuilder().withName(UPSTREAM_CA_VOLUME);
        if (ca.getSecretName() != null) {
            return List.of(volume.withNewSecret()
                    .withSecretName(ca.getSecretName())
                    .withDefaultMode(0440)
                    .addToItems(item)
                    .endSecret()
                    .build());
        }
        return List.of(volume.withNewConfigMap()
                .withName(ca.getConfigMapName())
                .withDefaultMode(0440)
                .addToItems(item)
                .endConfigMap()
                .build());
    }

    /** With object storage the pods only stage uploads, each on its own emptyDir, so replicas need no shared volume. */
    private static Volume cacheVolume(GoProxyCache cache) {
        VolumeBuilder volume = new VolumeBuilder().withName(CACHE_VOLUME);
        if (cache.getSpec().getObjectStorage() != null) {
            return volume.withNewEmptyDir()
                    .withSizeLimit(new Quantity(STAGING_LIMIT))
                    .endEmptyDir()
                    .build();
        }
        return volume.withNewPersistentVolumeClaim()
                .withClaimName(CacheNames.volumeClaim(cache))
                .endPersistentVolumeClaim()
                .build();
    }

    /**
     * The egress proxy's login reaches the pods straight from its Secret, and the kubelet composes it into the proxy
     * addresses: it expands {@code $(NAME)} in an env value with the variables declared before it (the API reference
     * of EnvVar.value), so the login comes first; the ConfigMap's values are not expanded, so the addresses are here,
     * not there. The operator never reads the Secret. Not optional: without the Secret or its key the kubelet does not
     * start the container (CreateContainerConfigError) rather than run it without the login.
     */
    static List<EnvVar> egressProxyLogin(EgressProxy egress) {
        if (egress == null || egress.getLoginSecretRef() == null) {
            return List.of();
        }
        EgressProxyLogin login = egress.getLoginSecretRef();
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVarBuilder()
                .withName(ProxySettings.EGRESS_PROXY_LOGIN)
                .withNewValueFrom()
                .withNewSecretKeyRef()
                .withName(login.getName())
                .withKey(keyOr(login.getKey(), EgressProxyLogin.DEFAULT_KEY))
                .withOptional(false)
                .endSecretKeyRef()
                .endValueFrom()
                .build());
        addProxyUrl(env, "HTTPS_PROXY", egress.getHttpsProxy());
        addProxyUrl(env, "HTTP_PROXY", egress.getHttpProxy());
        return env;
    }

    private static void addProxyUrl(List<EnvVar> env, String name, String proxyUrl) {
        if (proxyUrl != null && !proxyUrl.isBlank()) {
            env.add(new EnvVar(name, ProxySettings.egressProxyUrlWithLogin(proxyUrl), null));
        }
    }

    /** The bucket's key reaches the pods straight from its Secret, so it never sits in the ConfigMap. */
    static List<EnvVar> credentials(ObjectStorage bucket) {
        if (bucket == null
                || bucket.getCredentialsSecret() == null
                || bucket.getCredentialsSecret().isBlank()) {
            return List.of();
        }
        return List.of(
                secretEnv(
                        "AWS_ACCESS_KEY_ID",
                        bucket.getCredentialsSecret(),
                        keyOr(bucket.getAccessKeyIdKey(), ObjectStorage.DEFAULT_ACCESS_KEY_ID_KEY)),
                secretEnv(
                        "AWS_SECRET_ACCESS_KEY",
                        bucket.getCredentialsSecret(),
                        keyOr(bucket.getSecretAccessKeyKey(), ObjectStorage.DEFAULT_SECRET_ACCESS_KEY_KEY)));
    }

    private static EnvVar secretEnv(String name, String secret, String key) {
        return new EnvVarBuilder()
                .withName(name)
                .withNewValueFrom()
                .withNewSecretKeyRef()
                .withName(secret)
                .withKey(key)
                .endSecretKeyRef()
                .endValueFrom()
                .build();
    }

    private static String keyOr(String key, String fallback) {
        return key == null || key.isBlank() ? fallback : key;
    }

    private static Probe probe(String path, int failureThreshold) {
        return new ProbeBuilder()
                .withNewHttpGet()
                .withPath(path)
                .withPort(new IntOrString(CacheNames.MANAGEMENT_PORT_NAME))
                .endHttpGet()
                .withPeriodSeconds(10)
                .withTimeoutSeconds(2)
                .withFailureThreshold(failureThreshold)
                .build();
    }

    /**
     * Liveness waits until this passes: up to 5 minutes for the JVM to start under a small CPU limit
     * or a slow volume to mount. The cache's size is counted after the port opens, so its size does not count here.
     */
    private static Probe startupProbe() {
        return new ProbeBuilder()
                .withNewHttpGet()
                .withPath("/q/health/live")
                .withPort(new IntOrString(CacheNames.MANAGEMENT_PORT_NAME))
                .endHttpGet()
                .withPeriodSeconds(5)
                .withTimeoutSeconds(2)
                .withFailureThreshold(60)
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
