package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** What the admission webhook writes into build pods that use this cache. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Injection {

    @JsonPropertyDescription("GOPROXY chain build pods fall back to after the cache (joined with '|', so a dead "
            + "cache costs one fast error). When empty, the cache's own upstream chain is used, without the "
            + "logins (user:password@) written into it. "
            + "Example: https://goproxy.cn,direct")
    @Pattern(GoProxyCacheSpec.GOPROXY_LIST)
    private String fallback;

    public String getFallback() {
        return fallback;
    }

    public void setFallback(String fallback) {
        this.fallback = fallback;
    }
}
