package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;

/**
 * The API server refused to change the cache's existing volume claim: to grow it (a StorageClass without
 * allowVolumeExpansion, a ResourceQuota on requests.storage, a claim still Pending), or to write its labels or owner
 * reference. The claim is still there, with the access modes and class the spec asks for, so the pods can mount it
 * as it is: the rest of the cache is applied, and this is reported afterwards (see {@link
 * CacheVolumeClaimDependent#refusedUpdate}).
 */
public final class VolumeClaimRefusedException extends RuntimeException {

    private final String claim;
    private final String namespace;
    private final Optional<Quantity> size;
    private final Optional<Quantity> wanted;
    private final Optional<String> storageClass;
    private final boolean bound;
    private final boolean retained;

    public VolumeClaimRefusedException(
            PersistentVolumeClaim actual,
            PersistentVolumeClaim desired,
            GoProxyCache cache,
            KubernetesClientException answer) {
        super(
                "the API server refused to update the volume claim "
                        + actual.getMetadata().getName() + ": " + answer.getMessage(),
                answer);
        this.claim = actual.getMetadata().getName();
        this.namespace = actual.getMetadata().getNamespace();
        this.size = Optional.ofNullable(CacheVolumeClaimDependent.requested(actual));
        this.wanted = Optional.ofNullable(CacheVolumeClaimDependent.requested(desired));
        this.storageClass = Optional.ofNullable(actual.getSpec())
                .map(s -> s.getStorageClassName())
                .filter(c -> !c.isEmpty());
        this.bound =
                actual.getStatus() != null && "Bound".equals(actual.getStatus().getPhase());
        this.retained = CacheVolumeClaimDependent.retained(cache);
    }

    /** The API server's answer. */
    public KubernetesClientException answer() {
        return (KubernetesClientException) getCause();
    }

    public String claim() {
        return claim;
    }

    public String namespace() {
        return namespace;
    }

    /** The size the claim asks for now, the one its volume keeps. */
    public Optional<Quantity> size() {
        return size;
    }

    /** The size the operator asked for. */
    public Optional<Quantity> wanted() {
        return wanted;
    }

    /** The claim's StorageClass, as the API server filled it in (the cluster's default when the spec names none). */
    public Optional<String> storageClass() {
        return storageClass;
    }

    /** Whether a volume is bound to the claim: Kubernetes resizes only a bound claim. */
    public boolean bound() {
        return bound;
    }

    /** Whether the cache keeps its claim when deleted (spec.storage.retainOnDelete): a new one adopts it again. */
    public boolean retained() {
        return retained;
    }

    /** Whether the refused update asked the claim to grow. */
    public boolean growth() {
        try {
            return size.isPresent()
                    && wanted.isPresent()
                    && wanted.get().getNumericalAmount().compareTo(size.get().getNumericalAmount()) > 0;
        } catch (RuntimeException notAQuantity) {
            return false;
        }
    }
}
