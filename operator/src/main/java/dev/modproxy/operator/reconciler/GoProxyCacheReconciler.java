package dev.modproxy.operator.reconciler;

import dev.modproxy.operator.admin.ProxyAdmin;
import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.CacheFigures;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.api.v1alpha1.WarmupState;
import dev.modproxy.operator.api.v1alpha1.WarmupStatus;
import dev.modproxy.operator.dependent.CacheNames;
import dev.modproxy.operator.dependent.CacheVolumeClaimDependent;
import dev.modproxy.operator.dependent.Conditions;
import dev.modproxy.operator.dependent.ProxyConfigMapDependent;
import dev.modproxy.operator.dependent.ProxyDeploymentDependent;
import dev.modproxy.operator.dependent.ProxyDisruptionBudgetDependent;
import dev.modproxy.operator.dependent.ProxyManagementServiceDependent;
import dev.modproxy.operator.dependent.ProxyNetworkPolicyDependent;
import dev.modproxy.operator.dependent.ProxyServiceDependent;
import dev.modproxy.operator.dependent.ServiceMonitorCrdPresent;
import dev.modproxy.operator.dependent.ServiceMonitorDependent;
import dev.modproxy.operator.dependent.VolumeClaimRefusedException;
import dev.modproxy.operator.figures.CacheFiguresPoller;
import dev.modproxy.operator.figures.ProxyReading;
import dev.modproxy.operator.settings.SpecProblems;
import dev.modproxy.operator.status.CacheFiguresReport;
import dev.modproxy.operator.status.CacheStatusCalculator;
import dev.modproxy.operator.status.FailureExplainer;
import dev.modproxy.operator.status.Observation;
import dev.modproxy.operator.status.PodTrouble;
import dev.modproxy.operator.warmup.WarmupDriver;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Turns a GoProxyCache into its ConfigMap, volume, Deployment and Service, and reports how they are doing. */
@ControllerConfiguration(name = GoProxyCacheReconciler.NAME)
@RBACRule(
        apiGroups = "coordination.k8s.io",
        resources = "leases",
        verbs = {"get", "list", "watch", "create", "update", "patch"})
// the proxy pods, read to say at once why they do not start (ProxyPods); never written
@RBACRule(
        apiGroups = "",
        resources = "pods",
        verbs = {"get", "list", "watch"})
@Workflow(
        explicitInvocation = true,
        dependents = {
            @Dependent(name = "config", type = ProxyConfigMapDependent.class),
            @Dependent(name = "volume", type = CacheVolumeClaimDependent.class),
            // on the volume for its existence only: a claim whose update is refused (it cannot grow) fails no
            // dependent, and is reported once the rest is applied (CacheVolumeClaimDependent.reconcile)
            @Dependent(
                    name = "deployment",
                    type = ProxyDeploymentDependent.class,
                    dependsOn = {"config", "volume"}),
            @Dependent(name = "service", type = ProxyServiceDependent.class),
            @Dependent(name = "management-service", type = ProxyManagementServiceDependent.class),
            @Dependent(
                    name = "network-policy",
                    type = ProxyNetworkPolicyDependent.class,
                    reconcilePrecondition = Conditions.NetworkPolicyWanted.class),
            @Dependent(
                    name = "disruption-budget",
                    type = ProxyDisruptionBudgetDependent.class,
                    reconcilePrecondition = Conditions.SeveralReplicas.class,
                    dependsOn = "deployment"),
            @Dependent(
                    name = "service-monitor",
                    type = ServiceMonitorDependent.class,
                    reconcilePrecondition = Conditions.ServiceMonitorWanted.class,
                    activationCondition = ServiceMonitorCrdPresent.class,
                    dependsOn = "management-service")
        })
public class GoProxyCacheReconciler implements Reconciler<GoProxyCache> {

    /** Controller name in configuration keys: quarkus.operator-sdk.controllers.goproxycache.* */
    public static final String NAME = "goproxycache";

    private static final Logger LOG = Logger.getLogger(GoProxyCacheReconciler.class);

    /** How soon a warm-up list the proxy did not take yet is offered again. */
    static final Duration WARMUP_INTERVAL = Duration.ofSeconds(10);

    /**
     * JOSDK's workflow executors, which log each reconciliation or cleanup a shutdown interrupts as an ERROR with its
     * stack trace ("Thread interrupted for primary"); {@link #updateErrorStatus} says it at DEBUG instead. Held so
     * that the level set on them stays with them.
     */
    private static final List<java.util.logging.Logger> WORKFLOW_LOGS = Stream.of(
                    "WorkflowReconcileExecutor", "WorkflowCleanupExecutor")
            .map(name -> java.util.logging.Logger.getLogger(
                    "io.javaoperatorsdk.operator.processing.dependent.workflow." + name))
            .toList();

