package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.operator.api.KubernetesSyntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The key of a Secret that holds the egress proxy's login, {@code user:password}: the operator only names it, the
 * kubelet puts it into the proxy container's environment (a {@code secretKeyRef}), as the netrc of
 * {@link UpstreamCredentials} is mounted. Shaped as Kubernetes' own reference to a Secret's key (name, key).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EgressProxyLogin {

    public static final String DEFAULT_KEY = "login";

    @JsonPropertyDescription("Secret in the cache's namespace holding the egress proxy's login under key, as "
            + "user:password with any reserved character percent-encoded as in a URL (@ as %40, : in the user as "
            + "%3A, % as %25). The kubelet passes it to the proxy pods (a secretKeyRef); the operator never reads it "
            + "and it never appears in the proxy's ConfigMap or this resource. Until the Secret and its key exist the "
            + "pods do not start (CreateContainerConfigError). The proxy reads it at start: restart the pods (kubectl "
            + "rollout restart) after changing it.")
    @Required
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.egressProxy.loginSecretRef.name must be " + KubernetesSyntax.SECRET_NAME_WORDS
                    + ", e.g. egress-proxy-login",
            reason = "FieldValueInvalid")
    private String name;

    @JsonPropertyDescription("Key of the Secret that holds user:password.")
    @Default(DEFAULT_KEY)
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DATA_KEY_RULE,
            message = "spec.egressProxy.loginSecretRef.key must be a key of the Secret: "
                    + KubernetesSyntax.DATA_KEY_WORDS + ", e.g. " + DEFAULT_KEY,
            reason = "FieldValueInvalid")
    private String key;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }
}
