package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The cache's volume claim exists with access modes or a StorageClass other than the spec's. Neither can change on a
 * claim, nor in the spec (CEL rules), so this is a claim the cache did not make as it is now: one kept by
 * spec.storage.retainOnDelete from an earlier GoProxyCache of the same name, adopted by this one. The API server would
 * refuse the update with a diff of Go structs; the operator does not ask it, and does not apply the Deployment either,
 * whose pods are laid out for the spec's access modes (several replicas on a ReadWriteMany volume, say) and could not
 * all mount this claim. A new GoProxyCache of the same name would adopt the same claim: the way out is to delete the
 * claim, or to give the cache the claim's settings.
 */
public final class VolumeClaimMismatchException extends RuntimeException {

    private VolumeClaimMismatchException(String message) {
        super(message);
    }

    /** The mismatch between the claim as it is and as the spec wants it, if any. */
    static Optional<VolumeClaimMismatchException> of(
            PersistentVolumeClaim actual, PersistentVolumeClaim desired, GoProxyCache cache) {
        List<String> modes = accessModes(actual);
        List<String> wantedModes = accessModes(desired);
        boolean modesDiffer = !Set.copyOf(modes).equals(Set.copyOf(wantedModes));
        String storageClass = storageClass(actual);
        String wantedClass = storageClass(desired);
        // no class in the spec: the API server gave the claim the cluster's default, which the spec accepts
        boolean classDiffers = wantedClass != null && !Objects.equals(storageClass, wantedClass);
        if (!modesDiffer && !classDiffers) {
            return Optional.empty();
        }
        return Optional.of(new VolumeClaimMismatchException(
                message(actual, cache, modes, wantedModes, modesDiffer, storageClass, wantedClass, classDiffers)));
    }

    private static String message(
            PersistentVolumeClaim actual,
            GoProxyCache cache,
            List<String> modes,
            List<String> wantedModes,
            boolean modesDiffer,
            String storageClass,
            String wantedClass,
            boolean classDiffers) {
        String claim = actual.getMetadata().getName();
        String namespace = cache.getMetadata().getNamespace();
        // what differs, as the claim has it and as the spec wants it
        List<String> has = new ArrayList<>();
        List<String> wants = new ArrayList<>();
        if (modesDiffer) {
            has.add("access modes " + modes);
            wants.add(wantedModes.toString());
        }
        if (classDiffers) {
            has.add("StorageClass " + (storageClass == null ? "(none)" : storageClass));
            wants.add("StorageClass " + wantedClass);
        }
        StringBuilder m = new StringBuilder("The volume claim ")
                .append(claim)
                .append(" exists with ")
                .append(String.join(" and ", has))
                .append(", but spec.storage asks for ")
                .append(String.join(" and ", wants));
        m.append(". A claim's access modes and class cannot change, so the proxy Deployment is not applied on it.");
        boolean adopted = !ControllerReference.referenced(cache, actual);
        if (adopted) {
            m.append(" The claim has no owner, like one spec.storage.retainOnDelete kept from an earlier ")
                    .append("GoProxyCache of this name: any GoProxyCache of this name adopts it, so a new one would ")
                    .append("meet it too.");
        }
        m.append(" Fix: delete the claim (kubectl -n ")
                .append(namespace)
                .append(" delete pvc ")
                .append(claim)
                .append("; the modules cached on it go with it), and the operator creates one as spec.storage says.");
        if (adopted) {
            m.append(" To keep those modules instead, delete this GoProxyCache and create it again with the claim's ")
                    .append("settings:");
            List<String> settings = new ArrayList<>();
            if (modesDiffer) {
                settings.add(" storage.accessModes " + modes
                        + (!modes.contains("ReadWriteMany") && cache.getSpec().getReplicas() > 1
                                ? " and replicas: 1 (several replicas need ReadWriteMany)"
                                : ""));
            }
            if (classDiffers) {
                settings.add(
                        storageClass == null
                                ? " no storage.storageClassName"
                                : " storage.storageClassName " + storageClass);
            }
            m.append(String.join(",", settings));
            m.append(".");
        }
        return m.toString();
    }

    private static List<String> accessModes(PersistentVolumeClaim claim) {
        return claim.getSpec() == null || claim.getSpec().getAccessModes() == null
                ? List.of()
                : claim.getSpec().getAccessModes();
    }

    private static String storageClass(PersistentVolumeClaim claim) {
        return claim.getSpec() == null ? null : claim.getSpec().getStorageClassName();
    }
}
