package dev.modproxy.operator.status;

import dev.modproxy.contract.Redacted;
import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.EgressProxyLogin;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.dependent.CacheNames;
import dev.modproxy.operator.dependent.ProxyImage;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSchedulingGate;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Why the proxy pods of the Deployment's current pod template do not start, as the kubelet or the scheduler wrote it
 * into their status within seconds: no node can take a pod, a Secret or key their environment names is missing, their
 * image cannot be pulled, the proxy exits as it starts, or a pod failed. Without it the cache learnt of these only
 * when the Deployment passed its progress deadline (10 minutes), as RolloutFailed. Pods of an older template (a
 * rollout's old pods going away) are left out: {@link #currentPods} tells them by the template hash each pod carries.
 *
 * <p>So that one bad moment does not flap the condition: a missing Secret or key is reported at once (the kubelet
 * retries, and the pod starts by itself once it exists); a failed image pull only once the pod has waited
 * {@link #IMAGE_PULL_GRACE} for its image (a pull that fails once and succeeds on the kubelet's retry 10 s later never
 * raises it), except an image name the kubelet refuses outright; a crashing proxy only from its second restart
 * (CrashLoopBackOff with restartCount &ge; 2) when its last run lasted less than {@link #CRASH_RUN} (a proxy that
 * served for days and was then killed once is not crashing at start), and then for as long as it runs between
 * crashes without turning ready, so that it clears only once the proxy serves; a pod the scheduler cannot place, or
 * one held by scheduling gates, only once it has waited {@link #SCHEDULING_GRACE} for a node, and then, should it be
 * replaced by a pod that waits as well, for as long as a current pod waits, so that it clears only once one is placed.
 */
public final class PodTrouble {

    /** Degraded's reason (True): a Secret, ConfigMap or key the proxy container's environment names is missing. */
    public static final String CONTAINER_CONFIG_ERROR = "ContainerConfigError";

    /** Degraded's reason (True): the kubelet cannot pull the proxy image. */
    public static final String IMAGE_PULL_FAILED = "ImagePullFailed";

    /** Degraded's reason (True): the proxy exits as it starts and the kubelet keeps restarting it. */
    public static final String PROXY_CRASHING = "ProxyCrashing";

    /** Degraded's reason (True): a proxy pod failed (evicted, for one) and none of the current template is ready. */
    public static final String POD_FAILED = "PodFailed";

    /** Degraded's reason (True): the scheduler finds no node that can take a proxy pod. */
    public static final String UNSCHEDULABLE = "Unschedulable";

    /**
     * Degraded's reason (True): a proxy pod carries scheduling gates (spec.schedulingGates), which the scheduler waits
     * on before it even tries to place it. The API server's own reason on such a pod's PodScheduled condition.
     */
    public static final String SCHEDULING_GATED = "SchedulingGated";

    /**
     * How long the scheduler may leave a pod unplaced before it is reported, from its PodScheduled condition's last
     * transition. Long enough for what places it by itself soon: a moment without a node (one drained and replaced),
     * or the scheduler's next try after it evicted lower-priority pods for it (which it marks with a nominated node
     * while they go, however long: that pod is not reported at all, see {@link #unschedulable}). Short against the
     * 10 minutes after which the Deployment reports RolloutFailed without a cause. A cluster autoscaler's new node takes a minute or more to join: the
     * message says so, and the condition clears by itself once the pod is placed. The same grace holds for a pod held
     * by scheduling gates: both wait on the one PodScheduled=False condition, whose last transition stays that of the
     * pod's creation when its gates go and the scheduler then finds no node (the status stays False), so one clock
     * and one grace cover the whole wait for a node; and a gate whose controller admits the pod at once (a queue with
     * room) goes within seconds, as a passing lack of nodes does. Once a pod was reported, the pod that replaces it
     * has no grace of its own (see {@link #of}).
     */
    public static final Duration SCHEDULING_GRACE = Duration.ofSeconds(60);

    /** How long a pod waits for its image before a failed pull is reported. */
    public static final Duration IMAGE_PULL_GRACE = Duration.ofSeconds(30);

    /** Restarts from which a crashing proxy is reported: one restart may be a passing failure. */
    static final int CRASH_RESTARTS = 2;

    /**
     * How long a run may last and still count as a crash at start: the kubelet resets its restart back-off after a
     * container ran this long (10 minutes).
     */
    static final Duration CRASH_RUN = Duration.ofMinutes(10);

    /**
     * What the scheduler says while the pod's own volume claim waits for a volume that binds at once (not on first
     * consumer): Ready's VolumeClaimPending names the claim, and a claim that waits is not Degraded by itself.
     */
    private static final String CLAIM_UNBOUND = "unbound immediate PersistentVolumeClaims";

    private static final Set<String> PULL_RETRIED = Set.of("ErrImagePull", "ImagePullBackOff");
    private static final Set<String> PULL_REFUSED = Set.of("InvalidImageName", "ErrImageNeverPull");

    private static final Pattern SECRET_MISSING = Pattern.compile("secrets? \"([^\"]+)\" not found");
    private static final Pattern SECRET_KEY_MISSING =
            Pattern.compile("couldn't find key (\\S+) in Secret [^/\\s]+/(\\S+)");
    private static final Pattern CONFIG_MAP_MISSING = Pattern.compile("configmaps? \"([^\"]+)\" not found");
    private static final int QUOTE_MAX = 500;
    private static final String CANNOT_START = "modproxy cannot start:";
    private static final Pattern STACK_FRAME = Pattern.compile("(at |\\.\\.\\. \\d+ (more|common frames omitted)).*");
    private static final Pattern URL = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://[^\\s\"'<>]+");

    private PodTrouble() {}

    /**
     * The Degraded condition for the current template's pods, if one of them cannot start; the most pressing cause
     * first (configuration, image, crash, no node, failed pod), of the first pod by name that has it.
     *
     * @param previous the Degraded condition of the status the cache was read with, which keeps ProxyCrashing up
     *     while the proxy runs between two crashes, and Unschedulable or SchedulingGated up while the pod that
     *     replaced the one reported waits for a node too
     */
    public static Optional<CacheCondition> of(
            GoProxyCache cache,
            Optional<Deployment> deployment,
            List<Pod> pods,
            Optional<CacheCondition> previous,
            Instant now) {
        // the grace is for a wait for a node that starts: once reported, a pod that replaces the one named and waits
        // as well (one Kueue evicted and the ReplicaSet made again, gated again; a preempted proxy pod made again) is
        // still the same wait, and is named at once, else Degraded turned False for a grace at each such
        // replacement, or gave way to RolloutFailed once the Deployment passed its progress deadline
        Optional<CacheCondition> unplaced = previous.filter(c -> CacheCondition.TRUE.equals(c.getStatus())
                && (UNSCHEDULABLE.equals(c.getReason()) || SCHEDULING_GATED.equals(c.getReason())));
        boolean wasUnplaced = unplaced.isPresent();
        List<Pod> current = currentPods(deployment, pods);
        if (current.isEmpty()) {
            // a pod that never ran is gone at once when deleted: until the ReplicaSet has made the next one, none
            // exists, and what was said of the wait stands rather than turn False for that moment
            return unplaced.filter(c -> replacingPods(deployment));
        }
        boolean wasCrashing = previous.filter(
                        c -> CacheCondition.TRUE.equals(c.getStatus()) && PROXY_CRASHING.equals(c.getReason()))
                .isPresent();
        List<CacheCondition> found = new ArrayList<>();
        for (Pod pod : current) {
            for (ContainerStatus container : containers(pod)) {
                containerTrouble(cache, pod, container, wasCrashing, now).ifPresent(found::add);
            }
            unschedulable(pod)
                    .filter(c -> wasUnplaced || waitedTheGrace(unplacedSince(pod, c), now))
                    .map(c -> degraded(UNSCHEDULABLE, unschedulableMessage(cache, pod, c)))
                    .ifPresent(found::add);
            if (!schedulingGates(pod).isEmpty() && (wasUnplaced || waitedTheGrace(gatedSince(pod), now))) {
                found.add(degraded(SCHEDULING_GATED, gatedMessage(cache, pod)));
            }
        }
        boolean noneReady = current.stream().noneMatch(PodTrouble::ready);
        if (noneReady) {
            current.stream()
                    .filter(p -> p.getStatus() != null
                            && "Failed".equals(p.getStatus().getPhase()))
                    .findFirst()
                    .map(p -> degraded(POD_FAILED, podFailed(cache, p)))
                    .ifPresent(found::add);
        }
        // a gated pod after an unplaced one: the spec can fix what the scheduler names, not what holds the gates
        List<String> order = List.of(
                CONTAINER_CONFIG_ERROR, IMAGE_PULL_FAILED, PROXY_CRASHING, UNSCHEDULABLE, SCHEDULING_GATED, POD_FAILED);
        return found.stream().min(Comparator.comparingInt(c -> order.indexOf(c.getReason())));
    }

    /**
     * When what is reported of the current pods changes without the kubelet writing anything: a failed image pull
     * not reported yet is, once its grace is over (the kubelet's back-off may write nothing new in between), a pod
     * the scheduler cannot place, or one held by scheduling gates, is once it waited {@link #SCHEDULING_GRACE} (the
     * scheduler writes nothing new while its verdict stays the same, nor anyone while the gates stay), and a proxy
     * kept ProxyCrashing while it runs between two crashes no longer is once it ran {@link #CRASH_RUN}. The reconciler
     * looks again then.
     */
    public static Optional<Instant> lookAgainAt(Optional<Deployment> deployment, List<Pod> pods, Instant now) {
        return Stream.of(
                        imagePullGraceEndsAt(deployment, pods, now).stream(),
                        schedulingGraceEndsAt(deployment, pods, now).stream(),
                        currentPods(deployment, pods).stream()
                                .flatMap(pod -> containers(pod).stream())
                                .filter(c -> !Boolean.TRUE.equals(c.getReady())
                                        && Optional.ofNullable(c.getRestartCount())
                                                        .orElse(0)
                                                >= CRASH_RESTARTS)
                                .map(PodTrouble::runningSince)
                                .flatMap(Optional::stream)
                                .map(since -> since.plus(CRASH_RUN))
                                .filter(now::isBefore))
                .flatMap(s -> s)
                .min(Comparator.naturalOrder());
    }

    /** When a current pod the scheduler cannot place, or one held by scheduling gates, not reported yet, will be. */
    static Optional<Instant> schedulingGraceEndsAt(Optional<Deployment> deployment, List<Pod> pods, Instant now) {
        return currentPods(deployment, pods).stream()
                .flatMap(pod -> Stream.concat(
                        unschedulable(pod).flatMap(c -> unplacedSince(pod, c)).stream(),
                        schedulingGates(pod).isEmpty() ? Stream.<Instant>empty() : gatedSince(pod).stream()))
                .map(since -> since.plus(SCHEDULING_GRACE))
                .filter(now::isBefore)
                .min(Comparator.naturalOrder());
    }

    /**
     * The pod's PodScheduled condition while the scheduler finds no node for it (False, Unschedulable), unless what
     * it waits for is its volume claim to bind, which Ready names, or the room it made by preemption: a pod with a
     * nominated node waits for the lower-priority pods the scheduler evicts for it to go, which may take longer than
     * the grace (their termination grace period is theirs to set), and lowering its requests is no fix. The
     * scheduler clears the nominated node when the room went to another pod, and the pod is reported then.
     */
    private static Optional<PodCondition> unschedulable(Pod pod) {
        if (pod.getStatus() == null
                || pod.getStatus().getConditions() == null
                || (pod.getStatus().getNominatedNodeName() != null
                        && !pod.getStatus().getNominatedNodeName().isEmpty())) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream()
                .filter(c -> "PodScheduled".equals(c.getType())
                        && "False".equals(c.getStatus())
                        && "Unschedulable".equals(c.getReason()))
                .filter(c -> c.getMessage() == null || !c.getMessage().contains(CLAIM_UNBOUND))
                .findFirst();
    }

    /**
     * Whether the Deployment's ReplicaSet is about to make pods it lacks: fewer are ready than it wants, and the API
     * server has not refused them (ReplicaFailure, which RolloutFailed reports).
     */
    private static boolean replacingPods(Optional<Deployment> deployment) {
        return deployment
                .filter(d -> d.getSpec() != null
                        && Optional.ofNullable(d.getStatus())
                                        .map(DeploymentStatus::getReadyReplicas)
                                        .orElse(0)
                                < Optional.ofNullable(d.getSpec().getReplicas()).orElse(1))
                .filter(d -> !CacheStatusCalculator.conditionIs(d, "ReplicaFailure", "True"))
                .isPresent();
    }

    /** Whether a pod that waits for a node since {@code since} has waited {@link #SCHEDULING_GRACE}. */
    private static boolean waitedTheGrace(Optional<Instant> since, Instant now) {
        return since.filter(s -> !now.isBefore(s.plus(SCHEDULING_GRACE))).isPresent();
    }

    /**
     * Since when the pod waits for a node: its PodScheduled=False condition's last transition, else its creation.
     */
    private static Optional<Instant> unplacedSince(Pod pod, PodCondition scheduled) {
        return Optional.ofNullable(scheduled.getLastTransitionTime())
                .or(() -> Optional.ofNullable(pod.getMetadata().getCreationTimestamp()))
                .flatMap(PodTrouble::instant);
    }

    /**
     * The names of the pod's scheduling gates. They are read on the pod's spec, not on its PodScheduled condition
     * (False, SchedulingGated, "Scheduling is blocked due to non-empty scheduling gates", as kube-apiserver 1.36 writes
     * it when it creates a gated pod): that condition keeps its reason after the last gate goes, until the scheduler
     * places the pod or says why it cannot, and names no gate. Gates can only be set as the pod is created (an
     * admission webhook or policy adds them), and only be removed afterwards.
     */
    private static List<String> schedulingGates(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getSchedulingGates() == null) {
            return List.of();
        }
        return pod.getSpec().getSchedulingGates().stream()
                .map(PodSchedulingGate::getName)
                .filter(Objects::nonNull)
                .toList();
    }

    /** Since when a gated pod waits for a node: the API server creates it with PodScheduled=False. */
    private static Optional<Instant> gatedSince(Pod pod) {
        PodCondition scheduled =
                Optional.ofNullable(pod.getStatus()).map(PodStatus::getConditions).orElse(List.of()).stream()
                        .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
                        .findFirst()
                        .orElseGet(PodCondition::new);
        return unplacedSince(pod, scheduled);
    }

    /** When a failed image pull of a current pod that is not reported yet will be. */
    static Optional<Instant> imagePullGraceEndsAt(Optional<Deployment> deployment, List<Pod> pods, Instant now) {
        return currentPods(deployment, pods).stream()
                .filter(pod -> containers(pod).stream()
                        .map(PodTrouble::waiting)
                        .flatMap(Optional::stream)
                        .anyMatch(w -> PULL_RETRIED.contains(w.getReason())))
                .map(pod -> waitingSince(pod).map(since -> since.plus(IMAGE_PULL_GRACE)))
                .flatMap(Optional::stream)
                .filter(now::isBefore)
                .min(Comparator.naturalOrder());
    }

    /**
     * The pods of the Deployment's current pod template, not being deleted: those whose template hash (an annotation
     * the operator puts on the template, so on every pod made from it) is the Deployment's template's. This is read
     * on the pod itself, never from the Deployment controller's Progressing message (not API: it names the newest
     * ReplicaSet in words, "Created new replica set", "ReplicaSet \"x\" is progressing", still names the previous
     * one for a while after a rollback to an earlier template, and is removed when the Deployment has no progress
     * deadline). Until the controller has made a new template's pods, none is current: an old pod's trouble is not
     * reported for a spec that already changed. A template changed by hand (kubectl rollout restart) keeps the hash:
     * the pods of both are taken, which run the same proxy settings. A template from before the annotation (an
     * older operator's) has none, nor have its pods: they are taken.
     */
    static List<Pod> currentPods(Optional<Deployment> deployment, List<Pod> pods) {
        if (deployment.isEmpty() || deployment.get().getSpec() == null) {
            return List.of();
        }
        String current = templateHash(deployment.get().getSpec().getTemplate());
        return pods.stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> Objects.equals(current, annotation(p.getMetadata(), CacheNames.TEMPLATE_HASH_ANNOTATION)))
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
    }

    private static String templateHash(PodTemplateSpec template) {
        return template == null ? null : annotation(template.getMetadata(), CacheNames.TEMPLATE_HASH_ANNOTATION);
    }

    private static String annotation(ObjectMeta metadata, String key) {
        return metadata == null || metadata.getAnnotations() == null
                ? null
                : metadata.getAnnotations().get(key);
    }

    private static List<ContainerStatus> containers(Pod pod) {
        PodStatus status = pod.getStatus();
        if (status == null) {
            return List.of();
        }
        return Stream.concat(
                        Optional.ofNullable(status.getInitContainerStatuses()).orElse(List.of()).stream(),
                        Optional.ofNullable(status.getContainerStatuses()).orElse(List.of()).stream())
                .toList();
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static Optional<ContainerStateWaiting> waiting(ContainerStatus container) {
        return Optional.ofNullable(container.getState())
                .map(s -> s.getWaiting())
                .filter(w -> w.getReason() != null);
    }

    private static Optional<CacheCondition> containerTrouble(
            GoProxyCache cache, Pod pod, ContainerStatus container, boolean wasCrashing, Instant now) {
        Optional<ContainerStateWaiting> waiting = waiting(container);
        String reason = waiting.map(ContainerStateWaiting::getReason).orElse("");
        int restarts = Optional.ofNullable(container.getRestartCount()).orElse(0);
        if ("CreateContainerConfigError".equals(reason)) {
            return Optional.of(degraded(CONTAINER_CONFIG_ERROR, configError(cache, pod, container, waiting.get())));
        }
        if (PULL_REFUSED.contains(reason)
                || (PULL_RETRIED.contains(reason)
                        && waitingSince(pod)
                                .filter(since -> !now.isBefore(since.plus(IMAGE_PULL_GRACE)))
                                .isPresent())) {
            return Optional.of(degraded(IMAGE_PULL_FAILED, imagePullFailed(cache, pod, container, waiting.get())));
        }
        boolean crashLooping =
                "CrashLoopBackOff".equals(reason) && restarts >= CRASH_RESTARTS && lastRunWasShort(container);
        // between two crashes the kubelet runs the container again: still the same crash until it turns ready, or
        // runs longer than a crash at start would (not ready then for another reason, which Ready says)
        boolean restartedUnready = wasCrashing
                && restarts >= CRASH_RESTARTS
                && !Boolean.TRUE.equals(container.getReady())
                && container.getLastState() != null
                && container.getLastState().getTerminated() != null
                && lastRunWasShort(container)
                && runningSince(container)
                        .filter(since -> !now.isBefore(since.plus(CRASH_RUN)))
                        .isEmpty();
        if (crashLooping || restartedUnready) {
            return Optional.of(degraded(PROXY_CRASHING, crashing(cache, pod, container, restarts)));
        }
        return Optional.empty();
    }

    /**
     * Whether the container's last run ended within {@link #CRASH_RUN} of its start: a proxy that served for longer
     * and then exited (an OOM kill after days) restarts as the kubelet restarts any container, with a restart count
     * that only grows; the kubelet itself forgets its back-off after a run that long.
     */
    private static boolean lastRunWasShort(ContainerStatus container) {
        Optional<ContainerStateTerminated> last =
                Optional.ofNullable(container.getLastState()).map(s -> s.getTerminated());
        if (last.isEmpty() || last.get().getStartedAt() == null || last.get().getFinishedAt() == null) {
            return true;
        }
        try {
            Duration ran = Duration.between(
                    Instant.parse(last.get().getStartedAt()),
                    Instant.parse(last.get().getFinishedAt()));
            return ran.compareTo(CRASH_RUN) < 0;
        } catch (DateTimeParseException e) {
            return true;
        }
    }

    /** Since when the container runs, if it does. */
    private static Optional<Instant> runningSince(ContainerStatus container) {
        return Optional.ofNullable(container.getState())
                .map(s -> s.getRunning())
                .map(r -> r.getStartedAt())
                .flatMap(PodTrouble::instant);
    }

    private static Optional<Instant> instant(String timestamp) {
        try {
            return Optional.of(Instant.parse(timestamp));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Since when the pod waits: the kubelet's start time, else its creation. */
    private static Optional<Instant> waitingSince(Pod pod) {
        String since = pod.getStatus() != null && pod.getStatus().getStartTime() != null
                ? pod.getStatus().getStartTime()
                : pod.getMetadata().getCreationTimestamp();
        if (since == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(since));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static CacheCondition degraded(String reason, String message) {
        return new CacheCondition(CacheCondition.DEGRADED, CacheCondition.TRUE, reason, message);
    }

    /**
     * The kubelet's message names the Secret or ConfigMap and key it could not find, never a value; the fix says
     * which field of the spec names it and how to create it.
     */
    private static String configError(
            GoProxyCache cache, Pod pod, ContainerStatus container, ContainerStateWaiting waiting) {
        String namespace = cache.getMetadata().getNamespace();
        String said = Optional.ofNullable(waiting.getMessage()).orElse("");
        String head = "The proxy pod " + pod.getMetadata().getName() + " cannot start its container "
                + container.getName() + ": the kubelet says \"" + quote(said) + "\" (CreateContainerConfigError). ";
        Matcher keyMissing = SECRET_KEY_MISSING.matcher(said);
        if (keyMissing.find()) {
            String key = keyMissing.group(1);
            String secret = keyMissing.group(2);
            return head + "The Secret " + secret + " exists but has no key " + key + secretUsers(cache, secret)
                    + ". Fix: add the key (kubectl -n " + namespace + " edit secret " + secret + "), or name the key "
                    + "that holds the value in the spec. The pods start by themselves once it is there.";
        }
        Matcher secretMissing = SECRET_MISSING.matcher(said);
        if (secretMissing.find()) {
            String secret = secretMissing.group(1);
            return head + "The Secret " + secret + " does not exist in namespace " + namespace
                    + secretUsers(cache, secret) + ". Fix: create it: kubectl -n " + namespace
                    + " create secret generic " + secret + " " + literals(cache, secret)
                    + " (or correct the name in the spec). The pods start by themselves once it exists.";
        }
        Matcher configMapMissing = CONFIG_MAP_MISSING.matcher(said);
        if (configMapMissing.find()) {
            return head + "The ConfigMap " + configMapMissing.group(1) + " does not exist in namespace " + namespace
                    + " (spec.proxy.env names it). Fix: create it, or correct the name in spec.proxy.env.";
        }
        return head + "Fix what it names in the spec; kubectl -n " + namespace + " describe pod "
                + pod.getMetadata().getName() + " shows the same.";
    }

    /** Which fields of the spec name the Secret, with the keys they expect. */
    private static String secretUsers(GoProxyCache cache, String secret) {
        List<String> users = new ArrayList<>();
        GoProxyCacheSpec spec = cache.getSpec();
        if (spec.getEgressProxy() != null
                && spec.getEgressProxy().getLoginSecretRef() != null
                && secret.equals(spec.getEgressProxy().getLoginSecretRef().getName())) {
            users.add("spec.egressProxy.loginSecretRef (key " + loginKey(spec) + ", user:password)");
        }
        ObjectStorage bucket = spec.getObjectStorage();
        if (bucket != null && secret.equals(bucket.getCredentialsSecret())) {
            users.add("spec.objectStorage.credentialsSecret (keys " + accessKeyIdKey(bucket) + " and "
                    + secretAccessKeyKey(bucket) + ")");
        }
        if (envSecrets(spec).contains(secret)) {
            users.add("spec.proxy.env");
        }
        return users.isEmpty()
                ? ""
                : "; " + String.join(" and ", users) + " name" + (users.size() == 1 ? "s" : "") + " it";
    }

    private static String literals(GoProxyCache cache, String secret) {
        GoProxyCacheSpec spec = cache.getSpec();
        List<String> keys = new ArrayList<>();
        if (spec.getEgressProxy() != null
                && spec.getEgressProxy().getLoginSecretRef() != null
                && secret.equals(spec.getEgressProxy().getLoginSecretRef().getName())) {
            keys.add(loginKey(spec));
        }
        ObjectStorage bucket = spec.getObjectStorage();
        if (bucket != null && secret.equals(bucket.getCredentialsSecret())) {
            keys.add(accessKeyIdKey(bucket));
            keys.add(secretAccessKeyKey(bucket));
        }
        if (keys.isEmpty()) {
            return "--from-literal=<key>=<value>";
        }
        return String.join(
                " ", keys.stream().map(k -> "--from-literal=" + k + "=...").toList());
    }

    private static List<String> envSecrets(GoProxyCacheSpec spec) {
        if (spec.getProxy() == null || spec.getProxy().getEnv() == null) {
            return List.of();
        }
        return spec.getProxy().getEnv().stream()
                .map(EnvVar::getValueFrom)
                .filter(Objects::nonNull)
                .map(v -> v.getSecretKeyRef())
                .filter(Objects::nonNull)
                .map(ref -> ref.getName())
                .filter(Objects::nonNull)
                .toList();
    }

    private static String loginKey(GoProxyCacheSpec spec) {
        String key = spec.getEgressProxy().getLoginSecretRef().getKey();
        return key == null || key.isBlank() ? EgressProxyLogin.DEFAULT_KEY : key;
    }

    private static String accessKeyIdKey(ObjectStorage bucket) {
        String key = bucket.getAccessKeyIdKey();
        return key == null || key.isBlank() ? ObjectStorage.DEFAULT_ACCESS_KEY_ID_KEY : key;
    }

    private static String secretAccessKeyKey(ObjectStorage bucket) {
        String key = bucket.getSecretAccessKeyKey();
        return key == null || key.isBlank() ? ObjectStorage.DEFAULT_SECRET_ACCESS_KEY_KEY : key;
    }

    private static String imagePullFailed(
            GoProxyCache cache, Pod pod, ContainerStatus container, ContainerStateWaiting waiting) {
        String namespace = cache.getMetadata().getNamespace();
        GoProxyCacheSpec spec = cache.getSpec();
        String image = Optional.ofNullable(container.getImage()).orElseGet(() -> ProxyImage.of(spec));
        boolean ownImage = spec.getImage() != null && !spec.getImage().isBlank();
        List<String> pullSecrets = Optional.ofNullable(spec.getImagePullSecrets()).orElse(List.of()).stream()
                .map(LocalObjectReference::getName)
                .filter(Objects::nonNull)
                .toList();
        return "The proxy pod " + pod.getMetadata().getName() + " cannot pull its image " + image + ": "
                + waiting.getReason()
                + Optional.ofNullable(waiting.getMessage())
                        .filter(m -> !m.isBlank())
                        .map(m -> ": \"" + quote(m) + "\"")
                        .orElse("")
                + ". Fix: check that the image exists and is spelt right ("
                + (ownImage ? "spec.image" : "the operator's default proxy image; spec.image overrides it")
                + "), and that the nodes can reach its registry; a private registry needs its pull Secret in "
                + "spec.imagePullSecrets ("
                + (pullSecrets.isEmpty()
                        ? "none set"
                        : "set: " + String.join(", ", pullSecrets) + ", which must exist in namespace " + namespace)
                + "). kubectl -n " + namespace + " describe pod "
                + pod.getMetadata().getName()
                + " shows every attempt.";
    }

    private static String crashing(GoProxyCache cache, Pod pod, ContainerStatus container, int restarts) {
        String namespace = cache.getMetadata().getNamespace();
        StringBuilder message = new StringBuilder("The proxy in pod ")
                .append(pod.getMetadata().getName())
                .append(" exits as it starts: its container ")
                .append(container.getName())
                .append(" was restarted ")
                .append(restarts)
                .append(" times");
        Optional<ContainerStateTerminated> last =
                Optional.ofNullable(container.getLastState()).map(s -> s.getTerminated());
        last.ifPresent(t -> {
            message.append(", last with exit code ").append(t.getExitCode());
            if (t.getReason() != null) {
                message.append(" (").append(t.getReason()).append(")");
            }
            if (t.getFinishedAt() != null) {
                message.append(" at ").append(t.getFinishedAt());
            }
            lastLine(t.getMessage())
                    .ifPresent(line ->
                            message.append(", saying \"").append(quote(line)).append("\""));
        });
        return message.append(". Fix: kubectl -n ")
                .append(namespace)
                .append(" logs ")
                .append(pod.getMetadata().getName())
                .append(" -c ")
                .append(container.getName())
                .append(" --previous shows why; a line \"modproxy cannot start: ...\" names the setting to change ")
                .append("in the spec, and \"OOMKilled\" asks for more memory (spec.resources).")
                .toString();
    }

    /**
     * The scheduler's message counts the nodes that refused the pod for each reason ("0/3 nodes are available: 3
     * Insufficient memory."); the fix names the fields of the spec that those reasons come from.
     */
    private static String unschedulableMessage(GoProxyCache cache, Pod pod, PodCondition scheduled) {
        String namespace = cache.getMetadata().getNamespace();
        String said = Optional.ofNullable(scheduled.getMessage()).orElse("");
        // the time it has waited since, not for how long: a count of seconds would change the status on every
        // reconcile, and be stale between two
        String waited =
                unplacedSince(pod, scheduled).map(since -> " since " + since).orElse("");
        List<String> fixes = new ArrayList<>();
        if (said.contains("Insufficient") || said.contains("Too many pods")) {
            fixes.add("lower the requests of spec.resources to what a node has free, or make room on the nodes");
        }
        if (said.contains("node affinity/selector") || said.contains("didn't match Pod's node affinity")) {
            fixes.add("correct spec.nodeSelector or the node affinity of spec.affinity: no node has those labels");
        }
        if (said.contains("taint")) {
            fixes.add("add to spec.tolerations the taints the message names, if the proxy may run on those nodes");
        }
        if (said.contains("anti-affinity") || said.contains("pod affinity")) {
            fixes.add("loosen the pod (anti-)affinity of spec.affinity, or lower spec.replicas");
        }
        boolean ownClaim = cache.getSpec().getObjectStorage() == null;
        // older schedulers say "volume node affinity conflict"; kube-scheduler 1.36 says "didn't match
        // PersistentVolume's node affinity", "persistent volumes to bind" and, with storage capacity tracking, "did
        // not have enough free storage"
        if ((said.toLowerCase(Locale.ROOT).contains("volume") || said.contains("free storage")) && ownClaim) {
            fixes.add("check the volume claim " + CacheNames.volumeClaim(cache) + " (kubectl -n " + namespace
                    + " describe pvc " + CacheNames.volumeClaim(cache) + "): its volume may be reachable from no "
                    + "node the pod may go to, or its StorageClass (spec.storage.storageClassName) offer none there");
        }
        if (fixes.isEmpty()) {
            fixes.add("change what the message names: spec.resources, spec.nodeSelector, spec.tolerations or "
                    + "spec.affinity"
                    + (ownClaim ? ", or the StorageClass of the volume claim " + CacheNames.volumeClaim(cache) : ""));
        }
        return "The proxy pod " + pod.getMetadata().getName() + " has not been placed on a node" + waited
                + ": the scheduler says \"" + quote(said) + "\" (Unschedulable). Fix: " + String.join("; ", fixes)
                + ". kubectl -n " + namespace + " describe pod "
                + pod.getMetadata().getName()
                + " shows the scheduler's events. If a cluster autoscaler is adding a node, this clears by itself "
                + "once the pod is placed.";
    }

    /**
     * The operator's pod template sets no scheduling gate: whatever added them belongs to the cluster (a queue or
     * capacity manager such as Kueue, through an admission webhook or a MutatingAdmissionPolicy), and only the
     * controller that added a gate removes it, once it admits the pod. Since when, not for how long, as for
     * Unschedulable: the status then stays the same from one reconcile to the next.
     */
    private static String gatedMessage(GoProxyCache cache, Pod pod) {
        String namespace = cache.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        List<String> gates = schedulingGates(pod);
        String them = gates.size() == 1 ? "it" : "them";
        String waited = gatedSince(pod).map(since -> " since " + since).orElse("");
        return "The proxy pod " + name + " has not been placed on a node" + waited + ": it carries the scheduling "
                + "gate" + (gates.size() == 1 ? "" : "s") + " \"" + quote(String.join(", ", gates)) + "\" "
                + "(spec.schedulingGates; SchedulingGated), and the scheduler does not try to place a pod until "
                + "every gate is removed. The operator sets no gate: an admission webhook or policy of the cluster "
                + "added " + them + " as the pod was created (a queue or capacity manager, such as Kueue), and the "
                + "controller that added a gate removes it once it admits the pod. Fix: find what adds " + them
                + " (kubectl get mutatingwebhookconfigurations; on Kubernetes 1.36 and later also kubectl get "
                + "mutatingadmissionpolicies) and why its controller "
                + "holds the pod (its queue, quota or logs), or have namespace " + namespace + " left out of it. "
                + "kubectl -n " + namespace + " get pod " + name + " -o jsonpath='{.spec.schedulingGates}' lists "
                + "the gates left. This clears by itself once the gates are removed and the pod is placed.";
    }

    private static String podFailed(GoProxyCache cache, Pod pod) {
        PodStatus status = pod.getStatus();
        String namespace = cache.getMetadata().getNamespace();
        return "The proxy pod " + pod.getMetadata().getName() + " failed"
                + Optional.ofNullable(status.getReason())
                        .map(r -> " (" + r + ")")
                        .orElse("")
                + Optional.ofNullable(status.getMessage())
                        .filter(m -> !m.isBlank())
                        .map(m -> ": \"" + quote(m) + "\"")
                        .orElse("")
                + ", and no proxy pod of the current template is ready. The Deployment replaces it; if its "
                + "replacement fails the same way, kubectl -n " + namespace + " describe pod "
                + pod.getMetadata().getName() + " says why (an eviction names the resource the node ran out of: "
                + "ephemeral storage bounds the proxy's staging and /tmp volumes, memory spec.resources).";
    }

    /**
     * The line of a termination message that says why the proxy stopped. With FallbackToLogsOnError it is the end of
     * the container's log (the kubelet keeps its last 80 lines or 2 KB): the proxy's own "modproxy cannot start: ..."
     * if there is one (a bad setting: it is the only line), else the last line that is not a stack frame (a stack
     * trace's last line is a frame; its last "Caused by: ..." names the cause).
     */
    static Optional<String> lastLine(String text) {
        if (text == null) {
            return Optional.empty();
        }
        List<String> lines =
                text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).contains(CANNOT_START)) {
                return Optional.of(lines.get(i).substring(lines.get(i).indexOf(CANNOT_START)));
            }
        }
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (!STACK_FRAME.matcher(lines.get(i)).matches()) {
                return Optional.of(lines.get(i));
            }
        }
        return Optional.empty();
    }

    /**
     * What the kubelet or the proxy's log said, on one line, bounded, and with any URL's login, query and fragment
     * masked (Redacted.url): the proxy masks a login in its own messages, but a log line it did not write (a library's
     * stack trace naming HTTPS_PROXY, which holds the egress proxy's login) would otherwise be copied into the
     * cache's status, which more people may read than the pod's.
     */
    static String quote(String text) {
        String flat = URL.matcher(text.replace('\n', ' ').strip())
                .replaceAll(url -> Matcher.quoteReplacement(Redacted.url(url.group())));
        return flat.length() > QUOTE_MAX ? flat.substring(0, QUOTE_MAX) + "..." : flat;
    }

    /** The instance label that ties a proxy pod to its cache, as the Deployment's pod template sets it. */
    public static Optional<String> cacheOf(Pod pod) {
        return Optional.ofNullable(pod.getMetadata().getLabels()).map(l -> l.get(CacheNames.INSTANCE_LABEL));
    }
}
