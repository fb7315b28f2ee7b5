package dev.modproxy.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.CacheFixtures;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.dependent.NameTakenException;
import dev.modproxy.operator.dependent.OwnerReferenceRefusedException;
import dev.modproxy.operator.dependent.VolumeClaimRefusedException;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import java.util.Map;
import java.util.function.Consumer;
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
                .contains("raise the quota")
                // a CEL rule refuses a smaller spec.storage.size, and spec.resources is for pods, not claims
                .doesNotContain("or lower")
                .doesNotContain("spec.resources")
                .contains("spec.storage.size cannot be lowered");
    }

    /**
     * The probe's first cluster: a StorageClass with allowVolumeExpansion: false, a cache grown from 1Gi to 5Gi.
     * Not a missing permission, and the size cannot go back either.
     */
    @Test
    void aClaimWhoseClassCannotExpandSaysSoAndWhatWorksNotThatAPermissionIsMissing() {
        var refusal = claimRefused(
                cache(spec -> spec.getStorage().setSize("5Gi")),
                "1Gi",
                api(
                        403,
                        "persistentvolumeclaims \"builds-cache\" is forbidden: only dynamically provisioned pvc can be "
                                + "resized and the storageclass that provisions the pvc must support resize"));

        var failure = FailureExplainer.explain(refusal);

        assertThat(failure.reason()).isEqualTo("VolumeExpansionRefused");
        assertThat(FailureExplainer.awaitsAFix(failure)).isTrue();
        assertThat(failure.message())
                .startsWith("The volume claim builds-cache cannot grow from 1Gi to 5Gi: StorageClass slow does not "
                        + "allow volume expansion")
                .contains("the cache's other settings are applied")
                .contains("spec.storage.size cannot go back to 1Gi")
                .contains("allowVolumeExpansion: true on StorageClass slow")
                .contains("delete this GoProxyCache and create it again with the size it needs")
                .doesNotContain("grant")
                .doesNotContain("permission");
    }

    /** The probe's second cluster: a ResourceQuota of requests.storage=3Gi, a cache grown from 1Gi to 5Gi. */
    @Test
    void aQuotaThatRefusesTheClaimsGrowthDoesNotAdviseTheSmallerSizeTheCrdRefuses() {
        var quota = api(
                403,
                "persistentvolumeclaims \"builds-cache\" is forbidden: exceeded quota: storage, requested: "
                        + "requests.storage=4Gi, used: requests.storage=1Gi, limited: requests.storage=3Gi");

        var failure = FailureExplainer.explain(
                claimRefused(cache(spec -> spec.getStorage().setSize("5Gi")), "1Gi", quota));

        assertThat(failure.reason()).isEqualTo("QuotaExceeded");
        assertThat(failure.message())
                .startsWith("The namespace's ResourceQuota refuses to grow the volume claim builds-cache from 1Gi to "
                        + "5Gi: persistentvolumeclaims")
                .contains("limited: requests.storage=3Gi")
                .contains("raise the quota (kubectl -n team-a describe resourcequota")
                .contains("spec.storage.size cannot go back to 1Gi")
                .contains("delete this GoProxyCache and create it again with a size the quota allows")
                .doesNotContain("lower spec.storage.size");

        var retained = FailureExplainer.explain(claimRefused(
                cache(spec -> {
                    spec.getStorage().setSize("5Gi");
                    spec.getStorage().setRetainOnDelete(true);
                }),
                "1Gi",
                quota));
        assertThat(retained.message())
                .contains("adopts it as it is, so give it storage.size 1Gi to keep the cached modules")
                .contains("kubectl -n team-a delete pvc builds-cache");
    }

    @Test
    void aClaimStillPendingCannotGrowYet() {
        var failure = FailureExplainer.explain(claimRefused(
                cache(spec -> spec.getStorage().setSize("5Gi")),
                "1Gi",
                "Pending",
                api(
                        422,
                        "PersistentVolumeClaim \"builds-cache\" is invalid: spec: Forbidden: spec is immutable after "
                                + "creation except resources.requests and volumeAttributesClassName for bound claims\n"
                                + "  core.PersistentVolumeClaimSpec{\n  \t... // 2 identical fields\n")));
        assertThat(failure.reason()).isEqualTo("VolumeExpansionRefused");
        assertThat(failure.message())
                .contains("cannot grow from 1Gi to 5Gi while it is Pending")
                .contains("describe pvc builds-cache")
                .doesNotContain("core.PersistentVolumeClaimSpec");
    }

    @Test
    void permissionAndValidationErrorsAreTellApart() {
        assertThat(FailureExplainer.explain(api(403, "servicemonitors is forbidden"))
                        .reason())
                .isEqualTo("Forbidden");
        assertThat(FailureExplainer.explain(api(422, "spec.accessModes: Forbidden: field is immutable"))
                        .message())
                .contains("field is immutable")
                // a new GoProxyCache of the same name adopts a retained claim: VolumeClaimMismatch says what works
                .doesNotContain("need a new GoProxyCache");
        assertThat(FailureExplainer.explain(new IllegalStateException("boom")).reason())
                .isEqualTo("ReconcileFailed");
    }

    /** Only the cache's own 404 is its deletion: an owned object that is not found is an API error as any other. */
    @Test
    void aCacheDeletedWhileReconciledIsToldApartFromAMissingOwnedObject() {
        var gone = new KubernetesClientException(new StatusBuilder()
                .withCode(404)
                .withMessage("goproxycaches.modproxy.dev \"b\" not found")
                .withNewDetails()
                .withGroup("modproxy.dev")
                .withKind("goproxycaches")
                .withName("b")
                .endDetails()
                .build());
        assertThat(FailureExplainer.explain(gone).reason()).isEqualTo(FailureExplainer.CACHE_DELETED);
        assertThat(FailureExplainer.cacheDeleted(gone)).isTrue();
        var ownedMissing = new KubernetesClientException(new StatusBuilder()
                .withCode(404)
                .withMessage("services \"b\" not found")
                .withNewDetails()
                .withKind("services")
                .withName("b")
                .endDetails()
                .build());
        assertThat(FailureExplainer.explain(ownedMissing).reason()).isEqualTo("ApiError");
        assertThat(FailureExplainer.cacheDeleted(ownedMissing)).isFalse();
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

    /**
     * On a cluster that enforces OwnerReferencesPermissionEnforcement (OpenShift does) only a client that may delete
     * an object may change its owner references, and the operator may not delete its Deployments: when someone
     * removed the Deployment's owner reference, no permission is missing that the operator should be granted.
     */
    @Test
    void anObjectThatLostItsOwnerReferenceIsNamedWithTheDeletionThatLetsTheOperatorMakeItAgain() {
        var cache = cache(spec -> {});
        var orphan = new DeploymentBuilder()
                .withNewMetadata()
                .withName("builds")
                .withNamespace("team-a")
                .addToLabels("app.kubernetes.io/instance", "builds")
                .endMetadata()
                .build();
        var refusal = api(
                403,
                "deployments.apps \"builds\" is forbidden: cannot set an ownerRef on a resource you can't delete: , "
                        + "<nil>");

        var failure = FailureExplainer.explain(new OperatorException(new AggregatedOperatorException(
                "workflow failed", Map.of("deployment", new OwnerReferenceRefusedException(orphan, cache, refusal)))));

        assertThat(failure.reason()).isEqualTo("OwnerReferenceRefused");
        assertThat(FailureExplainer.awaitsAFix(failure)).isTrue();
        assertThat(failure.message())
                .startsWith("The Deployment builds carries this cache's labels but no owner reference: someone "
                        + "removed it")
                .contains("cannot set an ownerRef on a resource you can't delete")
                .contains("Fix: delete it (kubectl -n team-a delete deployment builds); the operator makes it again")
                .contains("pods go with it")
                .doesNotContain("grant");

        var plain = new DeploymentBuilder(orphan)
                .editMetadata()
                .addNewOwnerReference()
                .withApiVersion("modproxy.dev/v1alpha1")
                .withKind("GoProxyCache")
                .withName("builds")
                .withUid("uid-builds")
                .endOwnerReference()
                .endMetadata()
                .build();
        assertThat(new OwnerReferenceRefusedException(plain, cache, refusal).getMessage())
                .contains("names this cache as an owner but not as its controller");

        // where no dependent said which object it was: the API server's answer names it
        var bare = FailureExplainer.explain(refusal);
        assertThat(bare.reason()).isEqualTo("OwnerReferenceRefused");
        assertThat(bare.message())
                .contains("deployments.apps \"builds\"")
                .contains("delete the object the message names")
                .doesNotContain("grant");
    }

    /**
     * The probe's policy webhook refused the Deployment with a 403: "grant the operator's service account" sent the
     * person to RBAC, where nothing is missing. Gatekeeper answers 403, Kyverno 400 with its rules after an empty line.
     */
    @Test
    void aPolicyWebhooksDenialNamesTheWebhookAndWhatItSaidNotAPermission() {
        var gatekeeper = FailureExplainer.explain(new OperatorException(new AggregatedOperatorException(
                "workflow failed",
                Map.of(
                        "deployment",
                        new RuntimeException(
                                "wrapped",
                                api(
                                        403,
                                        "admission webhook \"validation.gatekeeper.sh\" denied the request: "
                                                + "[require-owner] every Deployment needs an owner label"))))));
        assertThat(gatekeeper.reason()).isEqualTo("AdmissionDenied");
        assertThat(FailureExplainer.awaitsAFix(gatekeeper)).isTrue();
        assertThat(gatekeeper.message())
                .startsWith("The cluster's admission webhook \"validation.gatekeeper.sh\" refused an object of the "
                        + "cache: [require-owner] every Deployment needs an owner label.")
                .contains("not a permission the operator lacks")
                .doesNotContain("grant");

        var kyverno = FailureExplainer.explain(api(
                400,
                "admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\nresource "
                        + "Deployment/team-a/builds was blocked due to the following policies \n\nrequire-labels:\n  "
                        + "check-team: 'validation error: label team is required'\n"));
        assertThat(kyverno.reason()).isEqualTo("AdmissionDenied");
        assertThat(kyverno.message())
                .startsWith("The cluster's admission webhook \"validate.kyverno.svc-fail\" refused an object of the "
                        + "cache: resource Deployment/team-a/builds was blocked due to the following policies (the rest "
                        + "of the API server's answer is in the operator's log)")
                .doesNotContain("\n")
                .doesNotContain("Fix the spec field it names");

        var silent = FailureExplainer.explain(
                api(400, "admission webhook \"deny-all.example.com\" denied the request without explanation"));
        assertThat(silent.message())
                .startsWith("The cluster's admission webhook \"deny-all.example.com\" refused an object of the cache: "
                        + "it gave no reason.");

        // a ValidatingAdmissionPolicy answers 403 or, with reason Invalid, 422: neither a permission nor a spec field
        var policy = FailureExplainer.explain(new KubernetesClientException(new StatusBuilder()
                .withCode(422)
                .withMessage("configmaps \"builds-config\" is forbidden: ValidatingAdmissionPolicy 'require-team' with "
                        + "binding 'require-team-everywhere' denied request: every object needs a team label")
                .withNewDetails()
                .withKind("configmaps")
                .withName("builds-config")
                .endDetails()
                .build()));
        assertThat(policy.reason()).isEqualTo("AdmissionDenied");
        assertThat(policy.message())
                .startsWith("The cluster's ValidatingAdmissionPolicy 'require-team' with binding "
                        + "'require-team-everywhere' refused the cache's configmaps builds-config: every object needs a "
                        + "team label.")
                .doesNotContain("Fix the spec field it names");
    }

    /** The API server follows an invalid object's first line with a diff of Go structs: kept for the log only. */
    @Test
    void anAnswerWithADiffOfTheObjectShowsItsFirstLineAndLogsTheRest() {
        String diff = "Service \"builds\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.0.0.9\"}: "
                + "may not change once set\n  core.ServiceSpec{\n  \t... // 2 identical fields\n  }\n";
        var refused = new OperatorException(new AggregatedOperatorException(
                "workflow failed", Map.of("service", new RuntimeException("wrapped", api(422, diff)))));

        var failure = FailureExplainer.explain(refused);

        assertThat(failure.reason()).isEqualTo("Rejected");
        assertThat(failure.message())
                .contains("may not change once set (the rest of the API server's answer is in the operator's log)")
                .doesNotContain("core.ServiceSpec")
                .doesNotContain("\n");
        assertThat(FailureExplainer.omittedDetail(refused)).contains(diff);
        assertThat(FailureExplainer.omittedDetail(api(403, "servicemonitors is forbidden")))
                .isEmpty();
    }

    private static GoProxyCache cache(Consumer<GoProxyCacheSpec> customize) {
        return CacheFixtures.cache("team-a", "builds", customize);
    }

    private static VolumeClaimRefusedException claimRefused(
            GoProxyCache cache, String size, KubernetesClientException answer) {
        return claimRefused(cache, size, "Bound", answer);
    }

    /** The claim of {@code size} the operator tried to grow to the cache's spec.storage.size, and the answer. */
    private static VolumeClaimRefusedException claimRefused(
            GoProxyCache cache, String size, String phase, KubernetesClientException answer) {
        var actual = new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("builds-cache")
                .withNamespace("team-a")
                .endMetadata()
                .withNewSpec()
                .withStorageClassName("slow")
                .withAccessModes("ReadWriteOnce")
                .withNewResources()
                .addToRequests("storage", new Quantity(size))
                .endResources()
                .endSpec()
                .withNewStatus()
                .withPhase(phase)
                .endStatus()
                .build();
        var desired = new PersistentVolumeClaimBuilder(actual)
                .editSpec()
                .editResources()
                .addToRequests(
                        "storage", new Quantity(cache.getSpec().getStorage().getSize()))
                .endResources()
                .endSpec()
                .build();
        return new VolumeClaimRefusedException(actual, desired, cache, answer);
    }

    private static KubernetesClientException api(int code, String message) {
        return new KubernetesClientException(
                new StatusBuilder().withCode(code).withMessage(message).build());
    }
}
