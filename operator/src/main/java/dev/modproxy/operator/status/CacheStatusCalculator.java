package dev.modproxy.operator.status;

import dev.modproxy.contract.GoProxyList;
import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.dependent.CacheNames;
import dev.modproxy.operator.dependent.Conditions;
import dev.modproxy.operator.dependent.PodTemplateDrift;
import dev.modproxy.operator.dependent.ReplicasTakeBack;
import dev.modproxy.operator.dependent.SpecFieldHolders;
import dev.modproxy.operator.settings.StorageSize;
import dev.modproxy.operator.webhook.InjectionLabels;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Status as a pure function of the cache and what was observed; only the clock comes from outside. */
public final class CacheStatusCalculator {

    /**
     * Progressing's reason once the operator took the Deployment's pod template back from another field manager's
     * edit (kubectl set env, kubectl patch): True while the pods roll back to the operator's template.
     */
    public static final String POD_TEMPLATE_TAKEN_BACK = "PodTemplateTakenBack";

    /**
     * Progressing's reason while the rollout cannot go on until someone acts (what Degraded names: a missing
     * StorageClass, refused pods, a rollout past its deadline): False, as no progress is under way.
     */
    public static final String ROLLOUT_STUCK = "RolloutStuck";

    /**
     * Degraded's reason (True) while the proxy Deployment is paused ({@code kubectl rollout pause}): nothing the
     * operator writes to its pod template reaches the pods. The operator does not own {@code spec.paused} and leaves
     * it to whoever set it; spec.holdRollout is the cache's own way to hold its pods.
     */
    public static final String DEPLOYMENT_PAUSED = "DeploymentPaused";

    /**
     * Degraded's reason (True) while the cache's volume claim is being deleted (kubectl delete pvc): it goes with the
     * last pod that mounts it, and no new pod can start on it meanwhile.
     */
    public static final String VOLUME_CLAIM_DELETING = "VolumeClaimDeleting";

    /**
     * Degraded's reason (False) when a ServiceMonitor is asked for where the cluster has no ServiceMonitor CRD: the
     * proxy serves, and nothing else needs attention, but the spec's ServiceMonitor is not made.
     */
    public static final String SERVICE_MONITOR_CRD_MISSING = "ServiceMonitorCRDMissing";

    /**
     * Degraded's reason (True) when other caches of the namespace are annotated modproxy.dev/default=true as this one
     * is: the webhook then has no default cache there, and leaves the pods that name none unchanged.
     */
    public static final String SEVERAL_DEFAULT_CACHES = "SeveralDefaultCaches";

    /**
     * Degraded's reason (True) while the operator sets the proxy Deployment's replicas back from another writer's (a
     * HorizontalPodAutoscaler or {@code kubectl scale} aimed at the Deployment rather than the cache).
     */
    public static final String REPLICAS_TAKEN_BACK = ReplicasTakeBack.REASON;

    /**
     * How long Degraded ReplicasTakenBack stays after the last take-back. An autoscaler aimed at the Deployment writes
     * again at each of its syncs (15 s by default) and the operator's own apply in between leaves the Deployment as
     * the cache wants it, so a reconciliation that finds nothing to set back does not mean the fight stopped. The
     * memory is the condition itself, the time of the last take-back in its message, rather than a map in the
     * operator: it survives an operator restart or a new leader, and the status stays a function of the cache and
     * what was seen. The reconciler looks again when it runs out (replicasTakeBackEndsAt), so the condition clears
     * once the autoscaler is deleted or aimed at the cache, with no other event.
     */
    public static final Duration REPLICAS_TAKE_BACK_QUIET = Duration.ofMinutes(2);

    private static final String LAST_SET_BACK = " Last set back at ";

    /**
     * The Deployment controller's reason on its own Progressing condition once its newest ReplicaSet's pods were all
     * available: it keeps it when they turn unready later, and replaces it when a new rollout starts.
     */
    private static final String NEW_REPLICA_SET_AVAILABLE = "NewReplicaSetAvailable";

    /** Progressing=False reasons that say every pod ran the Deployment's template when they were written. */
    private static final Set<String> ROLLED_OUT_REASONS = Set.of("RolledOut", "RolloutHeld", POD_TEMPLATE_TAKEN_BACK);

    private static final String TAKEN_BACK_FROM = " Taken back from edits of the pod template by ";

    private CacheStatusCalculator() {}

