package dev.modproxy.proxy.testing;

import dev.modproxy.proxy.upstream.EgressProxy;
import java.util.Map;
import org.junit.jupiter.api.extension.Extension;

/**
 * Does in the test JVM what ProxyMain does first in the proxy's: lets the JDK's HTTP client send a Basic login to an
 * egress proxy on CONNECT. The JDK reads that once, when the first HttpClient or HttpRequest of the JVM is built, which
 * an earlier test class does long before a test of egress proxy logins runs; registered by extension autodetection
 * (META-INF/services), it is loaded when the JUnit engine starts, before any test. The packaged proxy's own timing is
 * what PrivateCaTunnelIT runs.
 */
public final class BasicLoginOnTunnels implements Extension {

    static {
        EgressProxy.allowBasicLoginOnTunnels(Map.of("HTTPS_PROXY", "http://login@egress.test:3128"));
    }
}
