package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** What the admission webhook writes into build pods that use this cache. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Injection {

    public static final String FALLBACK_LIST_MESSAGE = "spec.injection.fallback" + GoProxyCacheSpec.GOPROXY_LIST_WORDS;

    @JsonPropertyDescription("GOPROXY chain build pods fall back to after the cache (joined with '|', so a dead "
            + "cache costs one fast error). When empty, the cache's own upstream chain is used, without the "
            + "logins (user:password@) written into it. "
            + "Example: https://goproxy.cn,direct")
    @Size(max = GoProxyCacheSpec.GOPROXY_LIST_MAX_LENGTH)
    @ValidationRule(
            value = GoProxyCacheSpec.GOPROXY_LIST_RULE,
            message = FALLBACK_LIST_MESSAGE,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = GoProxyCacheSpec.GOPROXY_PORT_RULE,
            message = "spec.injection.fallback" + GoProxyCacheSpec.GOPROXY_PORT_WORDS,
            reason = "FieldValueInvalid")
    private String fallback;

    public String getFallback() {
        return fallback;
    }

    public void setFallback(String fallback) {
        this.fallback = fallback;
    }
}
