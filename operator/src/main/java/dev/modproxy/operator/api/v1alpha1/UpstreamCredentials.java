package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Logins for private upstreams, kept in a Secret: the operator only names it, the kubelet mounts it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UpstreamCredentials {

    public static final String DEFAULT_NETRC_KEY = "netrc";

    @JsonPropertyDescription("Secret in the cache's namespace holding a netrc file (machine HOST login USER password "
            + "SECRET, one machine per private upstream). Mounted read-only into the proxy pods; the operator never "
            + "reads it and it never appears in the proxy's ConfigMap, this resource or a log. The proxy reads it at "
            + "start: restart the pods (kubectl rollout restart) after changing it.")
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    private String secretName;

    @JsonPropertyDescription("Key of the Secret that holds the netrc text.")
    @Default(DEFAULT_NETRC_KEY)
    @Pattern(ObjectStorage.SECRET_KEY)
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
