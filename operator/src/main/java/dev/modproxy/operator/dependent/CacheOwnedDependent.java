package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An object a GoProxyCache controls: it carries the cache's {@link ControllerReference}, so garbage collection
 * deletes it with the cache. An object an earlier operator version made with a plain owner reference gets the
 * controller reference on its next reconciliation, with server-side apply or without it.
 */
public abstract class CacheOwnedDependent<R extends HasMetadata>
        extends CRUDKubernetesDependentResource<R, GoProxyCache> {

    protected CacheOwnedDependent(Class<R> type) {
        super(type);
    }

    /** Whether the object is the cache's to delete; a retained volume is not. */
    protected boolean owned(GoProxyCache cache) {
        return true;
    }

    @Override
    protected void addReferenceHandlingMetadata(R desired, GoProxyCache cache) {
        if (owned(cache)) {
            desired.getMetadata().setOwnerReferences(ControllerReference.wanted(cache, desired, true));
        }
    }

    /**
     * The informers see only objects labelled {@code managed-by: modproxy-operator}, so a name taken by an object
     * they miss is found only here, when creating it fails (409). The cache's own object whose label was removed by
     * hand is applied again, which puts the label back; anyone else's is left alone and reported.
     */
    @Override
    public R create(R desired, GoProxyCache cache, Context<GoProxyCache> context) {
        try {
            return super.create(desired, cache, context);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            R existing = context.getClient().resource(desired).get();
            if (existing == null) {
                throw e; // deleted in between: the next attempt creates it
            }
            if (ControllerReference.controlledByEarlier(cache, existing)) {
                throw e; // a deleted cache of this name still has it: the garbage collector removes it in a moment
            }
            if (!madeFor(cache, existing)) {
                throw new NameTakenException(existing, cache);
            }
            // the operator SDK's create marks the object as new (resourceVersion "1"): the update must not
            desired.getMetadata().setResourceVersion(null);
            return update(existing, desired, cache, context);
        }
    }

    /**
     * Whether {@code existing} is this cache's: it names the cache as its controller, or, controlled by nothing
     * (a retained volume claim), it carries the labels that select the cache's objects.
     */
    boolean madeFor(GoProxyCache cache, R existing) {
        if (ControllerReference.controls(cache, existing)) {
            return true;
        }
        Map<String, String> labels = existing.getMetadata().getLabels();
        return ControllerReference.controller(existing).isEmpty()
                && labels != null
                && CacheNames.APP.equals(labels.get(CacheNames.NAME_LABEL))
                && cache.getMetadata().getName().equals(labels.get(CacheNames.INSTANCE_LABEL));
    }

    /**
     * The informers find a cache's objects, and send their events to it, by {@link #cachesOf}: by owner reference
     * alone, an object without one (left by {@code kubectl delete --cascade=orphan}, its reference removed by hand,
     * a retained volume claim) was the cache's only while the informer's index still held the reference it once had,
     * so the status said "does not exist" about a serving Deployment once the operator restarted.
     */
    @Override
    protected Optional<SecondaryToPrimaryMapper<R>> getSecondaryToPrimaryMapper(
            EventSourceContext<GoProxyCache> context) {
        return Optional.of(CacheOwnedDependent::cachesOf);
    }

    /**
     * The caches an object is of: those its owner references name, or, when nothing controls it, the cache its
     * labels name, as {@link #madeFor} takes it: labels never give a cache an object someone else controls.
     */
    static Set<ResourceID> cachesOf(HasMetadata object) {
        Set<ResourceID> caches = new HashSet<>(Mappers.<HasMetadata>fromOwnerReferences(GoProxyCache.class, false)
                .toPrimaryResourceIDs(object));
        Map<String, String> labels = object.getMetadata().getLabels();
        if (ControllerReference.controller(object).isEmpty()
                && labels != null
                && CacheNames.APP.equals(labels.get(CacheNames.NAME_LABEL))
                && labels.get(CacheNames.INSTANCE_LABEL) != null) {
            caches.add(new ResourceID(
                    labels.get(CacheNames.INSTANCE_LABEL), object.getMetadata().getNamespace()));
        }
        return caches;
    }

    /** The operator SDK's matcher without server-side apply looks at no metadata but labels and annotations. */
    @Override
    public Result<R> match(R actual, R desired, GoProxyCache cache, Context<GoProxyCache> context) {
        Result<R> result = super.match(actual, desired, cache, context);
        return result.matched() && hasWantedReference(cache, actual) ? result : Result.computed(false, desired);
    }

    boolean hasWantedReference(GoProxyCache cache, R actual) {
        return owned(cache)
                ? ControllerReference.controls(cache, actual)
                : !ControllerReference.referenced(cache, actual);
    }

    /**
     * Without server-side apply the operator SDK writes the desired spec, labels and annotations onto the object as
     * it is, keeping its owner references; so the wanted ones go onto a copy of it first. A cluster that lets only
     * those who may delete an object change its owner references refuses this for an object without the cache's
     * reference: an {@link OwnerReferenceRefusedException}, which says to delete it.
     */
    @Override
    public R update(R actual, R desired, GoProxyCache cache, Context<GoProxyCache> context) {
        try {
            if (useSSA(context)) {
                return super.update(actual, desired, cache, context);
            }
            R referenced = context.getClient().getKubernetesSerialization().clone(actual);
            referenced.getMetadata().setOwnerReferences(ControllerReference.wanted(cache, actual, owned(cache)));
            return super.update(referenced, desired, cache, context);
        } catch (KubernetesClientException e) {
            if (OwnerReferenceRefusedException.isRefusal(e)) {
                throw new OwnerReferenceRefusedException(actual, cache, e);
            }
            throw e;
        }
    }
}
