package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** The corporate HTTP(S) proxy the cache reaches its upstreams through, read as the go command reads it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = EgressProxy.LOGIN_NEEDS_A_PROXY_RULE,
        message = EgressProxy.LOGIN_NEEDS_A_PROXY_MESSAGE,
        reason = "FieldValueRequired")
public class EgressProxy {

    /** A login is for a proxy: one without httpsProxy or httpProxy would go nowhere. */
    public static final String LOGIN_NEEDS_A_PROXY_RULE =
            "!has(self.loginSecretRef) || has(self.httpsProxy) || has(self.httpProxy)";

    public static final String LOGIN_NEEDS_A_PROXY_MESSAGE = "spec.egressProxy.loginSecretRef needs httpsProxy or "
            + "httpProxy: the login is sent to that proxy, e.g. {httpsProxy: 'http://proxy.corp.example.com:3128', "
            + "loginSecretRef: {name: egress-proxy-login}}";

    /**
     * A proxy URL without credentials: they would be readable in this resource and in the proxy's ConfigMap; a login
     * comes from the Secret {@link #loginSecretRef} names.
     */
    static final String PROXY_URL = "^(https?://)?[^\\s@/]+(:[0-9]+)?/?$";

    /** What {@link #PROXY_URL} takes, in words, after the field's name (its refusal printed the regex). */
    static final String PROXY_URL_WORDS = " must be a proxy address: a host and an optional port, optionally after "
            + "http://, without a path or user:password@ (a login goes in a Secret named by "
            + "spec.egressProxy.loginSecretRef); "
            + "e.g. http://proxy.corp.example.com:3128";

    /**
     * An https:// proxy URL asks for TLS to the egress proxy itself, which the go command speaks but the JDK's HTTP
     * client the proxy uses cannot: the proxy stops at start with it, so its pods would only crash-loop. Its own rule,
     * after {@link #PROXY_URL} (which takes the scheme), so that the refusal says this and only this.
     */
    static final String NOT_HTTPS_RULE = "!self.startsWith('https://')";

    /** Why an https:// proxy URL is refused and what to give instead, after the field's name. */
    public static final String NOT_HTTPS_WORDS = " must not be an https:// URL: that asks for TLS to the egress proxy "
            + "itself, which the cache's proxy cannot speak (the go command can). Give the egress proxy's plain-HTTP "
            + "port as http://host:port (often 3128), e.g. http://proxy.corp.example.com:3128: https upstreams still go "
            + "through it in a CONNECT tunnel, TLS end to end";

    /** Whether a proxy URL is https:// (refused by {@link #NOT_HTTPS_RULE}), for a cache stored before that rule. */
    public static boolean isHttps(String url) {
        return url != null && url.startsWith("https://");
    }

    /** The longest proxy address taken, for the rule's cost. */
    static final long PROXY_URL_MAX_LENGTH = 512;

    @JsonPropertyDescription("Proxy for https upstreams, e.g. http://proxy.corp.example.com:3128 (the proxy pods get "
            + "it as HTTPS_PROXY and tunnel with CONNECT): the proxy's plain-HTTP port, never https:// (TLS to the "
            + "proxy itself, which the cache cannot speak). No user:password@: a login goes in a Secret named by "
            + "loginSecretRef.")
    @Size(max = PROXY_URL_MAX_LENGTH)
    @ValidationRule(
            value = "self.matches(r'" + PROXY_URL + "')",
            message = "spec.egressProxy.httpsProxy" + PROXY_URL_WORDS,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = NOT_HTTPS_RULE,
            message = "spec.egressProxy.httpsProxy" + NOT_HTTPS_WORDS,
            reason = "FieldValueInvalid")
    private String httpsProxy;

    @JsonPropertyDescription("Proxy for plain-http upstreams (HTTP_PROXY of the proxy pods), http:// as httpsProxy.")
    @Size(max = PROXY_URL_MAX_LENGTH)
    @ValidationRule(
            value = "self.matches(r'" + PROXY_URL + "')",
            message = "spec.egressProxy.httpProxy" + PROXY_URL_WORDS,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = NOT_HTTPS_RULE,
            message = "spec.egressProxy.httpProxy" + NOT_HTTPS_WORDS,
            reason = "FieldValueInvalid")
    private String httpProxy;

    @JsonPropertyDescription("Hosts reached without the proxy (NO_PROXY of the proxy pods): '*', IPs, CIDRs such as "
            + "10.0.0.0/8, 'example.com' (with its subdomains) or '.example.com' (subdomains only), each optionally "
            + "with :port. localhost and loopback addresses never go through the proxy.")
    @Size(max = 64)
    private List<String> noProxy = new ArrayList<>();

    @JsonPropertyDescription("Login for the egress proxy, from a Secret: the proxy pods get httpsProxy and httpProxy "
            + "as http://user:password@host:port, the login composed in by the kubelet from the Secret, and send it "
            + "to that proxy only (Basic Proxy-Authorization), as the go command does. Needs httpsProxy or "
            + "httpProxy. A missing Secret or key leaves the pods unstarted (CreateContainerConfigError).")
    private EgressProxyLogin loginSecretRef;

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

    public EgressProxyLogin getLoginSecretRef() {
        return loginSecretRef;
    }

    public void setLoginSecretRef(EgressProxyLogin loginSecretRef) {
        this.loginSecretRef = loginSecretRef;
    }

    public List<String> getNoProxy() {
        return noProxy;
    }

    public void setNoProxy(List<String> noProxy) {
        this.noProxy = noProxy;
    }
}
