package dev.modproxy.operator.webhook.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

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
        assertThat(RenewalPolicy.dnsNamesOf(serving))
                .isEqualTo(Set.of(
                        "modproxy-webhook",
                        "modproxy-webhook.modproxy-system",
                        "modproxy-webhook.modproxy-system.svc",
                        "modproxy-webhook.modproxy-system.svc.cluster.local"));
        assertThat(ca.getBasicConstraints())
                .as("a CA that may sign end-entity certificates only")
                .isEqualTo(0);
        assertThat(serving.getBasicConstraints())
                .as("serving certificate is not a CA")
                .isEqualTo(-1);
        assertThat(serving.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"))
                .as("serverAuth")
                .isTrue();
        assertThat(serving.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(365)));
        assertThat(ca.getNotAfter().toInstant()).isEqualTo(NOW.plus(CertificateIssuer.AUTHORITY_VALIDITY));
    }

    @Test
    void anIpAddressAmongTheNamesBecomesAnIpSanThatTheRenewalPolicyAccepts() throws Exception {
        List<String> names = new java.util.ArrayList<>(NAMES);
        names.add("127.0.0.1");

        WebhookCertificate issued = issuerAt(NOW).newAuthority(names);

        assertThat(issued.certificate().getSubjectAlternativeNames().contains(List.of(7, "127.0.0.1")))
                .as("an iPAddress entry, which TLS clients match against an address (a dNSName would not do)")
                .isTrue();
        assertThat(RenewalPolicy.evaluate(issued, names, NOW).action()).isEqualTo(RenewalPolicy.Action.KEEP);
    }

    @Test
    void servingCertificateNeverOutlivesItsCa() {
        WebhookCertificate old =
                issuerAt(NOW.minus(Duration.ofDays(5 * 365 - 100))).newAuthority(NAMES);

        WebhookCertificate renewed = issuerAt(NOW).renewServing(old, NAMES);

        assertThat(renewed.certificate().getNotAfter())
                .isEqualTo(old.caCertificate().getNotAfter());
    }

    @Test
    void keysAndCertificatesSurviveThePemRoundTripWithoutShowingKeysInToString() {
        WebhookCertificate issued = issuerAt(NOW).newAuthority(NAMES);

        assertThat(issued.keyPem().startsWith("-----BEGIN PRIVATE KEY-----")).isTrue();
        assertThat(Pem.privateKey(Pem.of(issued.key()))).isEqualTo(issued.key());
        assertThat(!issued.toString().contains("PRIVATE")).isTrue();
        assertThatExceptionOfType(InvalidCertificateException.class).isThrownBy(() -> Pem.certificate(issued.keyPem()));
        assertThatExceptionOfType(InvalidCertificateException.class)
                .isThrownBy(() -> Pem.privateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n"));
    }
}