    public static GoProxyCacheStatus compute(GoProxyCache cache, Observation seen, Instant now) {
        long generation =
                Optional.ofNullable(cache.getMetadata().getGeneration()).orElse(0L);
        GoProxyCacheStatus previous = Optional.ofNullable(cache.getStatus()).orElseGet(GoProxyCacheStatus::new);
        GoProxyCacheStatus status = new GoProxyCacheStatus();
        status.setObservedGeneration(generation);
        status.setUrl(seen.service().map(s -> CacheNames.url(cache)).orElse(null));
        status.setReplicas(
                seen.deployment().map(CacheStatusCalculator::replicas).orElse(null));
        status.setReadyReplicas(
                seen.deployment().map(CacheStatusCalculator::readyReplicas).orElse(null));
        status.setSelector(
                seen.deployment().map(CacheStatusCalculator::selector).orElse(null));
        status.setStorageCapacity(
                seen.volumeClaim().map(CacheStatusCalculator::capacity).orElse(null));

        // one answer for both conditions that speak of it: Progressing says the rollout stopped, Degraded says why
        Optional<CacheCondition> podTrouble =
                PodTrouble.of(cache, seen.deployment(), seen.pods(), previous.condition(CacheCondition.DEGRADED), now);
        Optional<CacheCondition> rolloutBlocker = rolloutBlocker(cache, seen, podTrouble);
        List<CacheCondition> conditions = new ArrayList<>();
        conditions.add(ready(cache, seen, podTrouble));
        conditions.add(progressing(cache, seen, rolloutBlocker));
        conditions.add(degraded(cache, seen, rolloutBlocker, now));
        String timestamp = now.truncatedTo(ChronoUnit.SECONDS).toString();
        for (CacheCondition c : conditions) {
            c.setObservedGeneration(generation);
            CacheCondition before = previous.condition(c.getType()).orElse(null);
            boolean statusKept = before != null
                    && Objects.equals(before.getStatus(), c.getStatus())
                    && before.getLastTransitionTime() != null;
            c.setLastTransitionTime(statusKept ? before.getLastTransitionTime() : timestamp);
        }
        status.setConditions(conditions);
        return status;
    }

    private static CacheCondition ready(GoProxyCache cache, Observation seen, Optional<CacheCondition> podTrouble) {
        if (seen.deployment().isEmpty()) {
            return new CacheCondition(
                    CacheCondition.READY, CacheCondition.FALSE, "DeploymentMissing", deploymentMissing(seen));
        }
        Deployment deployment = seen.deployment().get();
        int ready = readyReplicas(deployment);
        if (ready >= 1
                && conditionIs(deployment, "Available", "True")
                && seen.service().isEmpty()) {
            // the webhook gives build pods a cache only with status.url, which needs the Service
            return new CacheCondition(
                    CacheCondition.READY,
                    CacheCondition.FALSE,
                    "ServiceMissing",
                    ready + " proxy pod(s) are ready, but the Service " + CacheNames.service(cache)
                            + " that build pods reach them through is not the cache's yet; see Degraded.");
        }
        if (ready >= 1 && conditionIs(deployment, "Available", "True")) {
            return new CacheCondition(
                    CacheCondition.READY,
                    CacheCondition.TRUE,
                    "Available",
                    ready + " proxy pod(s) serve " + CacheNames.url(cache) + "." + fetchesNothing(cache));
        }
        if (ready == 0 && conditionIs(deployment, "ReplicaFailure", "True")) {
            // no pod exists to describe, nor to bind a WaitForFirstConsumer claim: Degraded (RolloutFailed) says why
            return new CacheCondition(
                    CacheCondition.READY,
                    CacheCondition.FALSE,
                    "PodsNotCreated",
                    "No proxy pod could be created: the API server refuses them; Degraded says why and what to fix.");
        }
        Optional<String> pendingClaim = pendingClaim(seen);
        if (pendingClaim.isPresent()) {
            return new CacheCondition(
                    CacheCondition.READY,
                    CacheCondition.FALSE,
                    "VolumeClaimPending",
                    claimPending(cache, pendingClaim.get()));
        }
        if (ready == 0 && podTrouble.isPresent()) {
            return new CacheCondition(
                    CacheCondition.READY,
                    CacheCondition.FALSE,
                    "PodsNotReady",
                    "No proxy pod is ready: they cannot start ("
                            + podTrouble.get().getReason() + "); Degraded says why and what to fix.");
        }
        return new CacheCondition(
                CacheCondition.READY,
                CacheCondition.FALSE,
                "PodsNotReady",
                "No proxy pod is ready yet; see " + describeCommand(cache, "pods") + ".");
    }

