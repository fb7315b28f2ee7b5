package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * operator.extraEnv beside the environment the chart sets. Two entries of one name were rendered as they came: helm
 * 4.3.2 on the e2e control plane then failed half-way, the ServiceAccount, Role and Service made ("server-side apply
 * failed for object .../m2-operator ... env: duplicate entries for key [name="MODPROXY_WEBHOOK_CERT_MODE"]"), and a
 * client-side apply took the Deployment with a warning, the later entry overriding the chart's.
 */
class OperatorExtraEnvTest {

    /** Values under which the chart sets every variable it can (cert-manager's directory, the watched namespaces). */
    private static final Map<String, Object> EVERY_CHART_VARIABLE =
            Chart.values("webhook.certMode", "cert-manager", "watchNamespaces[0]", "ci");

    private static List<String> chartVariables() {
        return OperatorDeploymentTest.operator(Chart.render(EVERY_CHART_VARIABLE)).getEnv().stream()
                .map(EnvVar::getName)
                .toList();
    }

    @Test
    void everyVariableTheChartSetsIsRefusedInExtraEnvNamingTheValueToSet() {
        List<String> chartVariables = chartVariables();
        assertEquals(12, chartVariables.size(), chartVariables.toString());
        for (String name : chartVariables) {
            Map<String, Object> values = new LinkedHashMap<>(EVERY_CHART_VARIABLE);
            values.put("operator.extraEnv[0].name", "JAVA_TOOL_OPTIONS");
            values.put("operator.extraEnv[0].value", "-Xss512k");
            values.put("operator.extraEnv[1].name", name);
            values.put("operator.extraEnv[1].value", "x");
            IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.template(values), name);
            assertTrue(
                    error.getMessage()
                            .contains("operator.extraEnv[1] sets " + name + ", which the chart sets itself from "),
                    error.getMessage());
        }
    }

    @Test
    void theRefusalNamesTheValueThatSetsTheVariable() {
        IllegalStateException error = assertThrows(
                IllegalStateException.class,
                () -> Chart.template(Chart.values(
                        "operator.extraEnv[0].name", "MODPROXY_WEBHOOK_CERT_MODE",
                        "operator.extraEnv[0].value", "cert-manager")));
        assertTrue(error.getMessage().contains("from webhook.certMode: set that instead"), error.getMessage());
    }

    @Test
    void twoExtraEntriesOfOneNameAreRefused() {
        IllegalStateException error = assertThrows(
                IllegalStateException.class,
                () -> Chart.template(Chart.values(
                        "operator.extraEnv[0].name", "JAVA_TOOL_OPTIONS",
                        "operator.extraEnv[0].value", "-Xss512k",
                        "operator.extraEnv[1].name", "JAVA_TOOL_OPTIONS",
                        "operator.extraEnv[1].value", "-Xss1m")));
        assertTrue(
                error.getMessage()
                        .contains("operator.extraEnv[0] and operator.extraEnv[1] both set JAVA_TOOL_OPTIONS: keep one"),
                error.getMessage());
    }

    @Test
    void otherVariablesFollowTheChartsOwn() {
        Rendered rendered = Chart.render(Chart.values(
                "operator.extraEnv[0].name", "MODPROXY_WEBHOOK_WARMUP_TIME_LIMIT",
                "operator.extraEnv[0].value", "2s"));
        List<EnvVar> env = OperatorDeploymentTest.operator(rendered).getEnv();
        assertEquals(
                "MODPROXY_WEBHOOK_WARMUP_TIME_LIMIT", env.get(env.size() - 1).getName());
        assertEquals(
                Optional.of("2s"),
                OperatorDeploymentTest.env(
                        OperatorDeploymentTest.operator(rendered), "MODPROXY_WEBHOOK_WARMUP_TIME_LIMIT"));
    }
}
