package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The names a release gets when it is not called modproxy: `fullnameOverride: null` names every object after the
 * release, and a release name helm takes must give names the API server takes too.
 */
class ReleaseNamesTest {

    /** What the API server takes as a Service name on every supported version: a DNS-1035 label. */
    private static final Pattern DNS_1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    /** What it takes as the name of every other object of the chart but the CRD: a DNS-1123 label will do. */
    private static final Pattern DNS_1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private static Rendered release(String name) {
        return new Rendered(Chart.parse(Chart.templateWithValuesFile(name, "team-builds", "fullnameOverride: null\n")));
    }

    private static void assertNamesTheApiServerTakes(Rendered rendered) {
        for (HasMetadata object : rendered.objects()) {
            if (object.getKind().equals("CustomResourceDefinition")) {
                continue;
            }
            String name = object.getMetadata().getName();
            String what = object.getKind() + "/" + name;
            assertTrue(name.length() <= 63, what + " is longer than 63 characters");
            Pattern wanted = object instanceof Service ? DNS_1035_LABEL : DNS_1123_LABEL;
            assertTrue(wanted.matcher(name).matches(), what + " does not match " + wanted);
        }
    }

    @Test
    void aReleaseNameWithDotsNamesItsObjectsWithDashes() {
        // helm takes a release name with dots (a DNS subdomain); a Service name with one is refused by the API
        // server ("my.builds-webhook": must not contain dots), so the install failed half-way
        Rendered rendered = release("corp.builds");
        assertNamesTheApiServerTakes(rendered);
        assertEquals(
                "corp-builds-webhook", rendered.one(Service.class).getMetadata().getName());
        assertEquals(
                "corp-builds",
                rendered.one(MutatingWebhookConfiguration.class).getMetadata().getName());
        Container operator = OperatorDeploymentTest.operator(rendered);
        assertEquals(Optional.of("corp-builds"), OperatorDeploymentTest.env(operator, "MODPROXY_WEBHOOK_CONFIG"));
        assertEquals(
                Optional.of("corp-builds-webhook"), OperatorDeploymentTest.env(operator, "MODPROXY_WEBHOOK_SERVICE"));
        assertEquals(
                Optional.of("corp-builds-webhook-tls"),
                OperatorDeploymentTest.env(operator, "MODPROXY_WEBHOOK_SECRET"));
        // the selector labels keep the release name as helm has it (a label value may hold dots)
        assertEquals(
                "corp.builds",
                rendered.one(Deployment.class)
                        .getSpec()
                        .getSelector()
                        .getMatchLabels()
                        .get("app.kubernetes.io/instance"));
    }

    @Test
    void theLongestReleaseNameHelmTakesStaysWithin63Characters() {
        String name = "platform-team-go-module-cache-for-every-build-farm-01";
        assertEquals(53, name.length(), "helm's limit on a release name");
        Rendered rendered = release(name);
        assertNamesTheApiServerTakes(rendered);
        assertEquals(
                "platform-team-go-module-cache-for-every-operator-caches",
                rendered.all(io.fabric8.kubernetes.api.model.rbac.ClusterRole.class).stream()
                        .map(r -> r.getMetadata().getName())
                        .filter(n -> n.endsWith("-caches"))
                        .findFirst()
                        .orElseThrow());
    }

    @Test
    void aFullnameOverrideStartingWithADigitIsRefused() {
        // it names the webhook's Service, which must be a DNS-1035 label unless the API server relaxes Service names
        // (the feature gate RelaxedServiceNameValidation, on in recent versions; the chart takes 1.29 on)
        IllegalStateException error = assertThrows(
                IllegalStateException.class, () -> Chart.templateWithValuesFile("fullnameOverride: 1gomods\n"));
        assertTrue(error.getMessage().contains("/fullnameOverride"), error.getMessage());
        assertTrue(error.getMessage().contains("1gomods"), error.getMessage());
    }

    /**
     * Review: helm takes a release name starting with a digit (a DNS-1123 subdomain), and with fullnameOverride null
     * it names the webhook's Service "1st-builds-webhook", which is no DNS-1035 label: the install fails half-way, as
     * the one with dots did, though the chart refuses the same name given as fullnameOverride.
     */
    @Test
    void aReleaseNameStartingWithADigitNamesItsServiceAsTheApiServerTakesOrIsRefusedFirst() {
        Rendered rendered;
        try {
            rendered = release("1st-builds");
        } catch (IllegalStateException refusedFirst) {
            return; // refused before anything is made: as good
        }
        assertNamesTheApiServerTakes(rendered);
    }

    @Test
    void aReleaseNameStartingWithADigitIsRefusedSayingWhatToSet() {
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> release("1st-builds"));
        assertTrue(error.getMessage().contains("1st-builds-webhook"), error.getMessage());
        assertTrue(error.getMessage().contains("set fullnameOverride"), error.getMessage());
    }

    @Test
    void aReleaseNameStartingWithALetterAndHoldingDigitsIsTaken() {
        Rendered rendered = release("b1-2nd");
        assertNamesTheApiServerTakes(rendered);
        assertEquals("b1-2nd-webhook", rendered.one(Service.class).getMetadata().getName());
    }
}
