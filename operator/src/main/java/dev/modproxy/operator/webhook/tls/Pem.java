package dev.modproxy.operator.webhook.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/** PEM text of certificates and private keys, as Kubernetes TLS Secrets and Vert.x expect it. */
public final class Pem {

    private Pem() {}

    public static String of(X509Certificate certificate) {
        return write(certificate);
    }

    /** PKCS#8 ("PRIVATE KEY"), the one key encoding every consumer here reads. */
    public static String of(PrivateKey key) {
        try {
            return write(new JcaPKCS8Generator(key, null).generate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static X509Certificate certificate(String pem) {
        Object parsed = read(pem);
        if (!(parsed instanceof X509CertificateHolder holder)) {
            throw new InvalidCertificateException("not a PEM certificate");
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new InvalidCertificateException("unreadable certificate: " + e.getMessage());
        }
    }

    /** Reads PKCS#8 as well as the PKCS#1 / SEC1 forms cert-manager may write. */
    public static PrivateKey privateKey(String pem) {
        Object parsed = read(pem);
        try {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (parsed instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (parsed instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
        } catch (IOException e) {
            throw new InvalidCertificateException("unreadable private key");
        }
        // the parser's message could echo key bytes: say only what kind of thing was found
        throw new InvalidCertificateException("not a PEM private key");
    }

    private static Object read(String pem) {
        if (pem == null || pem.isBlank()) {
            throw new InvalidCertificateException("empty PEM");
        }
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object parsed = parser.readObject();
            if (parsed == null) {
                throw new InvalidCertificateException("no PEM block found");
            }
            return parsed;
        } catch (IOException | RuntimeException e) {
            if (e instanceof InvalidCertificateException invalid) {
                throw invalid;
            }
            throw new InvalidCertificateException("malformed PEM");
        }
    }

    private static String write(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
