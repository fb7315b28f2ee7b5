package dev.modproxy.proxy.config;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Starts the proxy with Quarkus's check of request targets off: it answers a target that is no URI (a backslash, a
 * NUL, a bad percent escape) with a bare 400 before any route runs, where {@code http.RequestFraming} refuses the
 * same targets with a 400 that says why. Set here because Quarkus reads the property once, when its HTTP recorder
 * is loaded, and no configuration key reaches it.
 */
@QuarkusMain
public final class ProxyMain {

    private ProxyMain() {}

    public static void main(String... args) {
        System.setProperty("vertx.disableURIValidation", "true");
        Quarkus.run(args);
    }
}
