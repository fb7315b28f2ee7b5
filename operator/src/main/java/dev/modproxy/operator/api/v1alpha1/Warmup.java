package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.operator.api.KubernetesSyntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Modules the cache fetches ahead of the first build, once per change of the spec. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Warmup {

    public static final String DEFAULT_GO_SUM_KEY = "go.sum";

    @JsonPropertyDescription("Module versions to fetch, each as module@version, e.g. golang.org/x/text@v0.14.0.")
    @Size(max = 10000)
    private List<String> modules = new ArrayList<>();

    @JsonPropertyDescription("Name of a ConfigMap in the cache's namespace holding a go.sum or a go.mod; every module "
            + "version in it is fetched (go.sum lines ending in /go.mod fetch only .info and .mod; a go.mod gives its "
            + "require directives).")
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.warmup.goSumConfigMap must be the name of a ConfigMap in the cache's namespace: "
                    + KubernetesSyntax.NAME_WORDS + ", e.g. builds-go-sum",
            reason = "FieldValueInvalid")
    private String goSumConfigMap;

    @JsonPropertyDescription("Key of goSumConfigMap that holds the go.sum or go.mod text.")
    @Default(DEFAULT_GO_SUM_KEY)
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DATA_KEY_RULE,
            message = "spec.warmup.goSumKey must be a key of the ConfigMap: " + KubernetesSyntax.DATA_KEY_WORDS
                    + ", e.g. " + DEFAULT_GO_SUM_KEY,
            reason = "FieldValueInvalid")
    private String goSumKey;

    public List<String> getModules() {
        return modules;
    }

    public void setModules(List<String> modules) {
        this.modules = modules;
    }

    public String getGoSumConfigMap() {
        return goSumConfigMap;
    }

    public void setGoSumConfigMap(String goSumConfigMap) {
        this.goSumConfigMap = goSumConfigMap;
    }

    public String getGoSumKey() {
        return goSumKey;
    }

    public void setGoSumKey(String goSumKey) {
        this.goSumKey = goSumKey;
    }
}