    /**
     * What a cache whose spec.upstream starts with off or direct serves, after Ready's "serve URL.": the proxy fetches
     * nothing then, so it serves only what its storage already holds, and build pods look for every other module
     * through the fallback the webhook gives them after the cache (GOPROXY=cache|fallback, which defaults to the
     * upstream: off again, where the go command stops). Ready said only that the pods serve, and a cache made with
     * upstream off and an empty volume failed every build with "module lookup disabled by GOPROXY=off" while it
     * looked like any other. Empty for an upstream that fetches (off after an upstream only ends its chain), and for
     * one the operator cannot read (Degraded InvalidSpec says why).
     */
    static String fetchesNothing(GoProxyCache cache) {
        GoProxyCacheSpec spec = cache.getSpec();
        Optional<GoProxyList.Entry> first = firstEntry(spec.getUpstream());
        if (first.isEmpty() || first.get() instanceof GoProxyList.Proxy) {
            return "";
        }
        boolean off = first.get() instanceof GoProxyList.Off;
        String fallback = spec.fallbackForBuildPods();
        String held = spec.getObjectStorage() != null
                ? "the bucket " + spec.getObjectStorage().getBucket() + " (spec.objectStorage) already holds, e.g. "
                        + "from other caches that share it"
                : "its volume already holds";
        StringBuilder hint = new StringBuilder(" spec.upstream ")
                .append(
                        GoProxyList.OFF.equals(spec.getUpstream().strip())
                                ? "is off"
                                : "starts with " + (off ? GoProxyList.OFF : GoProxyList.DIRECT)
                                        + " (what follows it is never tried)")
                .append(", so the cache fetches no module: it serves only those ")
                .append(held)
                .append(" and answers ")
                .append(off ? "410" : "404")
                .append(" for any other, which build pods then look for through spec.injection.fallback (")
                .append(fallback)
                .append(")");
        Optional<GoProxyList.Entry> fallbackFirst = firstEntry(fallback);
        if (fallbackFirst.filter(GoProxyList.Off.class::isInstance).isPresent()) {
            hint.append(", where their go command stops: \"module lookup disabled by GOPROXY=off\"");
        } else if (fallbackFirst.filter(GoProxyList.Direct.class::isInstance).isPresent()) {
            hint.append(": direct, so their go command fetches it from its origin (version control) itself");
        }
        return hint.append(". To have the cache fetch and keep modules, set spec.upstream to a GOPROXY list such as ")
                .append(GoProxyCacheSpec.DEFAULT_UPSTREAM)
                .append(".")
                .toString();
    }

