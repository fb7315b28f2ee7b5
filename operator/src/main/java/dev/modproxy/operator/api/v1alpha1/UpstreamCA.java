package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.operator.api.KubernetesSyntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Certificate authorities the proxy trusts besides the JVM's for its upstreams and the checksum database (a private
 * CA, a TLS-inspecting egress proxy's), kept in a Secret or a ConfigMap: the operator only names it, the kubelet
 * mounts it, as the netrc of {@link UpstreamCredentials}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = UpstreamCA.ONE_SOURCE_RULE,
        message = UpstreamCA.ONE_SOURCE_MESSAGE,
        reason = "FieldValueInvalid")
public class UpstreamCA {

    public static final String DEFAULT_KEY = "ca.crt";

    /** Exactly one of secretName and configMapName. */
    public static final String ONE_SOURCE_RULE = "has(self.secretName) != has(self.configMapName)";

    public static final String ONE_SOURCE_MESSAGE = "spec.upstreamCA needs exactly one of secretName (a Secret) or"
            + " configMapName (a ConfigMap) holding the CA certificates, not both and not neither, e.g."
            + " {secretName: corp-ca}";

    @JsonPropertyDescription("Secret in the cache's namespace holding the CA certificates (PEM) under key, e.g. one "
            + "cert-manager or trust-manager writes. Mounted read-only into the proxy pods; the operator never reads "
            + "it. The proxy reads it at start: restart the pods (kubectl rollout restart) after changing it. Set "
            + "this or configMapName.")
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.upstreamCA.secretName must be " + KubernetesSyntax.SECRET_NAME_WORDS + ", e.g. corp-ca",
            reason = "FieldValueInvalid")
    private String secretName;

    @JsonPropertyDescription("ConfigMap in the cache's namespace holding the CA certificates (PEM) under key, e.g. a "
            + "trust-manager Bundle's. Mounted read-only into the proxy pods; the operator never reads it. The proxy "
            + "reads it at start: restart the pods (kubectl rollout restart) after changing it. Set this or "
            + "secretName.")
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.upstreamCA.configMapName must be the name of a ConfigMap in the cache's namespace: "
                    + KubernetesSyntax.NAME_WORDS + ", e.g. corp-ca",
            reason = "FieldValueInvalid")
    private String configMapName;

    @JsonPropertyDescription("Key of the Secret or ConfigMap that holds the PEM certificates (one or more).")
    @Default(DEFAULT_KEY)
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DATA_KEY_RULE,
            message = "spec.upstreamCA.key must be a key of the Secret or ConfigMap: " + KubernetesSyntax.DATA_KEY_WORDS
                    + ", e.g. " + DEFAULT_KEY,
            reason = "FieldValueInvalid")
    private String key;

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    public String getConfigMapName() {
        return configMapName;
    }

    public void setConfigMapName(String configMapName) {
        this.configMapName = configMapName;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }
}
