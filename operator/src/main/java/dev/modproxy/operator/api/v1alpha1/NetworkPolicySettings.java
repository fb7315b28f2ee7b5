package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Who may reach the proxy pods, when the operator writes a NetworkPolicy for them. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkPolicySettings {

    @JsonPropertyDescription("Write a NetworkPolicy for the proxy pods: any pod may reach the GOPROXY port; only "
            + "the operator and Prometheus reach the management port (admin API, health, metrics). "
            + "When unset, the operator's default (chart value proxy.networkPolicy.enabled, off unless set).")
    private Boolean enabled;

    @JsonPropertyDescription("Namespace whose pods may scrape the management port. When empty, the operator's "
            + "default (chart value proxy.networkPolicy.prometheusNamespace, 'monitoring').")
    private String prometheusNamespace;

    public Boolean getEnabled() {
        return enabled;
    }

    public void setEnabled(Boolean enabled) {
        this.enabled = enabled;
    }

    public String getPrometheusNamespace() {
        return prometheusNamespace;
    }

    public void setPrometheusNamespace(String prometheusNamespace) {
        this.prometheusNamespace = prometheusNamespace;
    }
}
