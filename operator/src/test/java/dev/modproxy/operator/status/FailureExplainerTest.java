package dev.modproxy.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.CacheFixtures;
import dev.modproxy.operator.dependent.NameTakenException;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailureExplainerTest {

    @Test
    void quotaRefusalSaysWhichQuotaAndHowToFix() {
        var quota = api(
                403,
                "persistentvolumeclaims \"builds-cache\" is forbidden: exceeded quota: storage, "
                        + "requested: requests.storage=10Gi, used: requests.storage=95Gi, limited: requests.storage=100Gi");
        var failure = FailureExplainer.explain(new OperatorException(new AggregatedOperatorException(
                "workflow failed", Map.of("volume", new RuntimeException("wrapped", quota)))));
        assertThat(failure.reason()).isEqualTo("QuotaExceeded");
        assertThat(failure.message())
                .contains("limited: requests.storage=100Gi")
                .contains("raise the quota");
    }

    @Test
    void permissionAndValidationErrorsAreTellApart() {
        assertThat(FailureExplainer.explain(api(403, "servicemonitors is forbidden"))
                        .reason())
                .isEqualTo("Forbidden");
        assertThat(FailureExplainer.explain(api(422, "spec.accessModes: Forbidden: field is immutable"))
                        .message())
                .contains("field is immutable");
        assertThat(FailureExplainer.explain(new IllegalStateException("boom")).reason())
                .isEqualTo("ReconcileFailed");
    }

    @Test
    void aNamespaceBeingDeletedIsNotTakenForMissingPermissions() {
        var failure = FailureExplainer.explain(api(
                403,
                "configmaps \"builds-config\" is forbidden: unable to create new content in namespace ci because it "
                        + "is being terminated"));
        assertThat(failure.reason()).isEqualTo("NamespaceTerminating");
        assertThat(failure.message()).contains("namespace is being deleted").doesNotContain("grant");
    }

    @Test
    void aNameTakenBySomeoneElsesObjectWaitsForAFixAndSaysWhoseItIs() {
        var theirs = new ServiceBuilder()
                .withNewMetadata()
                .withName("builds-management")
                .addNewOwnerReference()
                .withApiVersion("modproxy.dev/v1alpha1")
                .withKind("GoProxyCache")
                .withName("builds")
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .build();
        var failure = FailureExplainer.explain(new OperatorException(new AggregatedOperatorException(
                "workflow failed",
                Map.of(
                        "service",
                        new NameTakenException(
                                theirs, CacheFixtures.cache("team-a", "builds-management", spec -> {}))))));
        assertThat(failure.reason()).isEqualTo("NameInUse");
        assertThat(FailureExplainer.awaitsAFix(failure)).isTrue();
        assertThat(failure.message())
                .contains("The Service builds-management already exists and is not this cache's")
                .contains("controlled by GoProxyCache builds")
                .contains("delete this GoProxyCache and create it under a name whose objects are free")
                .doesNotContain("rename that Service");
    }

    @Test
    void aConflictWithAnotherWriterIsToldApartFromARefusal() {
        var failure = FailureExplainer.explain(api(
                409,
                "Operation cannot be fulfilled on deployments.apps \"builds\": the object has been modified; please "
                        + "apply your changes to the latest version and try again"));
        assertThat(failure.reason()).isEqualTo(FailureExplainer.CONFLICT);
        assertThat(FailureExplainer.awaitsAFix(failure)).isFalse();
        assertThat(failure.message()).contains("deployments.apps \"builds\"").contains("retries");
    }

    private static KubernetesClientException api(int code, String message) {
        return new KubernetesClientException(
                new StatusBuilder().withCode(code).withMessage(message).build());
    }
}
