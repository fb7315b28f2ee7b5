package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Objects;
import java.util.Optional;

/**
 * The proxy Deployment's {@code spec.replicas} set by another field manager to a number the cache does not want, which
 * the operator's apply sets back: a HorizontalPodAutoscaler whose scaleTargetRef is the Deployment rather than the
 * GoProxyCache (its writes through the Deployment's scale subresource show as manager kube-controller-manager or
 * horizontal-pod-autoscaler, subresource scale), or {@code kubectl scale deployment/...} (kubectl, subresource scale).
 * Read from the managed fields of the Deployment as observed before the apply: the entry that holds {@code
 * f:spec/f:replicas}. The operator's own apply of a new {@code spec.replicas} (a user's edit of the cache, or an
 * autoscaler aimed at the cache's own scale subresource) is no take-back: the operator holds that field then.
 *
 * @param manager the field manager that set the replicas
 * @param subresource the subresource it wrote through ({@code scale}), or null for a write of the Deployment itself
 * @param set the replicas it set
 * @param wanted the replicas the cache wants, which the operator sets back
 */
public record ReplicasTakeBack(String manager, String subresource, int set, int wanted) {

    /** Degraded's reason (True) while the operator keeps setting the Deployment's replicas back from another writer. */
    public static final String REASON = "ReplicasTakenBack";

    /** The take-back the operator's apply of {@code desired} makes of {@code actual}'s replicas, if any. */
    public static Optional<ReplicasTakeBack> of(Deployment actual, Deployment desired, String fieldManager) {
        if (actual == null
                || actual.getSpec() == null
                || actual.getSpec().getReplicas() == null
                || desired.getSpec() == null
                || desired.getSpec().getReplicas() == null
                || Objects.equals(
                        actual.getSpec().getReplicas(), desired.getSpec().getReplicas())) {
            return Optional.empty();
        }
        return SpecFieldHolders.of(actual, "replicas")
                .filter(entry -> !fieldManager.equals(entry.getManager()))
                .findFirst()
                .map(entry -> new ReplicasTakeBack(
                        SpecFieldHolders.manager(entry),
                        entry.getSubresource() == null || entry.getSubresource().isEmpty()
                                ? null
                                : entry.getSubresource(),
                        actual.getSpec().getReplicas(),
                        desired.getSpec().getReplicas()));
    }

    /**
     * Whether the cache's status already reports a take-back (Degraded, this reason): then this one is part of the
     * same episode, which the log has named once.
     */
    public static boolean reported(GoProxyCache cache) {
        return cache.getStatus() != null
                && cache.getStatus()
                        .condition(CacheCondition.DEGRADED)
                        .filter(c -> REASON.equals(c.getReason()))
                        .isPresent();
    }

    /** {@code field manager kube-controller-manager (through the scale subresource)}. */
    public String describeWriter() {
        return "field manager " + manager
                + (subresource == null ? "" : " (through the " + subresource + " subresource)");
    }
}
