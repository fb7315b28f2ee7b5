package dev.modproxy.operator.webhook.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class CertificateIssuerTest {

    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    static final List<String> NAMES = ServiceDnsNames.of("modproxy-webhook", "modproxy-system");

    static CertificateIssuer issuerAt(Instant instant) {
        return new CertificateIssuer(Clock.fixed(instant, ZoneOffset.UTC));
    }

    @Test
    void servingCertificateNamesEveryServiceDnsNameAndIsSignedByTheCa() throws Exception {
        WebhookCertificate issued = issuerAt(NOW).newAuthority(NAMES);

        X509Certificate ca = issued.caCertificate();
        X509Certificate serving = issued.certificate();
        serving.verify(ca.getPublicKey());
        assertEquals(Set.of("modproxy-webhook", "modproxy-webhook.modproxy-system", "modproxy-webhook.modproxy-system.svc",
                "modproxy-webhook.modproxy-system.svc.cluster.local"), RenewalPolicy.dnsNamesOf(serving));
        assertEquals(0, ca.getBasicConstraints(), "a CA that may sign end-entity certificates only");
        assertEquals(-1, serving.getBasicConstraints(), "serving certificate is not a CA");
        assertTrue(serving.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "serverAuth");
        assertEquals(NOW.plus(Duration.ofDays(365)), serving.getNotAfter().toInstant());
        assertEquals(NOW.plus(CertificateIssuer.AUTHORITY_VALIDITY), ca.getNotAfter().toInstant());
    }

    @Test
    void anIpAddressAmongTheNamesBecomesAnIpSanThatTheRenewalPolicyAccepts() throws Exception {
        List<String> names = new java.util.ArrayList<>(NAMES);
        names.add("127.0.0.1");

        WebhookCertificate issued = issuerAt(NOW).newAuthority(names);

        assertTrue(issued.certificate().getSubjectAlternativeNames().contains(List.of(7, "127.0.0.1")),
                "an iPAddress entry, which TLS clients match against an address (a dNSName would not do)");
        assertEquals(RenewalPolicy.Action.KEEP, RenewalPolicy.evaluate(issued, names, NOW).action());
    }

    @Test
    void servingCertificateNeverOutlivesItsCa() {
        WebhookCertificate old = issuerAt(NOW.minus(Duration.ofDays(5 * 365 - 100))).newAuthority(NAMES);

        WebhookCertificate renewed = issuerAt(NOW).renewServing(old, NAMES);

        assertEquals(old.caCertificate().getNotAfter(), renewed.certificate().getNotAfter());
    }

    @Test
    void keysAndCertificatesSurviveThePemRoundTripWithoutShowingKeysInToString() {
        WebhookCertificate issued = issuerAt(NOW).newAuthority(NAMES);

        assertTrue(issued.keyPem().startsWith("-----BEGIN PRIVATE KEY-----"));
        assertEquals(issued.key(), Pem.privateKey(Pem.of(issued.key())));
        assertTrue(!issued.toString().contains("PRIVATE"));
        assertThrows(InvalidCertificateException.class, () -> Pem.certificate(issued.keyPem()));
        assertThrows(InvalidCertificateException.class, () -> Pem.privateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n"));
    }
}
