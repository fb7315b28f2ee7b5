package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
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
@JsonClassDescription("A Go module proxy cache for the build pods of a cluster: the operator runs a caching GOPROXY "
        + "server for it, and the admission webhook points opted-in build pods at it (pod label modproxy.dev/inject).")
@AdditionalPrinterColumn(
        name = "Ready",
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Whether the cache serves (the Ready condition).")
@AdditionalPrinterColumn(
        name = "Degraded",
        jsonPath = ".status.conditions[?(@.type==\"Degraded\")].status",
        type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Whether something needs attention though the cache may still serve (the Degraded "
                + "condition: its reason and message say what and how to fix it).")
@AdditionalPrinterColumn(
        name = "Replicas",
        jsonPath = ".status.replicas",
        type = AdditionalPrinterColumn.Type.INTEGER,
        getDescription = "Proxy pods the cache has (kubectl scale gpc/NAME --replicas=N sets how many it wants).")
@AdditionalPrinterColumn(
        name = "URL",
        jsonPath = ".status.url",
        type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "In-cluster URL build pods get as their first GOPROXY entry.")
@AdditionalPrinterColumn(
        name = "Size",
        jsonPath = ".status.storageCapacity",
        type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Capacity of the cache volume.")
@AdditionalPrinterColumn(
        name = "Used",
        jsonPath = ".status.cache.sizeUsed",
        type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Bytes the cached modules take, as the proxy reports them.")
@AdditionalPrinterColumn(
        name = "HitRatio",
        jsonPath = ".status.cache.hitRatio",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1,
        getDescription = "Share of requests answered from the cache since the proxy started.")
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class GoProxyCache extends CustomResource<GoProxyCacheSpec, GoProxyCacheStatus> implements Namespaced {

    public static final String GROUP = "modproxy.dev";
    public static final String VERSION = "v1alpha1";

    @Override
    protected GoProxyCacheSpec initSpec() {
        return new GoProxyCacheSpec();
    }
}
