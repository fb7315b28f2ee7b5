package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Service build pods reach the cache through (status.url); the management Service is not affected. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ServiceSettings {

    public static final String DEFAULT_TYPE = "ClusterIP";

    /** The Service types a cache takes; the CRD lists them as an enum. */
    public static final List<String> TYPES = List.of("ClusterIP", "NodePort", "LoadBalancer");

    @JsonPropertyDescription("Type of the Service build pods use: ClusterIP (default; reachable inside the cluster "
            + "only), NodePort or LoadBalancer (also reachable from outside the cluster, e.g. for builds on VMs). "
            + "status.url stays the in-cluster address; the management port is never exposed this way.")
    @Default(DEFAULT_TYPE)
    // an enum (CrdConventions), which the API server refuses naming the values it takes
    private String type = DEFAULT_TYPE;

    @JsonPropertyDescription("Annotations on that Service, e.g. for a cloud's internal load balancer "
            + "(service.beta.kubernetes.io/aws-load-balancer-internal: \"true\") or external-dns.")
    private Map<String, String> annotations = new LinkedHashMap<>();

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public Map<String, String> getAnnotations() {
        return annotations;
    }

    public void setAnnotations(Map<String, String> annotations) {
        this.annotations = annotations;
    }
}
