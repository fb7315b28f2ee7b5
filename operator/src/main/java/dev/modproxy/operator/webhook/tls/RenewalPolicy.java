package dev.modproxy.operator.webhook.tls;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Decides whether stored webhook certificates can be served as they are, and what to renew if not. */
public final class RenewalPolicy {

    /** Serving certificates are renewed this long before they expire. */
    public static final Duration SERVING_MARGIN = Duration.ofDays(30);
    /** The CA is renewed earlier, so a serving certificate always has a full CA behind it. */
    public static final Duration AUTHORITY_MARGIN = Duration.ofDays(90);

    public enum Action {
        KEEP,
        RENEW_SERVING,
        /** The CA is close to expiry but still valid: a new one, with the old one trusted until it expires. */
        RENEW_AUTHORITY,
        /** Nothing usable is stored: a new CA, trusted alone. */
        NEW_AUTHORITY
    }

    public record Decision(Action action, String reason) {}

    private RenewalPolicy() {}

    public static Decision evaluate(WebhookCertificate stored, List<String> dnsNames, Instant now) {
        if (stored == null) {
            return new Decision(Action.NEW_AUTHORITY, "no certificate stored yet");
        }
        X509Certificate ca;
        try {
            ca = stored.caCertificate();
            stored.caKey();
        } catch (RuntimeException e) {
            return new Decision(Action.NEW_AUTHORITY, "stored CA is unusable: " + e.getMessage());
        }
        if (!ca.getNotAfter().toInstant().isAfter(now.plus(AUTHORITY_MARGIN))) {
            return new Decision(
                    ca.getNotAfter().toInstant().isAfter(now) ? Action.RENEW_AUTHORITY : Action.NEW_AUTHORITY,
                    "CA expires " + ca.getNotAfter().toInstant());
        }
        X509Certificate serving;
        try {
            serving = stored.certificate();
            if (!keyMatches(stored, serving.getPublicKey())) {
                return new Decision(Action.RENEW_SERVING, "serving key does not match its certificate");
            }
            serving.verify(ca.getPublicKey());
        } catch (RuntimeException | GeneralSecurityException e) {
            return new Decision(Action.RENEW_SERVING, "serving certificate is not usable with the stored CA");
        }
        if (!serving.getNotAfter().toInstant().isAfter(now.plus(SERVING_MARGIN))) {
            return new Decision(
                    Action.RENEW_SERVING,
                    "serving certificate expires " + serving.getNotAfter().toInstant());
        }
        if (serving.getNotBefore().toInstant().isAfter(now)) {
            return new Decision(Action.RENEW_SERVING, "serving certificate is not valid yet");
        }
        Set<String> missing = new HashSet<>(dnsNames);
        missing.removeAll(dnsNamesOf(serving));
        if (!missing.isEmpty()) {
            return new Decision(Action.RENEW_SERVING, "serving certificate does not name " + missing);
        }
        return new Decision(Action.KEEP, "valid until " + serving.getNotAfter().toInstant());
    }

    static Set<String> dnsNamesOf(X509Certificate certificate) {
        Set<String> names = new HashSet<>();
        try {
            if (certificate.getSubjectAlternativeNames() != null) {
                for (List<?> entry : certificate.getSubjectAlternativeNames()) {
                    // 2: dNSName, 7: iPAddress (an IP literal among the names)
                    if (Integer.valueOf(2).equals(entry.get(0))
                            || Integer.valueOf(7).equals(entry.get(0))) {
                        names.add((String) entry.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return Set.of();
        }
        return names;
    }

    // signing a probe proves the private key belongs to the certificate's public key
    private static boolean keyMatches(WebhookCertificate stored, PublicKey publicKey) throws GeneralSecurityException {
        byte[] probe = "modproxy-webhook-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        String algorithm = "EC".equals(publicKey.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(stored.key());
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(publicKey);
        verifier.update(probe);
        return verifier.verify(signature);
    }
}
