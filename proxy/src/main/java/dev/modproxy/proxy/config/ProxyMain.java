package dev.modproxy.proxy.config;

import dev.modproxy.proxy.upstream.EgressProxy;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Starts the proxy with Quarkus's check of request targets off: it answers a target that is no URI (a backslash, a
 * NUL, a bad percent escape) with a bare 400 before any route runs, where {@code http.RequestFraming} refuses the
 * same targets with a 400 that says why. Set here because Quarkus reads the property once, when its HTTP recorder
 * is loaded, and no configuration key reaches it. Likewise the JDK's HTTP client reads once which login schemes it
 * never sends to a proxy on CONNECT (Basic, by default): cleared here, first, when HTTPS_PROXY or HTTP_PROXY carries a
 * login ({@link EgressProxy#allowBasicLoginOnTunnels}).
 */
@QuarkusMain
public final class ProxyMain {

    private ProxyMain() {}

    public static void main(String... args) {
        EgressProxy.allowBasicLoginOnTunnels(System.getenv());
        System.setProperty("vertx.disableURIValidation", "true");
        Quarkus.run(args);
    }
}
