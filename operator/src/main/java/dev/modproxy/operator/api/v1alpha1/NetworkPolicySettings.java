package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.operator.api.KubernetesSyntax;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Who may reach the proxy pods, when the operator writes a NetworkPolicy for them. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkPolicySettings {

    @JsonPropertyDescription("Write a NetworkPolicy for the proxy pods: any pod may reach the GOPROXY port; only "
            + "the operator and Prometheus reach the management port (admin API, health, metrics). "
            + "When unset, the operator's default (chart value proxy.networkPolicy.enabled, off unless set).")
    private Boolean enabled;

    @JsonPropertyDescription("Namespace whose pods may scrape the management port. When empty, the operator's "
            + "default (chart value proxy.networkPolicy.prometheusNamespace, 'monitoring').")
    @Size(max = KubernetesSyntax.DNS_LABEL_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_LABEL_RULE,
            message = "spec.networkPolicy.prometheusNamespace must be the name of a namespace: "
                    + KubernetesSyntax.DNS_LABEL_WORDS + ", e.g. monitoring",
            reason = "FieldValueInvalid")
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
