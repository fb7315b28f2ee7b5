package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * operator.priorityClassName of the prefix system-, which the API server reserves: it keeps system-cluster-critical
 * and system-node-critical in every cluster and lets no other class of that prefix be made, so the chart answers these
 * names itself, with or without a cluster (ChartLifecycleIT covers the names it asks a cluster about).
 */
class OperatorPriorityClassTest {

    @ParameterizedTest
    @ValueSource(strings = {"system-cluster-critical", "system-node-critical"})
    void theBuiltInClassesAreTaken(String name) {
        Rendered rendered = Chart.render(Chart.values("operator.priorityClassName", name));
        assertEquals(
                name,
                rendered.one(Deployment.class).getSpec().getTemplate().getSpec().getPriorityClassName());
    }

    /**
     * Review: a misspelt built-in (system-cluster-critcal) passed helm template and helm install alike when no cluster
     * was asked (Argo CD, a client dry run), and gave an operator whose pods the API server never creates.
     */
    @ParameterizedTest
    @ValueSource(strings = {"system-cluster-critcal", "system-ci"})
    void anyOtherSystemClassIsRefusedWithoutACluster(String name) {
        IllegalStateException error = assertThrows(
                IllegalStateException.class, () -> Chart.template(Chart.values("operator.priorityClassName", name)));
        assertTrue(
                error.getMessage()
                        .contains("operator.priorityClassName: PriorityClass " + name
                                + " cannot exist: the API server reserves the prefix system- for its own classes,"
                                + " system-cluster-critical and system-node-critical, and makes no other"),
                error.getMessage());
    }
}
