package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.Storage;
import dev.modproxy.operator.settings.StorageSize;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.ReconcileResult;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;
import java.util.Optional;

/**
 * The volume holding cached modules. It only grows, and when the cache asks to retain it, it carries no
 * owner reference, so deleting the GoProxyCache leaves it (and the cached modules) in place.
 */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class CacheVolumeClaimDependent extends CacheOwnedDependent<PersistentVolumeClaim> {

    static final String STORAGE = "storage";

    /** Where {@link #reconcile} keeps a refused update of the claim in the workflow's context. */
    private static final String REFUSED_UPDATE = CacheVolumeClaimDependent.class.getName() + ".refusedUpdate";

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

    /**
     * A bound claim's spec is immutable except its size, so only size, labels and ownership are written. A refusal
     * is a {@link VolumeClaimRefusedException}: the claim exists, and the pods can mount it as it is. A claim whose
     * access modes or class differ from the spec's (a retained one, adopted by a cache of other settings) is not
     * written at all: a {@link VolumeClaimMismatchException}.
     */
    @Override
    public PersistentVolumeClaim update(
            PersistentVolumeClaim actual,
            PersistentVolumeClaim desired,
            GoProxyCache cache,
            Context<GoProxyCache> context) {
        Optional<VolumeClaimMismatchException> mismatch = VolumeClaimMismatchException.of(actual, desired, cache);
        if (mismatch.isPresent()) {
            // not a refusal to absorb: the pods could not mount this claim as the spec lays them out
            throw mismatch.get();
        }
        try {
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
        } catch (KubernetesClientException e) {
            throw new VolumeClaimRefusedException(actual, desired, cache, e);
        }
    }

    /**
     * The refused update of an existing claim, kept by {@link #reconcile} for the reconciler to report once the
     * workflow has run.
     */
    public static Optional<VolumeClaimRefusedException> refusedUpdate(Context<GoProxyCache> context) {
        return context.managedWorkflowAndDependentResourceContext()
                .get(REFUSED_UPDATE, VolumeClaimRefusedException.class);
    }

    /**
     * Object storage holds the modules itself, so the claim goes (unless retained, or while the rollout is held: the
     * held pod template still mounts it, and a pod restarting meanwhile could not start). Done here rather than by a
     * workflow precondition, which would also remove the Deployment that waits for this claim.
     */
    @Override
    public ReconcileResult<PersistentVolumeClaim> reconcile(GoProxyCache cache, Context<GoProxyCache> context) {
        if (cache.getSpec().getObjectStorage() == null) {
            try {
                return super.reconcile(cache, context);
            } catch (VolumeClaimRefusedException refused) {
                // The Deployment waits for this dependent only so that it is not made before its claim exists. A
                // claim that exists but cannot grow (or be relabelled) still mounts as it is: failing here would
                // leave the Deployment, and with it every other setting, as it was, with nothing rolled out.
                context.managedWorkflowAndDependentResourceContext().put(REFUSED_UPDATE, refused);
                return ReconcileResult.noOperation(
                        getSecondaryResource(cache, context).orElse(null));
            }
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
}
