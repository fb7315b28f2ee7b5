package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.operator.api.KubernetesSyntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Logins for private upstreams, kept in a Secret: the operator only names it, the kubelet mounts it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UpstreamCredentials {

    public static final String DEFAULT_NETRC_KEY = "netrc";

    @JsonPropertyDescription("Secret in the cache's namespace holding a netrc file (machine HOST login USER password "
            + "SECRET, one machine per private upstream). Mounted read-only into the proxy pods; the operator never "
            + "reads it and it never appears in the proxy's ConfigMap, this resource or a log. The proxy reads it at "
            + "start: restart the pods (kubectl rollout restart) after changing it.")
    @Required
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.upstreamCredentials.secretName must be " + KubernetesSyntax.SECRET_NAME_WORDS
                    + ", e.g. upstream-netrc",
            reason = "FieldValueInvalid")
    private String secretName;

    @JsonPropertyDescription("Key of the Secret that holds the netrc text.")
    @Default(DEFAULT_NETRC_KEY)
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DATA_KEY_RULE,
            message = "spec.upstreamCredentials.netrcKey must be a key of the Secret: "
                    + KubernetesSyntax.DATA_KEY_WORDS + ", e.g. " + DEFAULT_NETRC_KEY,
            reason = "FieldValueInvalid")
    private String netrcKey;

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    public String getNetrcKey() {
        return netrcKey;
    }

    public void setNetrcKey(String netrcKey) {
        this.netrcKey = netrcKey;
    }
}
