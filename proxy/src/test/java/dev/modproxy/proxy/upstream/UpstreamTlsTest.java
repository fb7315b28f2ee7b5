package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An https upstream whose certificate the JVM does not trust: a private CA, as internal Artifactories have. */
class UpstreamTlsTest {

    private static final UpstreamChain.Settings SETTINGS =
            new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(5), 5, Duration.ofSeconds(30));
    private static final String MOD = "corp.example.com/lib/@v/v1.0.0.mod";

    @TempDir
    Path dir;

    private HttpsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void anUntrustedCertificateIsNamedAsSuchWithWhereToGiveTheProxyItsCertificateAuthority() throws Exception {
        int port = upstreamWithCertificate("ip:127.0.0.1");

        UpstreamResult<String> result =
                chain("https://127.0.0.1:" + port).fetch(MOD, response -> "unexpected", () -> true);

        // it was 'failed: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException:
        // unable to find valid certification path to requested target'
        assertEquals(502, result.status(), result.reason());
        assertEquals(
                "127.0.0.1:" + port + " failed: 127.0.0.1:" + port + " sent a TLS certificate that no certificate"
                        + " authority this proxy trusts has signed (a private CA, or a TLS-inspecting egress proxy:"
                        + " give the proxy that CA's certificate, MODPROXY_UPSTREAM_CA_FILE or the GoProxyCache's"
                        + " spec.upstreamCA; see docs/troubleshooting.md)",
                result.reason());
    }

    @Test
    void aPipeFallsThroughPastAnUntrustedCertificateAndACommaStopsThere() throws Exception {
        int port = upstreamWithCertificate("ip:127.0.0.1");
        String untrusted = "https://127.0.0.1:" + port;

        // the second entry is never reached after ',': the TLS failure is the chain's answer, not a 404
        UpstreamResult<String> stopped =
                chain(untrusted + ",http://127.0.0.1:1").fetch(MOD, response -> "unexpected", () -> true);
        assertEquals(502, stopped.status(), stopped.reason());
        assertTrue(stopped.reason().startsWith("127.0.0.1:" + port + " failed: "), stopped.reason());
        UpstreamResult<String> piped =
                chain(untrusted + "|http://127.0.0.1:1").fetch(MOD, response -> "unexpected", () -> true);
        assertEquals(502, piped.status(), piped.reason());
        assertEquals("127.0.0.1:1 failed: 127.0.0.1:1 refused the connection", piped.reason());
    }

    private static UpstreamChain chain(String goproxy) {
        return UpstreamChain.parse(
                goproxy, SETTINGS, UpstreamListener.NONE, EgressProxy.of(Map.of()), UpstreamCredentials.none());
    }

    /** An https server on loopback with a self-signed certificate for san (keytool's -ext SAN= syntax). */
    private int upstreamWithCertificate(String san) throws Exception {
        Path keystore = dir.resolve("upstream.p12");
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(List.of(
                        keytool,
                        "-genkeypair",
                        "-keystore",
                        keystore.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        "changeit",
                        "-alias",
                        "upstream",
                        "-keyalg",
                        "EC",
                        "-dname",
                        "CN=artifactory.corp.example",
                        "-ext",
                        "SAN=" + san,
                        "-validity",
                        "2"))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + output);
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(keystore.toFile())) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", exchange -> {
            byte[] body = "module corp.example.com/lib\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server.getAddress().getPort();
    }
}