    private static Optional<GoProxyList.Entry> firstEntry(String list) {
        if (list == null) {
            return Optional.empty();
        }
        try {
            return GoProxyList.parse(list).entries().stream().findFirst();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** What keeps the Deployment from being created, as Degraded reports it: the spec, or the failure of applying it. */
    private static String deploymentMissing(Observation seen) {
        if (!seen.specProblems().isEmpty()) {
            return "The proxy Deployment does not exist: the operator creates it once the spec is valid; Degraded "
                    + "(InvalidSpec) says what to fix.";
        }
        if (seen.failure().isPresent()) {
            return "The proxy Deployment does not exist: applying the spec failed ("
                    + seen.failure().get().reason() + "); Degraded says why and what to fix.";
        }
        return "The proxy Deployment does not exist yet; the operator is creating it.";
    }

    private static Optional<String> pendingClaim(Observation seen) {
        return seen.volumeClaim()
                .filter(c ->
                        c.getStatus() != null && "Pending".equals(c.getStatus().getPhase()))
                .map(c -> c.getMetadata().getName());
    }

    /**
     * A claim that waits for a volume (a provisioner at work, a size or access mode no volume offers, a class that
     * binds on first consumer) keeps the pods from starting; not Degraded by itself, since it may resolve alone.
     */
    private static String claimPending(GoProxyCache cache, String claim) {
        String namespace = cache.getMetadata().getNamespace();
        return "No proxy pod is ready yet: they wait for the volume claim " + claim + ", which is Pending (no volume "
                + "bound to it yet). Its events say why (a provisioner still at work, a size or access mode no "
                + "volume offers): kubectl -n " + namespace + " describe pvc " + claim + ", or kubectl -n " + namespace
                + " get events --field-selector involvedObject.kind=PersistentVolumeClaim,involvedObject.name="
                + claim + ".";
    }

    private static CacheCondition progressing(GoProxyCache cache, Observation seen, Optional<CacheCondition> blocker) {
        if (seen.deployment().isEmpty()) {
            if (!seen.specProblems().isEmpty() || seen.failure().isPresent()) {
                // nothing is under way: kubectl wait --for=condition=Progressing=False must not wait for it
                return new CacheCondition(
                        CacheCondition.PROGRESSING,
                        CacheCondition.FALSE,
                        seen.specProblems().isEmpty() ? seen.failure().get().reason() : "InvalidSpec",
                        "The proxy Deployment is not created until what the Degraded condition names is fixed.");
            }
            return new CacheCondition(
                    CacheCondition.PROGRESSING, CacheCondition.TRUE, "Creating", "Creating the proxy Deployment.");
        }
        if (!seen.deploymentApplied()
                && (!seen.specProblems().isEmpty() || seen.failure().isPresent())) {
            // the Deployment's own status describes the rollout of an earlier spec: "rolled out" would be false
            return new CacheCondition(
                    CacheCondition.PROGRESSING,
                    CacheCondition.FALSE,
                    seen.specProblems().isEmpty() ? seen.failure().get().reason() : "InvalidSpec",
                    "The proxy Deployment was not updated to the current spec: "
                            + (seen.specProblems().isEmpty() ? "applying it failed" : "the spec is invalid")
                            + ", see Degraded. Nothing rolls out until that is fixed, so the proxy pods may run "
                            + "earlier settings.");
        }
        Deployment deployment = seen.deployment().get();
        DeploymentStatus ds = Optional.ofNullable(deployment.getStatus()).orElseGet(DeploymentStatus::new);
        int wanted = Optional.ofNullable(deployment.getSpec().getReplicas()).orElse(1);
        long generation =
                Optional.ofNullable(deployment.getMetadata().getGeneration()).orElse(0L);
        // A rollout is in flight until the Deployment controller has seen the latest template and every pod it has
        // is of that template and ready. Pods that turn unready after the cache rolled out with as many pods (a node
        // gone NotReady, a failing probe) are no rollout: Ready=False PodsNotReady reports them, and the controller
        // keeps its Progressing=True NewReplicaSetAvailable. It keeps that reason through a scale-up too, so the
        // reason alone cannot tell them apart; the pod count the status last said can (a template change replaces
        // the reason).
        boolean rolledOut = ds.getObservedGeneration() != null
                && ds.getObservedGeneration() >= generation
                && orZero(ds.getUpdatedReplicas()) >= wanted
                && orZero(ds.getReplicas()) <= wanted
                && (orZero(ds.getReadyReplicas()) >= wanted
                        || (rolledOutWith(cache, wanted)
                                && conditionIsTrueFor(deployment, "Progressing", NEW_REPLICA_SET_AVAILABLE)));
        if (rolledOut && CacheNames.rolloutHeld(cache)) {
            return new CacheCondition(
                    CacheCondition.PROGRESSING,
                    CacheCondition.FALSE,
                    "RolloutHeld",
                    "All " + wanted + " proxy pod(s) run the Deployment's pod template; spec.holdRollout keeps new "
                            + "settings and images from it until it is set to false.");
        }
        String counts = orZero(ds.getUpdatedReplicas()) + " of " + wanted + " proxy pod(s) updated, "
                + orZero(ds.getReadyReplicas()) + " ready.";
        if (!rolledOut && blocker.isPresent()) {
            // as the Deployment's own Progressing=False ProgressDeadlineExceeded: kubectl wait must not wait for it
            return new CacheCondition(
                    CacheCondition.PROGRESSING,
                    CacheCondition.FALSE,
                    ROLLOUT_STUCK,
                    "The rollout is stuck: " + counts + " It cannot go on until what stops it ("
                            + blocker.get().getReason() + ") is fixed; the Degraded condition says how.");
        }
        String done = "All " + wanted + " proxy pod(s) run the current settings.";
        Optional<String> takenBack = podTemplateTakenBack(cache, seen);
        if (takenBack.isPresent()) {
            // the Deployment seen was read before this reconciliation took its template back: it rolls out now
            boolean rolling = seen.podTemplateTakenBack().isPresent() || !rolledOut;
            return new CacheCondition(
                    CacheCondition.PROGRESSING,
                    rolling ? CacheCondition.TRUE : CacheCondition.FALSE,
                    POD_TEMPLATE_TAKEN_BACK,
                    (seen.podTemplateTakenBack().isPresent()
                                    ? "The proxy pods roll out the operator's pod template again."
                                    : rolledOut ? done : counts)
                            + TAKEN_BACK_FROM + takenBack.get() + ".");
        }
        if (rolledOut) {
            return new CacheCondition(CacheCondition.PROGRESSING, CacheCondition.FALSE, "RolledOut", done);
        }
        return new CacheCondition(CacheCondition.PROGRESSING, CacheCondition.TRUE, "RollingOut", counts);
    }

    /**
     * Whether the last status written said the pods all ran the Deployment's template, with as many pods as are
     * wanted now: an edit of the cache that leaves the Deployment alone (holdRollout, a Service field) keeps it so,
     * a scale-up does not.
     */
    private static boolean rolledOutWith(GoProxyCache cache, int wanted) {
        return Optional.ofNullable(cache.getStatus())
                .filter(s -> Objects.equals(s.getReplicas(), wanted))
                .flatMap(s -> s.condition(CacheCondition.PROGRESSING))
                .filter(c -> CacheCondition.FALSE.equals(c.getStatus()) && ROLLED_OUT_REASONS.contains(c.getReason()))
                .isPresent();
    }

    /**
     * What was taken back of others' edits of the pod template: in this reconciliation, or in an earlier one of the
     * same spec, as the Progressing condition then said; a new spec generation leaves it behind.
     */
    private static Optional<String> podTemplateTakenBack(GoProxyCache cache, Observation seen) {
        if (seen.podTemplateTakenBack().isPresent()) {
            return seen.podTemplateTakenBack().map(PodTemplateDrift::describe);
        }
        long generation =
                Optional.ofNullable(cache.getMetadata().getGeneration()).orElse(0L);
        return Optional.ofNullable(cache.getStatus())
                .flatMap(s -> s.condition(CacheCondition.PROGRESSING))
                .filter(c -> POD_TEMPLATE_TAKEN_BACK.equals(c.getReason())
                        && Objects.equals(c.getObservedGeneration(), generation)
                        && c.getMessage() != null
                        && c.getMessage().contains(TAKEN_BACK_FROM))
                .map(c -> c.getMessage().substring(c.getMessage().indexOf(TAKEN_BACK_FROM) + TAKEN_BACK_FROM.length()))
                .map(m -> m.endsWith(".") ? m.substring(0, m.length() - 1) : m);
    }

    private static CacheCondition degraded(
            GoProxyCache cache, Observation seen, Optional<CacheCondition> blocker, Instant now) {
        if (!seen.specProblems().isEmpty()) {
            return new CacheCondition(
                    CacheCondition.DEGRADED,
                    CacheCondition.TRUE,
                    "InvalidSpec",
                    (seen.deployment().isPresent()
                                    ? "The spec cannot be applied; the running proxy keeps its previous settings. "
                                    : "The spec cannot be applied, so no proxy runs for this cache yet. ")
                            + "Fix: " + String.join("; ", seen.specProblems()) + ".");
        }
        if (seen.failure().isPresent()) {
            Observation.Failure failure = seen.failure().get();
            return new CacheCondition(
                    CacheCondition.DEGRADED, CacheCondition.TRUE, failure.reason(), failure.message());
        }
        Optional<Quantity> existing = seen.volumeClaim().map(CacheStatusCalculator::requested);
        String requested = cache.getSpec().getStorage().getSize();
        if (StorageSize.isShrink(requested, existing)) {
            return new CacheCondition(
                    CacheCondition.DEGRADED,
                    CacheCondition.TRUE,
                    "StorageShrinkRefused",
                    "spec.storage.size " + requested + " is smaller than the existing volume ("
                            + existing.get() + "); volumes only grow. Set spec.storage.size to at least "
                            + existing.get() + ".");
        }
        if (blocker.isPresent()) {
            return blocker.get();
        }
        Optional<CacheCondition> replicasTakenBack = replicasTakenBack(cache, seen, now);
        if (replicasTakenBack.isPresent()) {
            return replicasTakenBack.get();
        }
        if (!seen.otherDefaultCaches().isEmpty()) {
            // True though the proxy serves: the namespace's pods that rely on its default cache get none
            return new CacheCondition(
                    CacheCondition.DEGRADED,
                    CacheCondition.TRUE,
                    SEVERAL_DEFAULT_CACHES,
                    severalDefaultCaches(cache, seen.otherDefaultCaches()));
        }
        if (Conditions.serviceMonitorWanted(cache) && seen.serviceMonitorCrdMissing()) {
            // not Degraded: the proxy serves as asked, and the ServiceMonitor follows the CRD by itself
            return new CacheCondition(
                    CacheCondition.DEGRADED,
                    CacheCondition.FALSE,
                    SERVICE_MONITOR_CRD_MISSING,
                    "The proxy serves as asked, but spec.metrics.serviceMonitor.enabled asks for a ServiceMonitor "
                            + "and this cluster has no ServiceMonitor CRD (monitoring.coreos.com/v1, which the "
                            + "Prometheus operator installs): none is made, so no Prometheus operator scrapes the "
                            + "proxy's metrics. The operator makes it once the CRD is installed (it looks every "
                            + "minute by default, no restart needed); where no Prometheus operator will run, set "
                            + "spec.metrics.serviceMonitor.enabled to false.");
        }
        return new CacheCondition(
                CacheCondition.DEGRADED, CacheCondition.FALSE, "AsExpected", "Nothing needs attention.");
    }

    /**
     * Degraded ReplicasTakenBack: named afresh when this reconciliation set the replicas back, kept as it was until
     * {@link #REPLICAS_TAKE_BACK_QUIET} after the last take-back, so that it does not flap to "Nothing needs
     * attention" between an autoscaler's syncs, and gone after that.
     */
    private static Optional<CacheCondition> replicasTakenBack(GoProxyCache cache, Observation seen, Instant now) {
        if (seen.replicasTakenBack().isPresent()) {
            return Optional.of(new CacheCondition(
                    CacheCondition.DEGRADED,
                    CacheCondition.TRUE,
                    REPLICAS_TAKEN_BACK,
                    replicasTakenBack(cache, seen.replicasTakenBack().get(), now)));
        }
        return Optional.ofNullable(cache.getStatus())
                .flatMap(s -> s.condition(CacheCondition.DEGRADED))
                .filter(c -> replicasTakeBackEndsAt(c).filter(now::isBefore).isPresent())
                .map(c -> new CacheCondition(
                        CacheCondition.DEGRADED, CacheCondition.TRUE, REPLICAS_TAKEN_BACK, c.getMessage()));
    }

    /**
     * When a status's Degraded ReplicasTakenBack runs out if no take-back renews it: the reconciler looks again then.
     */
    public static Optional<Instant> replicasTakeBackEndsAt(GoProxyCacheStatus status) {
        return Optional.ofNullable(status)
                .flatMap(s -> s.condition(CacheCondition.DEGRADED))
                .flatMap(CacheStatusCalculator::replicasTakeBackEndsAt);
    }

    private static Optional<Instant> replicasTakeBackEndsAt(CacheCondition degraded) {
        if (!REPLICAS_TAKEN_BACK.equals(degraded.getReason())
                || !CacheCondition.TRUE.equals(degraded.getStatus())
                || degraded.getMessage() == null
                || !degraded.getMessage().contains(LAST_SET_BACK)) {
            return Optional.empty();
        }
        String message = degraded.getMessage();
        String at = message.substring(message.lastIndexOf(LAST_SET_BACK) + LAST_SET_BACK.length());
        try {
            return Optional.of(Instant.parse(at.endsWith(".") ? at.substring(0, at.length() - 1) : at)
                    .plus(REPLICAS_TAKE_BACK_QUIET));
        } catch (DateTimeParseException e) {
            return Optional.empty(); // not a message this operator wrote: let it go
        }
    }

    /**
     * Who set the replicas, that the operator sets them back, and where an autoscaler or kubectl scale must aim
     * instead: the cache's own scale subresource, which the operator follows.
     */
    private static String replicasTakenBack(GoProxyCache cache, ReplicasTakeBack takeBack, Instant now) {
        String namespace = cache.getMetadata().getNamespace();
        String name = cache.getMetadata().getName();
        String deployment = CacheNames.deployment(cache);
        return "The proxy Deployment " + deployment + "'s spec.replicas was set to " + takeBack.set() + " by "
                + takeBack.describeWriter() + ", and the operator sets the Deployment back to this cache's "
                + "spec.replicas (" + takeBack.wanted() + "): a HorizontalPodAutoscaler whose scaleTargetRef is "
                + "Deployment " + deployment + ", or kubectl scale deployment/" + deployment + ", is undone, and an "
                + "autoscaler scales it again at each of its syncs, so proxy pods are created and deleted over and "
                + "over. Fix: aim the HorizontalPodAutoscaler's scaleTargetRef at GoProxyCache " + namespace + "/"
                + name + " (apiVersion: " + GoProxyCache.GROUP + "/" + GoProxyCache.VERSION
                + ", kind: GoProxyCache, name: " + name + "), which has the scale subresource, not at its "
                + "Deployment; scale by hand with kubectl -n " + namespace + " scale gpc/" + name
                + " --replicas=N. This condition clears " + REPLICAS_TAKE_BACK_QUIET.toMinutes()
                + " minutes after the last take-back." + LAST_SET_BACK
                + now.truncatedTo(ChronoUnit.SECONDS) + ".";
    }

    /**
     * The webhook's warning, where a platform team sees it: a pod that names no cache is left unchanged, and the
     * warning reaches only whoever created it (a pipeline's log).
     */
    private static String severalDefaultCaches(GoProxyCache cache, List<String> others) {
        String namespace = cache.getMetadata().getNamespace();
        String annotation = InjectionLabels.DEFAULT_CACHE + "=true";
        String whichOthers =
                others.size() == 1 ? "GoProxyCache " + others.get(0) : "GoProxyCaches " + String.join(", ", others);
        return "This cache and " + whichOthers + " are annotated " + annotation + " in namespace " + namespace
                + ", so the namespace has no default cache: the webhook leaves its build pods that name no cache "
                + "(label " + InjectionLabels.INJECT + "=true, or the namespace's " + InjectionLabels.INJECT + "="
                + InjectionLabels.NAMESPACE_ENABLED + ", without a " + InjectionLabels.CACHE + " annotation) "
                + "unchanged, with a warning; pods that name a cache still get it. Keep the annotation on one cache "
                + "and remove it from the others; to keep this one: kubectl -n " + namespace
                + " annotate goproxycache " + String.join(" ", others) + " " + InjectionLabels.DEFAULT_CACHE + "-";
    }

    /**
     * What keeps the rollout from going on until someone acts, as a Degraded condition: a StorageClass that does not
     * exist (the claim never binds), a claim being deleted, pods that cannot start (PodTrouble: a missing Secret, an
     * image that cannot be pulled, a crashing proxy), pods the API server refuses, a rollout past its progress
     * deadline, or a Deployment paused by hand.
     */
    private static Optional<CacheCondition> rolloutBlocker(
            GoProxyCache cache, Observation seen, Optional<CacheCondition> podTrouble) {
        // on a move to object storage the operator deletes the claim itself, and the new pods do not mount it
        Optional<PersistentVolumeClaim> deleting = seen.volumeClaim()
                .filter(claim -> claim.getMetadata().getDeletionTimestamp() != null)
                .filter(claim -> cache.getSpec().getObjectStorage() == null);
        if (deleting.isPresent()) {
            return Optional.of(new CacheCondition(
                    CacheCondition.DEGRADED,
                    CacheCondition.TRUE,
                    VOLUME_CLAIM_DELETING,
                    volumeClaimDeleting(cache, deleting.get())));
        }
        if (seen.missingStorageClass().isPresent()) {
            return Optional.of(new CacheCondition(
                    CacheCondition.DEGRADED,
                    CacheCondition.TRUE,
                    "StorageClassNotFound",
                    storageClassNotFound(cache, seen.missingStorageClass().get())));
        }
        // what the kubelet says of the current pods names the cause within seconds, and still does once the
        // Deployment passes its progress deadline, where RolloutFailed could only point at kubectl describe
        if (podTrouble.isPresent()) {
            return podTrouble;
        }
        Optional<CacheCondition> failed = seen.deployment()
                .flatMap(d -> rolloutProblem(cache, d, pendingClaim(seen)))
                .map(stuck -> new CacheCondition(CacheCondition.DEGRADED, CacheCondition.TRUE, "RolloutFailed", stuck));
        if (failed.isPresent()) {
            return failed;
        }
        return seen.deployment()
                .filter(d ->
                        d.getSpec() != null && Boolean.TRUE.equals(d.getSpec().getPaused()))
                .map(d -> new CacheCondition(
                        CacheCondition.DEGRADED, CacheCondition.TRUE, DEPLOYMENT_PAUSED, deploymentPaused(cache, d)));
    }

    /**
     * Who paused the Deployment (the field manager holding {@code spec.paused}, kubectl-rollout for {@code kubectl
     * rollout pause}), and how to resume it. Paused, it still replaces lost pods, but rolls out no new template.
     */
    private static String deploymentPaused(GoProxyCache cache, Deployment deployment) {
        String name = deployment.getMetadata().getName();
        String pausedBy = SpecFieldHolders.of(deployment, "paused")
                .map(SpecFieldHolders::manager)
                .findFirst()
                .map(manager -> "spec.paused, set by " + manager)
                .orElse("spec.paused");
        DeploymentStatus ds = Optional.ofNullable(deployment.getStatus()).orElseGet(DeploymentStatus::new);
        int wanted = Optional.ofNullable(deployment.getSpec().getReplicas()).orElse(1);
        boolean waiting = orZero(ds.getUpdatedReplicas()) < wanted
                || (ds.getObservedGeneration() != null
                        && deployment.getMetadata().getGeneration() != null
                        && ds.getObservedGeneration() < deployment.getMetadata().getGeneration());
        return "The proxy Deployment " + name + " is paused (" + pausedBy + "): "
                + (waiting
                        ? "the current settings do not reach the proxy pods, which keep earlier ones."
                        : "its pods run the current settings, but the next change (of this spec, or the proxy "
                                + "image an operator upgrade brings) will not reach them.")
                + " The operator leaves spec.paused to whoever set it. Fix: kubectl -n "
                + cache.getMetadata().getNamespace() + " rollout resume deployment/" + name
                + (cache.getSpec() != null && cache.getSpec().isHoldRollout()
                        ? ". spec.holdRollout is set as well, and keeps the cache's pods as they are once resumed."
                        : ". To keep a cache's pods as they are on purpose, set spec.holdRollout to true instead.");
    }

    /**
     * Kubernetes keeps a claim that is deleted while pods mount it (its pvc-protection finalizer) and lets no new pod
     * mount it: a rolling update's new pod waits for it while the old pods keep it. Nothing takes a deletion back;
     * once the last pod stops, the claim goes with what is cached on it and the operator makes a new, empty one.
     */
    private static String volumeClaimDeleting(GoProxyCache cache, PersistentVolumeClaim claim) {
        String namespace = cache.getMetadata().getNamespace();
        return "The volume claim " + claim.getMetadata().getName() + " is being deleted (since "
                + claim.getMetadata().getDeletionTimestamp() + "): Kubernetes keeps it while proxy pods use it, "
                + "then deletes it with the modules cached on it, and no deletion can be taken back. Until then no "
                + "new proxy pod can start on it (a rollout's new pod, or one replacing a lost pod, waits: "
                + "persistentvolumeclaim is being deleted). Fix: delete the proxy pods (kubectl -n " + namespace
                + " delete pods -l " + CacheNames.INSTANCE_LABEL + "="
                + cache.getMetadata().getName()
                + "): the claim goes with them, the operator makes a new, empty one, and the new pods start on it; "
                + "the cache fills again from its upstreams.";
    }

    /**
     * The class cannot be changed on the claim (its spec is immutable) nor in the cache's spec (a CEL rule), but
     * nothing was ever cached on a volume that never bound, so the cache is made again.
     */
    private static String storageClassNotFound(GoProxyCache cache, String storageClass) {
        String namespace = cache.getMetadata().getNamespace();
        String claim = CacheNames.volumeClaim(cache);
        String message = "The volume claim " + claim + " is Pending: StorageClass \"" + storageClass
                + "\" does not exist (kubectl get storageclass lists those that do), so no volume will bind and "
                + "the proxy pods cannot start. If the name is right, create that StorageClass. If it is not: "
                + "spec.storage.storageClassName cannot change once set, so delete this GoProxyCache (nothing is "
                + "cached yet) and create it again with the name of an existing StorageClass, or without "
                + "storageClassName for the cluster's default.";
        return cache.getSpec().getStorage() != null
                        && cache.getSpec().getStorage().isRetainOnDelete()
                ? message + " Its claim is retained (storage.retainOnDelete), so delete it too first: kubectl -n "
                        + namespace + " delete pvc " + claim + "."
                : message;
    }

    /** Pod creation refused (quota, admission) or a rollout past its deadline, as the Deployment reports it. */
    private static Optional<String> rolloutProblem(
            GoProxyCache cache, Deployment deployment, Optional<String> pendingClaim) {
        List<DeploymentCondition> conditions = deployment.getStatus() == null
                ? List.of()
                : Optional.ofNullable(deployment.getStatus().getConditions()).orElse(List.of());
        for (DeploymentCondition c : conditions) {
            if ("ReplicaFailure".equals(c.getType()) && "True".equals(c.getStatus())) {
                return Optional.of("Proxy pods cannot be created: " + c.getMessage() + ". " + podRefusalFix(cache, c));
            }
            if ("Progressing".equals(c.getType())
                    && "False".equals(c.getStatus())
                    && "ProgressDeadlineExceeded".equals(c.getReason())) {
                String stalled = "The rollout stalled: " + c.getMessage() + ". ";
                return Optional.of(pendingClaim
                        .map(claim -> stalled + "The pods still wait for the volume claim " + claim + ", which is "
                                + "Pending: kubectl describe pvc " + claim + " shows why no volume binds (a "
                                + "provisioner's error, a size or access mode no volume offers).")
                        .orElse(stalled + "Fix: check the pods' events (image pull, scheduling, probes) with kubectl "
                                + "describe pods."));
            }
        }
        return Optional.empty();
    }

    /**
     * What to change for the refusal the Deployment reports: a ResourceQuota or LimitRange, the namespace's Pod
     * Security level (the operator's own settings meet "restricted", so only spec overrides break it), or else
     * whatever the ReplicaSet's events name (a missing spec.serviceAccountName, another admission webhook).
     */
    private static String podRefusalFix(GoProxyCache cache, DeploymentCondition refusal) {
        String message = Optional.ofNullable(refusal.getMessage()).orElse("");
        if (message.contains("violates PodSecurity")) {
            return "Fix: the namespace's Pod Security level (its label pod-security.kubernetes.io/enforce) refuses "
                    + "them; the operator's own settings meet the restricted level, so remove or change what "
                    + "spec.podSecurityContext or spec.securityContext sets that the message names.";
        }
        if (message.contains("quota") || message.contains("usage per ")) {
            return "Fix: raise the namespace's ResourceQuota/LimitRange or lower spec.resources.";
        }
        return "Fix: " + describeCommand(cache, "replicaset")
                + " shows what refused them (e.g. spec.serviceAccountName naming no ServiceAccount, an "
                + "admission webhook).";
    }

    /** The kubectl command that describes the cache's objects of one kind, selected by its instance label. */
    private static String describeCommand(GoProxyCache cache, String kind) {
        return "kubectl -n " + cache.getMetadata().getNamespace() + " describe " + kind + " -l "
                + CacheNames.INSTANCE_LABEL + "=" + cache.getMetadata().getName();
    }

    private static boolean conditionIsTrueFor(Deployment deployment, String type, String reason) {
        return deployment.getStatus() != null
                && deployment.getStatus().getConditions() != null
                && deployment.getStatus().getConditions().stream()
                        .anyMatch(c -> type.equals(c.getType())
                                && "True".equals(c.getStatus())
                                && reason.equals(c.getReason()));
    }

    /** Whether the Deployment reports condition {@code type} with status {@code value}. */
    static boolean conditionIs(Deployment deployment, String type, String value) {
        return deployment.getStatus() != null
                && deployment.getStatus().getConditions() != null
                && deployment.getStatus().getConditions().stream()
                        .anyMatch(c -> type.equals(c.getType()) && value.equals(c.getStatus()));
    }

    /** Pods the Deployment has, ready or not: what the scale subresource reports as its status.replicas. */
    private static int replicas(Deployment deployment) {
        return deployment.getStatus() == null
                ? 0
                : orZero(deployment.getStatus().getReplicas());
    }

    /**
     * The Deployment's selector in the query-param syntax a scale subresource reports (and a HorizontalPodAutoscaler
     * reads): its labels sorted by key, as Kubernetes writes a label set. The operator selects by labels only, and a
     * Deployment's selector never changes.
     */
    private static String selector(Deployment deployment) {
        if (deployment.getSpec() == null
                || deployment.getSpec().getSelector() == null
                || deployment.getSpec().getSelector().getMatchLabels() == null) {
            return null;
        }
        return new TreeMap<>(deployment.getSpec().getSelector().getMatchLabels())
                .entrySet().stream()
                        .map(label -> label.getKey() + "=" + label.getValue())
                        .collect(Collectors.joining(","));
    }

    private static int readyReplicas(Deployment deployment) {
        return deployment.getStatus() == null
                ? 0
                : orZero(deployment.getStatus().getReadyReplicas());
    }

    private static String capacity(PersistentVolumeClaim claim) {
        if (claim.getStatus() == null || claim.getStatus().getCapacity() == null) {
            return null;
        }
        Quantity q = claim.getStatus().getCapacity().get("storage");
        return q == null ? null : q.toString();
    }

    private static Quantity requested(PersistentVolumeClaim claim) {
        return claim.getSpec() == null
                        || claim.getSpec().getResources() == null
                        || claim.getSpec().getResources().getRequests() == null
                ? null
                : claim.getSpec().getResources().getRequests().get("storage");
    }

    private static int orZero(Integer value) {
        return value == null ? 0 : value;
    }
}
