package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** The corporate HTTP(S) proxy the cache reaches its upstreams through, read as the go command reads it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EgressProxy {

    /** A proxy URL without credentials: they would be readable in this resource and in the proxy's ConfigMap. */
    static final String PROXY_URL = "^(https?://)?[^\\s@/]+(:[0-9]+)?/?$";

    /** What {@link #PROXY_URL} takes, in words, after the field's name (its refusal printed the regex). */
    static final String PROXY_URL_WORDS = " must be a proxy address: a host and an optional port, optionally after "
            + "http:// or https://, without a path or user:password@ (credentials do not belong in this resource); "
            + "e.g. http://proxy.corp.example.com:3128";

    /** The longest proxy address taken, for the rule's cost. */
    static final long PROXY_URL_MAX_LENGTH = 512;

    @JsonPropertyDescription(
            "Proxy for https upstreams, e.g. http://proxy.corp.example.com:3128 (the proxy pods get "
                    + "it as HTTPS_PROXY and tunnel with CONNECT). No user:password@: credentials do not belong in this resource.")
    @Size(max = PROXY_URL_MAX_LENGTH)
    @ValidationRule(
            value = "self.matches(r'" + PROXY_URL + "')",
            message = "spec.egressProxy.httpsProxy" + PROXY_URL_WORDS,
            reason = "FieldValueInvalid")
    private String httpsProxy;

    @JsonPropertyDescription("Proxy for plain-http upstreams (HTTP_PROXY of the proxy pods).")
    @Size(max = PROXY_URL_MAX_LENGTH)
    @ValidationRule(
            value = "self.matches(r'" + PROXY_URL + "')",
            message = "spec.egressProxy.httpProxy" + PROXY_URL_WORDS,
            reason = "FieldValueInvalid")
    private String httpProxy;

    @JsonPropertyDescription("Hosts reached without the proxy (NO_PROXY of the proxy pods): '*', IPs, CIDRs such as "
            + "10.0.0.0/8, 'example.com' (with its subdomains) or '.example.com' (subdomains only), each optionally "
            + "with :port. localhost and loopback addresses never go through the proxy.")
    @Size(max = 64)
    private List<String> noProxy = new ArrayList<>();

    public String getHttpsProxy() {
        return httpsProxy;
    }

    public void setHttpsProxy(String httpsProxy) {
        this.httpsProxy = httpsProxy;
    }

    public String getHttpProxy() {
        return httpProxy;
    }

    public void setHttpProxy(String httpProxy) {
        this.httpProxy = httpProxy;
    }

    public List<String> getNoProxy() {
        return noProxy;
    }

    public void setNoProxy(List<String> noProxy) {
        this.noProxy = noProxy;
    }
}
