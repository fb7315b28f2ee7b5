package dev.modproxy.operator.webhook.tls;

import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.NAMES;
import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.NOW;
import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.issuerAt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.webhook.tls.RenewalPolicy.Action;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RenewalPolicyTest {

    static Action decide(WebhookCertificate stored) {
        return RenewalPolicy.evaluate(stored, NAMES, NOW).action();
    }

    @Test
    void freshCertificatesAreKept() {
        assertThat(decide(issuerAt(NOW).newAuthority(NAMES))).isEqualTo(Action.KEEP);
    }

    @Test
    void nothingStoredMeansANewCa() {
        assertThat(decide(null)).isEqualTo(Action.NEW_AUTHORITY);
    }

    @Test
    void servingCertificateWithLessThanThirtyDaysLeftIsRenewedUnderTheSameCa() {
        assertThat(decide(issuerAt(NOW.minus(Duration.ofDays(340))).newAuthority(NAMES)))
                .isEqualTo(Action.RENEW_SERVING);
        assertThat(decide(issuerAt(NOW.minus(Duration.ofDays(330))).newAuthority(NAMES)))
                .isEqualTo(Action.KEEP);
    }

    @Test
    void caCloseToExpiryIsReplacedAndStaysTrustedOnlyWhileItIsValid() {
        assertThat(decide(issuerAt(NOW.minus(Duration.ofDays(5 * 365 - 60))).newAuthority(NAMES)))
                .isEqualTo(Action.RENEW_AUTHORITY);
        assertThat(decide(issuerAt(NOW.minus(Duration.ofDays(5 * 365 + 2))).newAuthority(NAMES)))
                .as("expired: nothing it signed can still be served")
                .isEqualTo(Action.NEW_AUTHORITY);
    }

    @Test
    void renamedServiceNeedsANewServingCertificate() {
        WebhookCertificate forOtherService =
                issuerAt(NOW).newAuthority(ServiceDnsNames.of("old-webhook", "modproxy-system"));
        assertThat(decide(forOtherService)).isEqualTo(Action.RENEW_SERVING);
    }

    @Test
    void servingCertificateFromAnotherCaOrWithAForeignKeyIsRenewed() {
        WebhookCertificate ours = issuerAt(NOW).newAuthority(NAMES);
        WebhookCertificate theirs = issuerAt(NOW).newAuthority(NAMES);

        assertThat(decide(new WebhookCertificate(
                        ours.caCertificatePem(), ours.caKeyPem(), theirs.certificatePem(), theirs.keyPem())))
                .isEqualTo(Action.RENEW_SERVING);
        assertThat(decide(new WebhookCertificate(
                        ours.caCertificatePem(), ours.caKeyPem(), ours.certificatePem(), theirs.keyPem())))
                .isEqualTo(Action.RENEW_SERVING);
    }

    @Test
    void unreadableCaKeyMeansANewCa() {
        WebhookCertificate ours = issuerAt(NOW).newAuthority(NAMES);
        assertThat(decide(new WebhookCertificate(
                        ours.caCertificatePem(), "garbage", ours.certificatePem(), ours.keyPem())))
                .isEqualTo(Action.NEW_AUTHORITY);
    }
}
