package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An object of the name a cache needs exists and was not made for that cache (another application's Service, or
 * the management Service of a cache whose name is this one's plus "-management"): the operator leaves it alone.
 */
public final class NameTakenException extends RuntimeException {

    /** After every RFC 3339 time the API server writes: an entry without one sorts last. */
    private static final String UNKNOWN_TIME = "~";

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
        return maker(Optional.ofNullable(existing.getMetadata().getManagedFields())
                        .orElse(List.of()))
                .map(manager -> "written by " + manager)
                .orElse("made by someone else");
    }

    /**
     * The field manager that most likely made the object: the API server lists managers sorted by operation, time
     * and name, so the first is often a controller's later write of the same second ("kube-controller-manager"
     * binding a claim someone made with kubectl, or writing its status). The one that made it wrote the object itself
     * (no subresource such as status) with an Update (a creation is recorded as one) or an Apply; of those, the
     * earliest, and at the same second the one that owns the most fields (the maker wrote the whole spec, a binding
     * two fields). Failing that, the first manager named.
     */
    static Optional<String> maker(List<ManagedFieldsEntry> entries) {
        List<ManagedFieldsEntry> named = entries.stream()
                .filter(e -> e.getManager() != null && !e.getManager().isEmpty())
                .toList();
        Comparator<ManagedFieldsEntry> earliestThenLargest = Comparator.comparing((ManagedFieldsEntry e) ->
                        Optional.ofNullable(e.getTime()).orElse(UNKNOWN_TIME))
                .thenComparing(
                        Comparator.comparingInt(NameTakenException::fieldCount).reversed());
        return named.stream()
                .filter(e -> e.getSubresource() == null || e.getSubresource().isEmpty())
                .filter(e -> "Update".equals(e.getOperation()) || "Apply".equals(e.getOperation()))
                .min(earliestThenLargest)
                .or(() -> named.stream().findFirst())
                .map(ManagedFieldsEntry::getManager);
    }

    /** How many fields an entry owns, counted through its nested field set. */
    private static int fieldCount(ManagedFieldsEntry entry) {
        return entry.getFieldsV1() == null ? 0 : count(entry.getFieldsV1().getAdditionalProperties());
    }

    private static int count(Object fields) {
        if (!(fields instanceof Map<?, ?> map)) {
            return 0;
        }
        int n = 0;
        for (Object nested : map.values()) {
            n += 1 + count(nested);
        }
        return n;
    }
}
