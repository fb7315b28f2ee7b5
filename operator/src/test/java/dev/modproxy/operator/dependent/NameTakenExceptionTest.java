package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NameTakenExceptionTest {

    private static final String CREATED = "2026-03-01T09:00:00Z";
    private static final String LATER = "2026-03-01T09:05:00Z";

    /**
     * A claim someone made with kubectl create, bound by the persistent volume controller within the same second:
     * the API server sorts the managers by operation, time and name, so kube-controller-manager's binding and status
     * writes come before kubectl-create's, which wrote the whole spec.
     */
    @Test
    void theWriterNamedIsTheOneThatMadeTheObjectNotTheControllerThatBoundIt() {
        PersistentVolumeClaim claim = claim(
                entry("kube-controller-manager", "Update", null, CREATED, binding()),
                entry("kube-controller-manager", "Update", "status", CREATED, status()),
                entry("kubectl-create", "Update", null, CREATED, wholeSpec()));

        assertThat(NameTakenException.message(claim, cache("builds", "gpc", spec -> {})))
                .contains("(written by kubectl-create)")
                .doesNotContain("kube-controller-manager");
    }

    @Test
    void theEarliestWriteOfTheObjectItselfCountsNotALaterOneNorAStatusWrite() {
        assertThat(NameTakenException.maker(List.of(
                        entry("kube-controller-manager", "Update", "status", "2026-03-01T08:00:00Z", status()),
                        entry("kubectl-edit", "Update", null, LATER, wholeSpec()),
                        entry("helm", "Apply", null, CREATED, binding()))))
                .contains("helm");
        assertThat(NameTakenException.maker(
                        List.of(entry("kube-controller-manager", "Update", "status", CREATED, status()))))
                .as("only a status write: the first manager named")
                .contains("kube-controller-manager");
        assertThat(NameTakenException.maker(List.of())).isEmpty();
    }

    private static PersistentVolumeClaim claim(ManagedFieldsEntry... entries) {
        return new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("gpc-cache")
                .withNamespace("builds")
                .withManagedFields(entries)
                .endMetadata()
                .build();
    }

    private static ManagedFieldsEntry entry(
            String manager, String operation, String subresource, String time, Map<String, Object> fields) {
        FieldsV1 fieldsV1 = new FieldsV1();
        fieldsV1.setAdditionalProperties(fields);
        return new ManagedFieldsEntryBuilder()
                .withManager(manager)
                .withOperation(operation)
                .withSubresource(subresource)
                .withTime(time)
                .withApiVersion("v1")
                .withFieldsType("FieldsV1")
                .withFieldsV1(fieldsV1)
                .build();
    }

    private static Map<String, Object> binding() {
        return Map.of(
                "f:metadata",
                Map.of(
                        "f:annotations",
                        Map.of(
                                ".", Map.of(),
                                "f:pv.kubernetes.io/bind-completed", Map.of(),
                                "f:pv.kubernetes.io/bound-by-controller", Map.of())),
                "f:spec",
                Map.of("f:volumeName", Map.of()));
    }

    private static Map<String, Object> status() {
        return Map.of(
                "f:status",
                Map.of(
                        "f:accessModes",
                        Map.of(),
                        "f:capacity",
                        Map.of(".", Map.of(), "f:storage", Map.of()),
                        "f:phase",
                        Map.of()));
    }

    private static Map<String, Object> wholeSpec() {
        return Map.of(
                "f:spec",
                Map.of(
                        "f:accessModes", Map.of(),
                        "f:resources", Map.of("f:requests", Map.of(".", Map.of(), "f:storage", Map.of())),
                        "f:storageClassName", Map.of(),
                        "f:volumeMode", Map.of()));
    }
}
