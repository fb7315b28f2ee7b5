package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The owner reference that makes a GoProxyCache the controller of an object it owns: the single controlling owner of
 * the Kubernetes API conventions, shown by {@code kubectl describe} as "Controlled By". {@code blockOwnerDeletion}
 * stays unset, as in the references of earlier operator versions.
 */
final class ControllerReference {

    private ControllerReference() {}

    static OwnerReference of(GoProxyCache cache) {
        return new OwnerReferenceBuilder()
                .withApiVersion(cache.getApiVersion())
                .withKind(cache.getKind())
                .withName(cache.getMetadata().getName())
                .withUid(cache.getMetadata().getUid())
                .withController(true)
                .build();
    }

    /** The owner reference marked as {@code object}'s controller, if any (the conventions allow one). */
    static Optional<OwnerReference> controller(HasMetadata object) {
        return references(object).stream()
                .filter(ref -> Boolean.TRUE.equals(ref.getController()))
                .findFirst();
    }

    /** Whether {@code object} names {@code cache} as its controller. */
    static boolean controls(GoProxyCache cache, HasMetadata object) {
        return controller(object).filter(ref -> isOf(ref, cache)).isPresent();
    }

    /** Whether {@code object}'s controller is a deleted GoProxyCache of {@code cache}'s name (another UID). */
    static boolean controlledByEarlier(GoProxyCache cache, HasMetadata object) {
        return controller(object)
                .filter(ref -> cache.getKind().equals(ref.getKind())
                        && cache.getMetadata().getName().equals(ref.getName())
                        && !isOf(ref, cache))
                .isPresent();
    }

    /** Whether {@code object} names {@code cache} as an owner at all, controller or not. */
    static boolean referenced(GoProxyCache cache, HasMetadata object) {
        return references(object).stream().anyMatch(ref -> isOf(ref, cache));
    }

    /**
     * The owner references {@code object} should carry: those of other owners as they are, and the cache's as its
     * controller reference when {@code owned}, else none.
     */
    static List<OwnerReference> wanted(GoProxyCache cache, HasMetadata object, boolean owned) {
        List<OwnerReference> refs = new ArrayList<>(references(object));
        refs.removeIf(ref -> isOf(ref, cache));
        if (owned) {
            refs.add(of(cache));
        }
        return refs;
    }

    private static boolean isOf(OwnerReference ref, GoProxyCache cache) {
        return cache.getMetadata().getUid().equals(ref.getUid());
    }

    private static List<OwnerReference> references(HasMetadata object) {
        return object.getMetadata() == null || object.getMetadata().getOwnerReferences() == null
                ? List.of()
                : object.getMetadata().getOwnerReferences();
    }
}
