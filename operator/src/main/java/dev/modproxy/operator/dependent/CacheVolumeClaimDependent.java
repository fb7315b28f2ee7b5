package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.Storage;
import dev.modproxy.operator.settings.StorageSize;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.ReconcileResult;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The volume holding cached modules. It only grows, and when the cache asks to retain it, it carries no
 * owner reference, so deleting the GoProxyCache leaves it (and the cached modules) in place.
 */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class CacheVolumeClaimDependent extends CacheOwnedDependent<PersistentVolumeClaim>
        implements SecondaryToPrimaryMapper<PersistentVolumeClaim> {

    static final String STORAGE = "storage";

    public CacheVolumeClaimDependent() {
        super(PersistentVolumeClaim.class);
    }

    @Override
    protected PersistentVolumeClaim desired(GoProxyCache cache, Context<GoProxyCache> context) {
        return desiredClaim(cache, getSecondaryResource(cache, context).map(CacheVolumeClaimDependent::requested));
    }

    static PersistentVolumeClaim desiredClaim(GoProxyCache cache, Optional<Quantity> existingSize) {
        Storage storage = cache.getSpec().getStorage();
        return new PersistentVolumeClaimBuilder()
                .withMetadata(CacheNames.metadata(cache, CacheNames.volumeClaim(cache)))
                .withNewSpec()
                .withAccessModes(storage.getAccessModes())
                .withStorageClassName(storage.getStorageClassName())
                .withNewResources()
                .withRequests(Map.of(STORAGE, StorageSize.toRequest(storage.getSize(), existingSize)))
                .endResources()
                .endSpec()
                .build();
    }

    static Quantity requested(PersistentVolumeClaim claim) {
        return claim.getSpec() == null
                        || claim.getSpec().getResources() == null
                        || claim.getSpec().getResources().getRequests() == null
                ? null
                : claim.getSpec().getResources().getRequests().get(STORAGE);
    }

    static boolean retained(GoProxyCache cache) {
        return cache.getSpec().getStorage() != null
                && cache.getSpec().getStorage().isRetainOnDelete();
    }

    @Override
    protected boolean owned(GoProxyCache cache) {
        return !retained(cache);
    }

    /** A bound claim's spec is immutable except its size, so only size, labels and ownership are written. */
    @Override
    public PersistentVolumeClaim update(
            PersistentVolumeClaim actual,
            PersistentVolumeClaim desired,
            GoProxyCache cache,
            Context<GoProxyCache> context) {
        if (useSSA(context)) {
            return super.update(actual, desired, cache, context);
        }
        PersistentVolumeClaim updated = new PersistentVolumeClaimBuilder(actual)
                .editMetadata()
                .addToLabels(desired.getMetadata().getLabels())
                .withOwnerReferences(ControllerReference.wanted(cache, actual, owned(cache)))
                .endMetadata()
                .editSpec()
                .editOrNewResources()
                .addToRequests(STORAGE, requested(desired))
                .endResources()
                .endSpec()
                .build();
        return context.getClient().resource(updated).update();
    }

    /**
     * Object storage holds the modules itself, so the claim goes (unless retained, or while the rollout is held: the
     * held pod template still mounts it, and a pod restarting meanwhile could not start). Done here rather than by a
     * workflow precondition, which would also remove the Deployment that waits for this claim.
     */
    @Override
    public ReconcileResult<PersistentVolumeClaim> reconcile(GoProxyCache cache, Context<GoProxyCache> context) {
        if (cache.getSpec().getObjectStorage() == null) {
            return super.reconcile(cache, context);
        }
        if (!retained(cache)
                && !CacheNames.rolloutHeld(cache)
                && getSecondaryResource(cache, context).isPresent()) {
            delete(cache, context);
        }
        return ReconcileResult.noOperation(null);
    }

    @Override
    protected ResourceID targetSecondaryResourceID(GoProxyCache cache, Context<GoProxyCache> context) {
        return new ResourceID(CacheNames.volumeClaim(cache), cache.getMetadata().getNamespace());
    }

    /** Found by label, since a retained claim has no owner reference to follow. */
    @Override
    public Set<ResourceID> toPrimaryResourceIDs(PersistentVolumeClaim claim) {
        String instance = claim.getMetadata().getLabels() == null
                ? null
                : claim.getMetadata().getLabels().get(CacheNames.INSTANCE_LABEL);
        return instance == null
                ? Set.of()
                : Set.of(new ResourceID(instance, claim.getMetadata().getNamespace()));
    }
}
