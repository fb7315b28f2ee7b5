package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;

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
     * it is, keeping its owner references; so the wanted ones go onto a copy of it first.
     */
    @Override
    public R update(R actual, R desired, GoProxyCache cache, Context<GoProxyCache> context) {
        if (useSSA(context)) {
            return super.update(actual, desired, cache, context);
        }
        R referenced = context.getClient().getKubernetesSerialization().clone(actual);
        referenced.getMetadata().setOwnerReferences(ControllerReference.wanted(cache, actual, owned(cache)));
        return super.update(referenced, desired, cache, context);
    }
}
