package dev.modproxy.operator.status;

import dev.modproxy.operator.dependent.PodTemplateDrift;
import dev.modproxy.operator.dependent.ReplicasTakeBack;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Optional;

/**
 * What one reconciliation saw: the owned objects as the cluster reports them, the spec's problems, the failure of
 * the last attempt to apply it, if any, the StorageClass a Pending volume claim names that the cluster does not
 * have (no volume will ever bind it), if so, and whether this reconciliation applied the Deployment (created it,
 * updated it, or found it as the spec wants it). An invalid spec is not applied at all, and a failed dependent the
 * Deployment waits for (the volume claim's creation) keeps it from being applied: the Deployment then seen is one
 * made from an earlier spec, whatever its own status says about its rollout. {@code podTemplateTakenBack}: what this
 * reconciliation took back of other field managers' edits of the Deployment's pod template, if anything.
 * {@code serviceMonitorCrdMissing}: the cluster has no ServiceMonitor CRD (looked up only when the spec asks for a
 * ServiceMonitor). {@code otherDefaultCaches}: the names of the other caches of the namespace annotated
 * modproxy.dev/default=true, when this one is too (none otherwise). {@code replicasTakenBack}: the Deployment's
 * replicas, set by another field manager, that this reconciliation set back to the cache's, if so. {@code pods}: the
 * cache's proxy pods, as the kubelet last reported them (of every ReplicaSet; {@link PodTrouble} picks the current
 * template's).
 */
public record Observation(
        Optional<Deployment> deployment,
        Optional<PersistentVolumeClaim> volumeClaim,
        Optional<Service> service,
        List<String> specProblems,
        Optional<Failure> failure,
        Optional<String> missingStorageClass,
        boolean deploymentApplied,
        Optional<PodTemplateDrift> podTemplateTakenBack,
        boolean serviceMonitorCrdMissing,
        List<String> otherDefaultCaches,
        Optional<ReplicasTakeBack> replicasTakenBack,
        List<Pod> pods) {

    /** Why applying the spec failed, in words a user can act on. */
    public record Failure(String reason, String message) {}
}
