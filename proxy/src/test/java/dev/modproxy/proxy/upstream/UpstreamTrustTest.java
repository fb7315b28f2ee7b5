package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MODPROXY_UPSTREAM_CA_FILE: an https upstream (an internal Artifactory) whose certificate a corporation's own CA
 * signed is refused until that CA's certificate is given, then served; the JVM's CAs stay trusted beside it.
 */
class UpstreamTrustTest {

    private static final UpstreamChain.Settings SETTINGS =
            new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(5), 5, Duration.ofSeconds(30));
    private static final String MOD = "corp.example.com/lib/@v/v1.0.0.mod";
    private static final String MOD_FILE = "module corp.example.com/lib\n";
    private static final HttpHandler MODULE = exchange -> {
        byte[] body = MOD_FILE.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    };

    @TempDir
    Path dir;

    private final List<HttpsServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(server -> server.stop(0));
    }

    @Test
    void withoutTheCaFileTheCorporateCertificateIsRefusedNamingWhereToGiveItsCa() throws Exception {
        TestCertificateAuthority corp = TestCertificateAuthority.create(dir, "Corp Test CA");
        String upstream = url(corp.serve(MODULE));

        UpstreamResult<String> result = fetch(upstream, EgressProxy.of(Map.of()));

        assertEquals(502, result.status(), result.reason());
        String host = URI.create(upstream).getAuthority();
        assertEquals(
                host + " failed: " + host + " sent a TLS certificate that no certificate authority this proxy trusts"
                        + " has signed (a private CA, or a TLS-inspecting egress proxy: give the proxy that CA's"
                        + " certificate, MODPROXY_UPSTREAM_CA_FILE or the GoProxyCache's spec.upstreamCA; see"
                        + " docs/troubleshooting.md)",
                result.reason());
    }

    @Test
    void withTheCaFileTheModuleIsFetched() throws Exception {
        TestCertificateAuthority corp = TestCertificateAuthority.create(dir, "Corp Test CA");
        String upstream = url(corp.serve(MODULE));
        UpstreamTrust trust = UpstreamTrust.fromPemFile(corp.pem());

        UpstreamResult<String> result = fetch(upstream, EgressProxy.of(Map.of()).trusting(trust));

        assertEquals(200, result.status(), result.reason());
        assertEquals(MOD_FILE, result.value());
        assertEquals(1, trust.added().size());
        assertEquals(
                "CN=Corp Test CA",
                trust.added().get(0).getSubjectX500Principal().getName());
    }

    /**
     * The file adds to the JVM's CAs, never replaces them: an upstream signed by a CA the JVM trusts (a public one:
     * here a test CA standing for the JVM's trust store) is still fetched, as is the one the file's CA signed.
     */
    @Test
    void theJvmsCertificateAuthoritiesStayTrustedBesideTheFilesOnes() throws Exception {
        TestCertificateAuthority publicCa = TestCertificateAuthority.create(dir, "Public Test CA");
        TestCertificateAuthority corp = TestCertificateAuthority.create(dir, "Corp Test CA");
        String publicUpstream = url(publicCa.serve(MODULE));
        String corpUpstream = url(corp.serve(MODULE));
        EgressProxy egress = EgressProxy.of(Map.of()).trusting(UpstreamTrust.of(trusting(publicCa), corp.pem()));

        UpstreamResult<String> fromPublic = fetch(publicUpstream, egress);
        UpstreamResult<String> fromCorp = fetch(corpUpstream, egress);

        assertEquals(200, fromPublic.status(), fromPublic.reason());
        assertEquals(200, fromCorp.status(), fromCorp.reason());
        // and without the stand-in, the JVM's own trust manager is the one added to: all of its CAs are kept
        UpstreamTrust real = UpstreamTrust.fromPemFile(corp.pem());
        List<X509Certificate> jvm = List.of(UpstreamTrust.jvmTrustManager().getAcceptedIssuers());
        assertTrue(jvm.size() > 10, "the JDK's cacerts: " + jvm.size());
        assertTrue(real.anchors().containsAll(jvm), "every CA of the JVM's trust store is still trusted");
        assertTrue(real.anchors().containsAll(real.added()));
        assertEquals(jvm.size() + 1, real.anchors().size());
    }

    @Test
    void aCaFileOfAnotherCaSaysItsCasDidNotSignTheCertificate() throws Exception {
        TestCertificateAuthority corp = TestCertificateAuthority.create(dir, "Corp Test CA");
        TestCertificateAuthority other = TestCertificateAuthority.create(dir, "Other Test CA");
        String upstream = url(corp.serve(MODULE));

        UpstreamResult<String> result =
                fetch(upstream, EgressProxy.of(Map.of()).trusting(UpstreamTrust.fromPemFile(other.pem())));

        assertEquals(502, result.status(), result.reason());
        assertTrue(
                result.reason()
                        .endsWith(" sent a TLS certificate that no certificate authority this proxy trusts has signed"
                                + " (neither the JVM's nor the 1 in MODPROXY_UPSTREAM_CA_FILE " + other.pem()
                                + " (is it the CA that signed this host's certificate, or its egress proxy's?); see"
                                + " docs/troubleshooting.md)"),
                result.reason());
    }

    @Test
    void aBundleOfSeveralCasWithTextBetweenThemTrustsEach() throws Exception {
        TestCertificateAuthority first = TestCertificateAuthority.create(dir, "First Test CA");
        TestCertificateAuthority second = TestCertificateAuthority.create(dir, "Second Test CA");
        Path bundle = Files.writeString(
                dir.resolve("bundle.crt"),
                "# corporate CAs\nsubject=CN = First Test CA\n" + Files.readString(first.pem())
                        + "\nsubject=CN = Second Test CA\n" + Files.readString(second.pem()));
        EgressProxy egress = EgressProxy.of(Map.of()).trusting(UpstreamTrust.fromPemFile(bundle));

        assertEquals(200, fetch(url(first.serve(MODULE)), egress).status());
        assertEquals(200, fetch(url(second.serve(MODULE)), egress).status());
    }

    @Test
    void aFileWithoutACertificateIsRefusedSayingWhy() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        Path key = Files.writeString(
                dir.resolve("key.pem"),
                "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");
        Path broken = Files.writeString(
                dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        assertEquals(
                empty + " is empty: it must hold the CA's certificate in PEM, -----BEGIN CERTIFICATE----- ...",
                assertThrows(IllegalArgumentException.class, () -> UpstreamTrust.fromPemFile(empty))
                        .getMessage());
        assertEquals(
                key
                        + " holds no certificate: it must hold the CA's certificate in PEM, -----BEGIN CERTIFICATE----- ...",
                assertThrows(IllegalArgumentException.class, () -> UpstreamTrust.fromPemFile(key))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> UpstreamTrust.fromPemFile(broken))
                .getMessage()
                .startsWith(broken + ": certificate 1 of the file cannot be read ("));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> UpstreamTrust.fromPemFile(dir.resolve("none")));
    }

    private static X509TrustManager trusting(TestCertificateAuthority ca) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (var in = Files.newInputStream(ca.pem())) {
            store.setCertificateEntry(
                    "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return (X509TrustManager) factory.getTrustManagers()[0];
    }

    private String url(HttpsServer server) {
        servers.add(server);
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    private static UpstreamResult<String> fetch(String goproxy, EgressProxy egress) {
        return UpstreamChain.parse(goproxy, SETTINGS, UpstreamListener.NONE, egress, UpstreamCredentials.none())
                .fetch(MOD, response -> new String(response.body().readAllBytes(), StandardCharsets.UTF_8), () -> true);
    }
}