    private final Clock clock = Clock.systemUTC();
    /** Set as the operator starts shutting down, before JOSDK stops and interrupts the reconciliations running. */
    private volatile boolean shuttingDown;
    /** Whether the monitoring.coreos.com CRD is there, from the same cached check that activates the dependent. */
    private final ServiceMonitorCrdPresent monitorCrd = new ServiceMonitorCrdPresent();

    private final ServiceMonitorDependent monitorType = new ServiceMonitorDependent();
    private final ProxyAdmin admin;
    private final WarmupDriver warmup;
    private final Duration recheckInterval;
    /** Raised once this replica stopped leading: another one reconciles the caches from then on. */
    private final LeadershipFence leadership;
    /** UIDs of caches reported as going with their namespace; the oldest are forgotten, they are gone. */
    private final Set<String> leftAlone = Collections.newSetFromMap(Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 1000;
        }
    }));

    @Inject
    public GoProxyCacheReconciler(
            ProxyAdmin admin,
            WarmupDriver warmup,
            @ConfigProperty(name = "modproxy.operator.recheck-interval", defaultValue = "1M") Duration recheckInterval,
            LeadershipFence leadership) {
        this.admin = admin;
        this.warmup = warmup;
        this.recheckInterval = recheckInterval;
        this.leadership = leadership;
    }

    /** A reconciler of a replica that leads for as long as it lives (tests). */
    public GoProxyCacheReconciler(ProxyAdmin admin, WarmupDriver warmup, Duration recheckInterval) {
        this(admin, warmup, recheckInterval, new LeadershipFence());
    }

    /**
     * Besides the dependents' informers: the proxy's figures, read on a timer of their own (CacheFiguresPoller), and
     * the caches annotated default, whose peers report when there are several (NamespaceDefaults), and the proxy
     * pods, whose status says why they do not start (ProxyPods).
     */
    @Override
    public List<EventSource<?, GoProxyCache>> prepareEventSources(EventSourceContext<GoProxyCache> context) {
        return List.of(
                CacheFiguresPoller.eventSource(context, admin),
                NamespaceDefaults.eventSource(context),
                ProxyPods.eventSource(context));
    }

    @Override
    public UpdateControl<GoProxyCache> reconcile(GoProxyCache cache, Context<GoProxyCache> context) {
        if (leadership.raised()) {
            // an event queued before the Lease was lost, dispatched before the exit stops event processing: the
            // replica that leads now reconciles the cache; a write from here would race it with a stale view
            LOG.debugf(
                    "GoProxyCache %s/%s not reconciled: this replica no longer holds the Lease",
                    cache.getMetadata().getNamespace(), cache.getMetadata().getName());
            return UpdateControl.noUpdate();
        }
        List<String> problems = SpecProblems.of(cache);
        if (problems.isEmpty()) {
            // an error here propagates to updateErrorStatus, which reports it and lets JOSDK retry
            context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
            // a claim that exists but could not be updated did not hold the rest back: it is reported the same way
            Optional<VolumeClaimRefusedException> refused = CacheVolumeClaimDependent.refusedUpdate(context);
            if (refused.isPresent()) {
                throw refused.get();
            }
        } else {
            LOG.infof(
                    "GoProxyCache %s/%s has an invalid spec: %s",
                    cache.getMetadata().getNamespace(), cache.getMetadata().getName(), problems);
        }
        Instant now = clock.instant();
        Observation seen = observe(cache, context, problems, Optional.empty());
        GoProxyCacheStatus status = CacheStatusCalculator.compute(cache, seen, now);
        boolean ready = status.condition(CacheCondition.READY)
                .map(c -> CacheCondition.TRUE.equals(c.getStatus()))
                .orElse(false);
        Optional<ProxyReading> proxy = context.getSecondaryResource(ProxyReading.class, CacheFiguresPoller.NAME);
        CacheFiguresReport.apply(
                status,
                previousFigures(cache),
                ready
                        ? proxy.map(ProxyReading::figures).orElseGet(CacheFiguresReport.NotAsked::new)
                        : new CacheFiguresReport.NotAsked());
        status.setWarmup(
                ready
                        ? warmup.step(cache, context.getClient(), proxy.flatMap(ProxyReading::runningWarmup))
                        : previousWarmup(cache));
        writeStatus(cache, status, context);
        UpdateControl<GoProxyCache> control = UpdateControl.noUpdate();
        Optional<Duration> lookAgain = Stream.of(
                        // figures and a running warm-up's progress come through the poller; a list not handed over
                        // yet is retried
                        ready
                                        && status.getWarmup() != null
                                        && status.getWarmup().getState() == WarmupState.Pending
                                ? Optional.of(WARMUP_INTERVAL)
                                : Optional.<Duration>empty(),
                        // A ServiceMonitor asked for before its CRD is installed: nothing else wakes a cache that has
                        // settled, so look again after the CRD check's interval, and the ServiceMonitor is made once
                        // the CRD is there.
                        serviceMonitorCrdMissing(cache, context)
                                ? Optional.of(ServiceMonitorCrdPresent.recheckAfter())
                                : Optional.<Duration>empty(),
                        // Degraded ReplicasTakenBack clears once no take-back renewed it for a while; an autoscaler
                        // deleted or aimed at the cache sends no event of its own
                        CacheStatusCalculator.replicasTakeBackEndsAt(status)
                                .map(end -> Duration.between(now, end).plusSeconds(1))
                                .map(wait -> wait.isNegative() ? Duration.ofSeconds(1) : wait),
                        // a failed image pull is reported once the pod waited its grace, and ProxyCrashing kept while
                        // the proxy runs between crashes ends once it ran long; the kubelet may write nothing then
                        PodTrouble.lookAgainAt(seen.deployment(), seen.pods(), now)
                                .map(end -> Duration.between(now, end).plusSeconds(1)))
                .flatMap(Optional::stream)
                .min(Duration::compareTo);
        return lookAgain.map(control::rescheduleAfter).orElse(control);
    }

    private static WarmupStatus previousWarmup(GoProxyCache cache) {
        return cache.getStatus() == null ? null : cache.getStatus().getWarmup();
    }

    private static CacheFigures previousFigures(GoProxyCache cache) {
        return cache.getStatus() == null ? null : cache.getStatus().getCache();
    }

    // before quarkus-operator-sdk's own observer (default priority) stops the operator and its reconciliations
    void onShutdown(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        shuttingDown = true;
        WORKFLOW_LOGS.forEach(log -> log.setLevel(Level.OFF));
    }

    // an operator started again in the same JVM (tests do) hears its workflows' errors as a first one does
    void onStart(@Observes StartupEvent event) {
        WORKFLOW_LOGS.forEach(log -> log.setLevel(null));
    }

    @Override
    public ErrorStatusUpdateControl<GoProxyCache> updateErrorStatus(
            GoProxyCache cache, Context<GoProxyCache> context, Exception e) {
        if (shuttingDown || leadership.raised()) {
            // cut short by the operator's own exit (a rolling update, a lost Lease), or failed after the Lease was
            // lost: nothing to report, and the client may be closed already; the leader reconciles the cache again
            // a write refused by the fence (FencedWrites) was logged once there, at INFO
            LOG.debugf(
                    e,
                    shuttingDown
                            ? "Reconciling GoProxyCache %s/%s was interrupted by the operator's shutdown"
                            : "Reconciling GoProxyCache %s/%s ended: this replica no longer leads",
                    cache.getMetadata().getNamespace(),
                    cache.getMetadata().getName());
            return ErrorStatusUpdateControl.<GoProxyCache>noStatusUpdate().withNoRetry();
        }
        Observation.Failure failure = FailureExplainer.explain(e);
        if (FailureExplainer.NAMESPACE_TERMINATING.equals(failure.reason())) {
            // nothing to repair or report: the namespace's deletion removes the cache, which ends its reconciling.
            // Each owned object it deletes first brings one more attempt: only the first is worth a line.
            LOG.logf(
                    leftAlone.add(cache.getMetadata().getUid()) ? Logger.Level.INFO : Logger.Level.DEBUG,
                    "GoProxyCache %s/%s left alone: %s",
                    cache.getMetadata().getNamespace(),
                    cache.getMetadata().getName(),
                    failure.message());
            return ErrorStatusUpdateControl.<GoProxyCache>noStatusUpdate().withNoRetry();
        }
        if (FailureExplainer.CACHE_DELETED.equals(failure.reason())) {
            if (!stillExists(cache, context.getClient())) {
                // deleted by someone while this reconciliation ran: nothing failed that anyone needs to hear of
                LOG.debugf(
                        "GoProxyCache %s/%s: %s",
                        cache.getMetadata().getNamespace(), cache.getMetadata().getName(), failure.message());
                return ErrorStatusUpdateControl.<GoProxyCache>noStatusUpdate().withNoRetry();
            }
            failure = FailureExplainer.notFoundThoughPresent(e);
        }
        boolean retriesSpent =
                context.getRetryInfo().map(RetryInfo::isLastAttempt).orElse(false);
        if (FailureExplainer.CONFLICT.equals(failure.reason()) && !retriesSpent) {
            // nothing is wrong with the cache: a Degraded=True here would only flicker in kubectl and in alerts
            LOG.debugf(
                    "GoProxyCache %s/%s: %s",
                    cache.getMetadata().getNamespace(), cache.getMetadata().getName(), failure.message());
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        if (FailureExplainer.UNEXPLAINED.equals(failure.reason())) {
            LOG.warnf(
                    e,
                    "Reconciling GoProxyCache %s/%s failed",
                    cache.getMetadata().getNamespace(),
                    cache.getMetadata().getName());
        } else {
            // the API server's answer, explained in status: the trace would only bury it
            LOG.warnf(
                    "Reconciling GoProxyCache %s/%s failed: %s: %s%s",
                    cache.getMetadata().getNamespace(),
                    cache.getMetadata().getName(),
                    failure.reason(),
                    failure.message(),
                    FailureExplainer.omittedDetail(e)
                            .map(answer -> " The API server's whole answer: " + answer)
                            .orElse(""));
        }
        Observation seen = observe(cache, context, SpecProblems.of(cache), Optional.of(failure));
        GoProxyCacheStatus status = CacheStatusCalculator.compute(cache, seen, clock.instant());
        CacheFiguresReport.apply(status, previousFigures(cache), new CacheFiguresReport.NotAsked());
        status.setWarmup(previousWarmup(cache));
        try {
            writeStatus(cache, status, context);
        } catch (RuntimeException unreported) {
            if (leadership.raised()) {
                // the fence rose meanwhile and refused the status write (FencedWrites said so): the leader reports it
                return ErrorStatusUpdateControl.<GoProxyCache>noStatusUpdate().withNoRetry();
            }
            if (FailureExplainer.cacheDeleted(unreported) && !stillExists(cache, context.getClient())) {
                // deleted since the failure: its status went with it
                LOG.debugf(
                        "GoProxyCache %s/%s was deleted before its failure could be reported",
                        cache.getMetadata().getNamespace(), cache.getMetadata().getName());
                return ErrorStatusUpdateControl.<GoProxyCache>noStatusUpdate().withNoRetry();
            }
            // the API server is the likely cause of both failures; the retry below reports it once it answers. A
            // shutdown begun meanwhile closes the client and leaves the report to the next leader.
            LOG.logf(
                    shuttingDown ? Logger.Level.DEBUG : Logger.Level.WARN,
                    "Could not report the failure in the status of GoProxyCache %s/%s: %s",
                    cache.getMetadata().getNamespace(),
                    cache.getMetadata().getName(),
                    unreported.getMessage());
        }
        ErrorStatusUpdateControl<GoProxyCache> control = ErrorStatusUpdateControl.noStatusUpdate();
        // JOSDK's own retries (6 attempts in about 18 s) end with the error logged again with its stack trace,
        // and then nothing runs until an event or the 10-hour resync; a raised quota or a granted permission
        // sends no event. So a refusal that waits for a person, and any failure once those retries are spent,
        // is tried again at a steady pace instead. (A first failure has no retry information yet: it is retried
        // as usual.)
        return FailureExplainer.awaitsAFix(failure) || retriesSpent
                ? control.withNoRetry().rescheduleAfter(recheckInterval)
                : control;
    }

    /**
     * Whether the cache the API server answered 404 for is still there (the same object, by uid): then the 404 is not
     * its deletion but, e.g., a CRD without the status subresource, which must not pass in silence.
     */
    private static boolean stillExists(GoProxyCache cache, KubernetesClient client) {
        try {
            GoProxyCache now = client.resources(GoProxyCache.class)
                    .inNamespace(cache.getMetadata().getNamespace())
                    .withName(cache.getMetadata().getName())
                    .get();
            return now != null
                    && Objects.equals(
                            now.getMetadata().getUid(), cache.getMetadata().getUid());
        } catch (KubernetesClientException e) {
            return true; // cannot tell: reported as the failure it was, and retried
        }
    }

    /** A ServiceMonitor asked for where the cluster has no CRD for it, by the check that activates the dependent. */
    private boolean serviceMonitorCrdMissing(GoProxyCache cache, Context<GoProxyCache> context) {
        return Conditions.serviceMonitorWanted(cache) && !monitorCrd.isMet(monitorType, cache, context);
    }

    private Observation observe(
            GoProxyCache cache,
            Context<GoProxyCache> context,
            List<String> problems,
            Optional<Observation.Failure> failure) {
        // two Services per cache (builds, management): the status reports the one build pods use
        Optional<Service> service = context.getSecondaryResources(Service.class).stream()
                .filter(s -> CacheNames.service(cache).equals(s.getMetadata().getName()))
                .findFirst();
        Optional<PersistentVolumeClaim> claim = context.getSecondaryResource(PersistentVolumeClaim.class);
        return new Observation(
                context.getSecondaryResource(Deployment.class),
                claim,
                service,
                problems,
                failure,
                claim.flatMap(c -> missingStorageClass(c, context.getClient())),
                deploymentApplied(context),
                ProxyDeploymentDependent.takenBack(context),
                serviceMonitorCrdMissing(cache, context),
                NamespaceDefaults.othersMarkedDefault(cache, context),
                ProxyDeploymentDependent.replicasTakenBack(context),
                ProxyPods.of(cache, context));
    }

    /**
     * Whether this reconciliation's workflow reconciled the Deployment without an error: created it, updated it, or
     * found it as the spec wants it. Not when the workflow did not run (an invalid spec), nor when the Deployment
     * was skipped because a dependent it waits for failed, nor when its own write failed. The workflow keeps its
     * result in the context even when it then throws, so updateErrorStatus reads it too.
     */
    private static boolean deploymentApplied(Context<GoProxyCache> context) {
        return context.managedWorkflowAndDependentResourceContext()
                .getWorkflowReconcileResult()
                .map(result ->
                        result.getReconciledDependents().stream().anyMatch(ProxyDeploymentDependent.class::isInstance))
                .orElse(false);
    }

    /**
     * The StorageClass a Pending claim names, when the cluster has none of that name: a misspelt
     * spec.storage.storageClassName, which nothing would ever report otherwise (the claim just stays Pending). Asked
     * only while the claim is Pending, one GET (the chart grants get on storageclasses, nothing more).
     */
    private static Optional<String> missingStorageClass(PersistentVolumeClaim claim, KubernetesClient client) {
        String name = claim.getSpec() == null ? null : claim.getSpec().getStorageClassName();
        boolean pending =
                claim.getStatus() != null && "Pending".equals(claim.getStatus().getPhase());
        if (!pending || name == null || name.isEmpty()) {
            return Optional.empty();
        }
        try {
            return client.storage().v1().storageClasses().withName(name).get() == null
                    ? Optional.of(name)
                    : Optional.empty();
        } catch (KubernetesClientException e) {
            // e.g. a cluster role without the permission: the status cannot name the cause, nothing worse
            LOG.warnf(
                    "Could not look up StorageClass %s named by the Pending claim %s/%s: %s",
                    name,
                    claim.getMetadata().getNamespace(),
                    claim.getMetadata().getName(),
                    e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Applies the status when it differs from the one the cache was read with, and keeps the answer where the
     * next reconciliation reads its cache. Without that, a reconciliation that follows at once (the next event
     * was already queued) reads the object from before this write: one that finds the state of before a brief
     * failure would see "nothing changed" and leave the failure's Degraded=True in place until some later event
     * (the likely cause of a Degraded=True that stayed for minutes on a real API server after the cache had
     * recovered; the race was inferred from that run, not reproduced).
     */
    private void writeStatus(GoProxyCache cache, GoProxyCacheStatus status, Context<GoProxyCache> context) {
        // a reconciliation under way when the Lease was lost gets no further: FencedWrites refuses the patch
        if (status.equals(cache.getStatus())) {
            return;
        }
        if (context.getControllerConfiguration().getConfigurationService().useSSAToPatchPrimaryResource()) {
            PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(cache, statusPatch(cache, status), context);
        } else {
            // a JSON patch, as JOSDK writes status without server-side apply (the test profile: the mock has none)
            PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(cache, context, c -> {
                c.setStatus(status);
                return c;
            });
        }
    }

    /** A fresh object carrying only the new status. */
    private static GoProxyCache statusPatch(GoProxyCache cache, GoProxyCacheStatus status) {
        GoProxyCache patch = new GoProxyCache();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(cache.getMetadata().getName())
                .withNamespace(cache.getMetadata().getNamespace())
                .build());
        patch.setStatus(status);
        return patch;
    }
}
