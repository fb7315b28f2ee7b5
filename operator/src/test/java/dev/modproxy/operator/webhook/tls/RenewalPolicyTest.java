package dev.modproxy.operator.webhook.tls;

import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.NAMES;
import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.NOW;
import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.issuerAt;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.modproxy.operator.webhook.tls.RenewalPolicy.Action;

class RenewalPolicyTest {

    static Action decide(WebhookCertificate stored) {
        return RenewalPolicy.evaluate(stored, NAMES, NOW).action();
    }

    @Test
    void freshCertificatesAreKept() {
        assertEquals(Action.KEEP, decide(issuerAt(NOW).newAuthority(NAMES)));
    }

    @Test
    void nothingStoredMeansANewCa() {
        assertEquals(Action.NEW_AUTHORITY, decide(null));
    }

    @Test
    void servingCertificateWithLessThanThirtyDaysLeftIsRenewedUnderTheSameCa() {
        assertEquals(Action.RENEW_SERVING, decide(issuerAt(NOW.minus(Duration.ofDays(340))).newAuthority(NAMES)));
        assertEquals(Action.KEEP, decide(issuerAt(NOW.minus(Duration.ofDays(330))).newAuthority(NAMES)));
    }

    @Test
    void caCloseToExpiryIsReplaced() {
        assertEquals(Action.NEW_AUTHORITY, decide(issuerAt(NOW.minus(Duration.ofDays(5 * 365 - 60))).newAuthority(NAMES)));
    }

    @Test
    void renamedServiceNeedsANewServingCertificate() {
        WebhookCertificate forOtherService = issuerAt(NOW).newAuthority(ServiceDnsNames.of("old-webhook", "modproxy-system"));
        assertEquals(Action.RENEW_SERVING, decide(forOtherService));
    }

    @Test
    void servingCertificateFromAnotherCaOrWithAForeignKeyIsRenewed() {
        WebhookCertificate ours = issuerAt(NOW).newAuthority(NAMES);
        WebhookCertificate theirs = issuerAt(NOW).newAuthority(NAMES);

        assertEquals(Action.RENEW_SERVING, decide(new WebhookCertificate(ours.caCertificatePem(), ours.caKeyPem(),
                theirs.certificatePem(), theirs.keyPem())));
        assertEquals(Action.RENEW_SERVING, decide(new WebhookCertificate(ours.caCertificatePem(), ours.caKeyPem(),
                ours.certificatePem(), theirs.keyPem())));
    }

    @Test
    void unreadableCaKeyMeansANewCa() {
        WebhookCertificate ours = issuerAt(NOW).newAuthority(NAMES);
        assertEquals(Action.NEW_AUTHORITY, decide(new WebhookCertificate(ours.caCertificatePem(), "garbage",
                ours.certificatePem(), ours.keyPem())));
    }
}
