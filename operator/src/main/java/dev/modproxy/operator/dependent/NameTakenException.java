package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An object of the name a cache needs exists and was not made for that cache (another application's Service, or
 * the management Service of a cache whose name is this one's plus "-management"): the operator leaves it alone.
 */
public final class NameTakenException extends RuntimeException {

    public NameTakenException(HasMetadata existing, GoProxyCache cache) {
        super(message(existing, cache));
    }

    static String message(HasMetadata existing, GoProxyCache cache) {
        String kind = Optional.ofNullable(existing.getKind())
                .orElse(existing.getClass().getSimpleName());
        String name = existing.getMetadata().getName();
        String taken = "The " + kind + " " + name + " already exists and is not this cache's (" + origin(existing)
                + "); the operator does not take over an object it did not make.";
        if (controlledByAnotherCache(existing)) {
            // deleting it would only have its cache make it again
            return taken + " Fix: delete this GoProxyCache and create it under a name whose objects are free.";
        }
        return taken + " Fix: delete or rename that " + kind + " (kubectl -n "
                + cache.getMetadata().getNamespace()
                + " get " + kind.toLowerCase(Locale.ROOT) + " " + name + " -o yaml shows whose it is), or delete this "
                + "GoProxyCache and create it under another name.";
    }

    private static boolean controlledByAnotherCache(HasMetadata existing) {
        return ControllerReference.controller(existing)
                .filter(ref -> "GoProxyCache".equals(ref.getKind())
                        && ref.getApiVersion() != null
                        && ref.getApiVersion().startsWith(GoProxyCache.GROUP + "/"))
                .isPresent();
    }

    private static String origin(HasMetadata existing) {
        Optional<OwnerReference> controller = ControllerReference.controller(existing);
        if (controller.isPresent()) {
            return "controlled by " + controller.get().getKind() + " "
                    + controller.get().getName();
        }
        Map<String, String> labels =
                Optional.ofNullable(existing.getMetadata().getLabels()).orElse(Map.of());
        String managedBy = labels.get(CacheNames.MANAGED_BY_LABEL);
        if (managedBy != null) {
            return "managed by " + managedBy;
        }
        return Optional.ofNullable(existing.getMetadata().getManagedFields()).orElse(List.of()).stream()
                .map(ManagedFieldsEntry::getManager)
                .filter(manager -> manager != null && !manager.isEmpty())
                .findFirst()
                .map(manager -> "written by " + manager)
                .orElse("made by someone else");
    }
}
