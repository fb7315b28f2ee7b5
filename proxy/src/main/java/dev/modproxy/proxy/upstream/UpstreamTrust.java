package dev.modproxy.proxy.upstream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The certificate authorities an upstream's or the checksum database's TLS certificate may be signed by: the JVM's
 * own (its cacerts, or -Djavax.net.ssl.trustStore), and besides them those of a PEM file (MODPROXY_UPSTREAM_CA_FILE):
 * the private CA of an internal Artifactory or Athens, or that of a TLS-inspecting egress proxy. The file is read
 * once, when the proxy starts.
 *
 * <p>One PKIX trust manager over the union of both sets of trust anchors, not a trust manager that asks one and then
 * the other: the JDK's own checks (the host name, algorithm constraints, its CA distrust policies, which go by the
 * anchor) run once and the same way for either, and a certificate neither set signed fails as the JDK's default one
 * fails, which {@link Upstream} names as such.
 */
public final class UpstreamTrust {

    private static final Pattern PEM_CERTIFICATE = Pattern.compile(
            "-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([A-Za-z0-9+/=\\s]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----");

    private static final UpstreamTrust JVM = new UpstreamTrust(null, null, List.of(), List.of());

    /** null: the JVM's default SSLContext. */
    private final SSLContext context;

    private final Path file;
    private final List<X509Certificate> added;
    /** The CAs the context trusts: the JVM's and the file's (none for the JVM's default context). */
    private final List<X509Certificate> anchors;

    private UpstreamTrust(SSLContext context, Path file, List<X509Certificate> added, List<X509Certificate> anchors) {
        this.context = context;
        this.file = file;
        this.added = added;
        this.anchors = anchors;
    }

    /** The JVM's certificate authorities alone. */
    public static UpstreamTrust jvmDefault() {
        return JVM;
    }

    /**
     * The JVM's certificate authorities and those in file (PEM, one or more "-----BEGIN CERTIFICATE-----" blocks, as
     * ca.crt of a Secret or a ca-bundle.crt; a DER certificate is read too).
     *
     * @throws IOException the file cannot be read (its message names it and why)
     * @throws IllegalArgumentException the file holds no certificate, or one that cannot be read
     */
    public static UpstreamTrust fromPemFile(Path file) throws IOException {
        return of(defaultTrustManager(), file);
    }

    /** As {@link #fromPemFile}, with defaults standing for the JVM's trust manager (tests give their own). */
    static UpstreamTrust of(X509TrustManager defaults, Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(file + " is a directory, not a file");
        }
        byte[] content = Files.readAllBytes(file);
        List<X509Certificate> certificates = certificates(content, file);
        try {
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            int i = 0;
            for (X509Certificate jvm : defaults.getAcceptedIssuers()) {
                anchors.setCertificateEntry("jvm-" + i++, jvm);
            }
            i = 0;
            for (X509Certificate added : certificates) {
                anchors.setCertificateEntry("upstream-ca-" + i++, added);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(anchors);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            List<X509Certificate> trusted = new ArrayList<>();
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    trusted.addAll(List.of(x509.getAcceptedIssuers()));
                }
            }
            return new UpstreamTrust(context, file, List.copyOf(certificates), List.copyOf(trusted));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS context trusting " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(byte[] content, Path file) {
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JVM reads no X.509 certificates: " + e.getMessage(), e);
        }
        List<X509Certificate> certificates = new ArrayList<>();
        // block by block: a bundle's text between them (openssl's subject= lines, comments) is skipped
        Matcher block = PEM_CERTIFICATE.matcher(new String(content, StandardCharsets.ISO_8859_1));
        int n = 0;
        while (block.find()) {
            n++;
            try {
                byte[] der = Base64.getMimeDecoder().decode(block.group(1));
                certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            } catch (IllegalArgumentException | CertificateException e) {
                throw new IllegalArgumentException(
                        file + ": certificate " + n + " of the file cannot be read (" + e.getMessage() + ")");
            }
        }
        if (n == 0 && content.length > 0 && (content[0] & 0xff) == 0x30) {
            try { // a DER certificate, as some CAs hand theirs out
                for (Certificate certificate : factory.generateCertificates(new ByteArrayInputStream(content))) {
                    certificates.add((X509Certificate) certificate);
                }
            } catch (CertificateException e) {
                // not one: refused below
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(file + (content.length == 0 ? " is empty" : " holds no certificate")
                    + ": it must hold the CA's certificate in PEM, -----BEGIN CERTIFICATE----- ...");
        }
        return certificates;
    }

    private static X509TrustManager defaultTrustManager() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the JVM's trust store: " + e.getMessage(), e);
        }
        throw new IllegalStateException("the JVM has no X.509 trust manager");
    }

    /** The context the HTTP clients use, empty for the JVM's default. */
    public Optional<SSLContext> sslContext() {
        return Optional.ofNullable(context);
    }

    /** The file's certificates (none for the JVM's alone). */
    public List<X509Certificate> added() {
        return added;
    }

    /** The CAs the context trusts, the JVM's and the file's; empty for the JVM's default context. */
    List<X509Certificate> anchors() {
        return anchors;
    }

    /** The JVM's own trust manager, which the file's CAs are added to. */
    static X509TrustManager jvmTrustManager() {
        return defaultTrustManager();
    }

    /** MODPROXY_UPSTREAM_CA_FILE, if set. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** For the start-up log: how many CAs the file added, and whose. */
    public String describe() {
        if (file == null) {
            return "the JVM's certificate authorities";
        }
        List<String> names = added.stream()
                .map(certificate -> certificate.getSubjectX500Principal().getName())
                .toList();
        return "the JVM's certificate authorities and " + added.size() + " from MODPROXY_UPSTREAM_CA_FILE " + file + " "
                + names;
    }

    @Override
    public String toString() {
        return describe();
    }
}
