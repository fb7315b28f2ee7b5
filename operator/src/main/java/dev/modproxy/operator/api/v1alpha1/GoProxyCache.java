package dev.modproxy.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One in-cluster Go module proxy cache: its settings (spec) and what the operator observed (status). */
@Group(GoProxyCache.GROUP)
@Version(GoProxyCache.VERSION)
@Plural("goproxycaches")
@ShortNames("gpc")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "URL", jsonPath = ".status.url", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Size", jsonPath = ".status.storageCapacity", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Size used", jsonPath = ".status.cache.sizeUsed", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Hit ratio", jsonPath = ".status.cache.hitRatio", type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class GoProxyCache extends CustomResource<GoProxyCacheSpec, GoProxyCacheStatus> implements Namespaced {

    public static final String GROUP = "modproxy.dev";
    public static final String VERSION = "v1alpha1";

    @Override
    protected GoProxyCacheSpec initSpec() {
        return new GoProxyCacheSpec();
    }
}
