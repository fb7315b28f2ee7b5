package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A request above its limit is refused by the API server ("must be less than or equal to memory limit of 256Mi"),
 * after helm has made every object before the Deployment: a failed release. A limit lowered alone (the values' own
 * comment discusses lowering it) fell below the chart's default request of 384Mi. The chart now says so first.
 */
class OperatorResourcesTest {

    static Stream<Arguments> requestsAboveTheirLimits() {
        return Stream.of(
                Arguments.of(
                        Chart.values("operator.resources.limits.memory", "256Mi"),
                        "operator.resources.requests.memory (384Mi) is more than operator.resources.limits.memory"
                                + " (256Mi)"),
                // one byte below 384Mi, as a number
                Arguments.of(
                        Chart.values("operator.resources.limits.memory", 402653183),
                        "operator.resources.limits.memory (402653183)"),
                Arguments.of(
                        Chart.values("operator.resources.limits.cpu", "50m"),
                        "operator.resources.requests.cpu (100m) is more than operator.resources.limits.cpu (50m)"),
                // a decimal gigabyte is less than a binary one
                Arguments.of(
                        Chart.values(
                                "operator.resources.requests.memory", "1Gi", "operator.resources.limits.memory", "1G"),
                        "operator.resources.requests.memory (1Gi) is more than operator.resources.limits.memory (1G)"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("requestsAboveTheirLimits")
    void aRequestAboveItsLimitIsRefusedNamingBoth(Map<String, Object> values, String message) {
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.template(values));
        assertTrue(error.getMessage().contains(message), error.getMessage());
    }

    static Stream<Arguments> requestsWithinTheirLimits() {
        return Stream.of(
                Arguments.of(Chart.values("operator.resources.limits.memory", "384Mi"), "384Mi", "384Mi"),
                Arguments.of(Chart.values("operator.resources.limits.memory", "0.5Gi"), "384Mi", "0.5Gi"),
                Arguments.of(Chart.values("operator.resources.limits.memory", 402653184), "384Mi", "402653184"),
                Arguments.of(
                        Chart.values(
                                "operator.resources.requests.memory", "1G", "operator.resources.limits.memory", "1Gi"),
                        "1G",
                        "1Gi"));
    }

    @ParameterizedTest(name = "{1} within {2}")
    @MethodSource("requestsWithinTheirLimits")
    void aRequestWithinItsLimitRenders(Map<String, Object> values, String request, String limit) {
        ResourceRequirements resources =
                OperatorDeploymentTest.operator(Chart.render(values)).getResources();
        assertEquals(new Quantity(request), resources.getRequests().get("memory"));
        assertEquals(new Quantity(limit), resources.getLimits().get("memory"));
    }
}
