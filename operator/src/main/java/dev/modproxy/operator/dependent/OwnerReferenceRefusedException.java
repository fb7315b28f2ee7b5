package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The API server refused to let the operator make the cache the controller of an object of its that exists without
 * that reference: "cannot set an ownerRef on a resource you can't delete", the answer of the
 * OwnerReferencesPermissionEnforcement admission plugin (on in OpenShift) to a client that may not delete the object.
 * The chart grants delete only on what the operator removes itself (volume claims, PodDisruptionBudgets,
 * NetworkPolicies, ServiceMonitors); garbage collection deletes the rest with the cache. So a Deployment, ConfigMap or
 * Service whose owner reference someone removed, or one made outside the operator with the cache's labels, cannot be
 * taken over; deleted, it is made again, with the reference (creating an object with one needs no delete permission).
 * Not a permission to grant: a person's action to undo.
 */
public final class OwnerReferenceRefusedException extends RuntimeException {

    /** What the admission plugin says when the client may not delete the object whose owner references change. */
    static final String REFUSAL = "cannot set an ownerRef on a resource you can't delete";

    public OwnerReferenceRefusedException(HasMetadata existing, GoProxyCache cache, KubernetesClientException answer) {
        super(message(existing, cache, answer), answer);
    }

    /** Whether {@code e} is the admission plugin's refusal to change the owner references of an existing object. */
    static boolean isRefusal(KubernetesClientException e) {
        return e.getCode() == 403 && e.getMessage() != null && e.getMessage().contains(REFUSAL);
    }

    static String message(HasMetadata existing, GoProxyCache cache, KubernetesClientException answer) {
        String kind = Optional.ofNullable(existing.getKind())
                .orElse(existing.getClass().getSimpleName());
        String name = existing.getMetadata().getName();
        String delete = "kubectl -n " + cache.getMetadata().getNamespace() + " delete " + kind.toLowerCase(Locale.ROOT)
                + " " + name;
        String replaced = existing instanceof Deployment
                ? " (its pods go with it: the cache is unavailable until the new ones are ready)"
                : "";
        return "The " + kind + " " + name + " " + state(existing, cache) + ", and the API server does not let the "
                + "operator make this cache its controller: "
                + Optional.ofNullable(answer.getStatus())
                        .map(s -> s.getMessage())
                        .orElse(answer.getMessage())
                + ". Changing an existing object's owner references needs permission to delete it (the cluster "
                + "enforces OwnerReferencesPermissionEnforcement), which the operator lacks here: the chart leaves "
                + "deleting a cache's Deployment, ConfigMap and Services to garbage collection. Until then the "
                + "operator leaves the object as it is. Fix: delete it (" + delete
                + "); the operator makes it again on its next attempt, owned by the "
                + "cache" + replaced + ". If it is someone else's object, delete this GoProxyCache and create it "
                + "under another name instead.";
    }

    /** How the object stands to the cache: what someone did to it, as far as its owner references tell. */
    private static String state(HasMetadata existing, GoProxyCache cache) {
        if (ControllerReference.referenced(cache, existing)) {
            return "names this cache as an owner but not as its controller (as an earlier operator version, or a "
                    + "person, left it)";
        }
        List<OwnerReference> owners =
                Optional.ofNullable(existing.getMetadata().getOwnerReferences()).orElse(List.of());
        if (owners.isEmpty()) {
            return "carries this cache's labels but no owner reference: someone removed it, or the object was made "
                    + "outside the operator (e.g. restored from a backup)";
        }
        return "carries this cache's labels but is owned by "
                + owners.stream().map(o -> o.getKind() + " " + o.getName()).collect(Collectors.joining(", "))
                + ", not by this cache";
    }
}
