package dev.modproxy.proxy.upstream;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A certificate authority of a test, as a corporation's private one: its certificate in PEM (what a platform team
 * hands the cache in MODPROXY_UPSTREAM_CA_FILE) and https servers on loopback whose certificates it signed. Made with
 * the JDK's keytool, as UpstreamTlsTest makes its self-signed one.
 */
public final class TestCertificateAuthority {

    private static final String PASSWORD = "changeit";

    private final Path dir;
    private final String name;
    private final Path caStore;
    private final Path pem;
    private int servers;

    private TestCertificateAuthority(Path dir, String name) {
        this.dir = dir;
        this.name = name;
        this.caStore = dir.resolve(name + "-ca.p12");
        this.pem = dir.resolve(name + "-ca.pem");
    }

    /** A new CA called CN=name, its files in dir. */
    public static TestCertificateAuthority create(Path dir, String name) throws Exception {
        TestCertificateAuthority ca = new TestCertificateAuthority(dir, name);
        keytool(
                "-genkeypair",
                "-keystore",
                ca.caStore.toString(),
                "-alias",
                "ca",
                "-keyalg",
                "EC",
                "-dname",
                "CN=" + name,
                "-ext",
                "bc:c",
                "-validity",
                "2");
        keytool("-exportcert", "-rfc", "-keystore", ca.caStore.toString(), "-alias", "ca", "-file", ca.pem.toString());
        return ca;
    }

    /** Its certificate, in PEM. */
    public Path pem() {
        return pem;
    }

    /**
     * An https server on loopback (127.0.0.1) whose certificate, for ip:127.0.0.1, this CA signed, answering every
     * request with handler; the caller stops it.
     */
    public HttpsServer serve(HttpHandler handler) throws Exception {
        return serve(handler, "ip:127.0.0.1");
    }

    /**
     * As {@link #serve(HttpHandler)}, its certificate for san in keytool's -ext SAN= syntax (e.g.
     * "ip:127.0.0.1,dns:localhost").
     */
    public HttpsServer serve(HttpHandler handler, String san) throws Exception {
        String alias = "server" + servers++;
        Path store = dir.resolve(name + "-" + alias + ".p12");
        Path request = dir.resolve(name + "-" + alias + ".csr");
        Path signed = dir.resolve(name + "-" + alias + ".pem");
        keytool(
                "-genkeypair",
                "-keystore",
                store.toString(),
                "-alias",
                alias,
                "-keyalg",
                "EC",
                "-dname",
                "CN=artifactory.corp.example");
        keytool("-certreq", "-keystore", store.toString(), "-alias", alias, "-file", request.toString());
        keytool(
                "-gencert",
                "-rfc",
                "-keystore",
                caStore.toString(),
                "-alias",
                "ca",
                "-infile",
                request.toString(),
                "-outfile",
                signed.toString(),
                "-ext",
                "SAN=" + san,
                "-validity",
                "2");
        keytool("-importcert", "-noprompt", "-keystore", store.toString(), "-alias", "ca", "-file", pem.toString());
        keytool("-importcert", "-keystore", store.toString(), "-alias", alias, "-file", signed.toString());
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store.toFile())) {
            keys.load(in, PASSWORD.toCharArray());
        }
        keys.deleteEntry("ca"); // the server's key and chain alone
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(factory.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", handler);
        server.start();
        return server;
    }

    private static void keytool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", arguments) + " failed: " + output);
        }
    }
}
