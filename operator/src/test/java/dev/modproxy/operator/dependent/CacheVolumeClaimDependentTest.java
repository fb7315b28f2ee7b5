package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CacheVolumeClaimDependentTest {

    private final CacheVolumeClaimDependent dependent = new CacheVolumeClaimDependent();

    @Test
    void newVolumeHasTheRequestedSizeClassAndModes() {
        PersistentVolumeClaim claim = CacheVolumeClaimDependent.desiredClaim(
                cache(spec -> {
                    spec.getStorage().setSize("50Gi");
                    spec.getStorage().setStorageClassName("fast");
                    spec.getStorage().setAccessModes(List.of("ReadWriteMany"));
                }),
                Optional.empty());

        assertThat(claim.getMetadata().getName()).isEqualTo("gpc-cache");
        assertThat(claim.getSpec().getResources().getRequests()).containsEntry("storage", new Quantity("50Gi"));
        assertThat(claim.getSpec().getStorageClassName()).isEqualTo("fast");
        assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
    }

    @Test
    void volumeGrowsButIsNeverAskedToShrink() {
        GoProxyCache grow = cache(spec -> spec.getStorage().setSize("20Gi"));
        assertThat(size(CacheVolumeClaimDependent.desiredClaim(grow, Optional.of(new Quantity("10Gi")))))
                .isEqualTo(new Quantity("20Gi"));

        GoProxyCache shrink = cache(spec -> spec.getStorage().setSize("5Gi"));
        assertThat(size(CacheVolumeClaimDependent.desiredClaim(shrink, Optional.of(new Quantity("10Gi")))))
                .isEqualTo(new Quantity("10Gi"));
    }

    @Test
    void aSizeTheApiServerWritesOtherwiseIsAskedForAsItHoldsIt() {
        // The API server stores a quantity in its canonical form ("1.5Gi" becomes "1536Mi"); asking for the
        // spec's spelling of the same size again would rewrite the claim on every reconciliation.
        GoProxyCache sameInOtherUnits = cache(spec -> spec.getStorage().setSize("10240Mi"));
        assertThat(size(CacheVolumeClaimDependent.desiredClaim(sameInOtherUnits, Optional.of(new Quantity("10Gi"))))
                        .toString())
                .isEqualTo("10Gi");
        GoProxyCache fraction = cache(spec -> spec.getStorage().setSize("1.5Gi"));
        assertThat(size(CacheVolumeClaimDependent.desiredClaim(fraction, Optional.of(new Quantity("1536Mi"))))
                        .toString())
                .isEqualTo("1536Mi");
        // a new claim asks for what the spec says
        assertThat(size(CacheVolumeClaimDependent.desiredClaim(fraction, Optional.empty()))
                        .toString())
                .isEqualTo("1.5Gi");
    }

    @Test
    void volumeIsOwnedByTheCacheUnlessItIsRetained() {
        GoProxyCache owned = cache(spec -> {});
        PersistentVolumeClaim ownedClaim = CacheVolumeClaimDependent.desiredClaim(owned, Optional.empty());
        dependent.addReferenceHandlingMetadata(ownedClaim, owned);
        assertThat(ownedClaim.getMetadata().getOwnerReferences())
                .singleElement()
                .satisfies(ref -> {
                    assertThat(ref.getUid()).isEqualTo("uid-gpc");
                    assertThat(ref.getController()).isTrue();
                });

        GoProxyCache retained = cache(spec -> spec.getStorage().setRetainOnDelete(true));
        PersistentVolumeClaim retainedClaim = CacheVolumeClaimDependent.desiredClaim(retained, Optional.empty());
        dependent.addReferenceHandlingMetadata(retainedClaim, retained);
        assertThat(retainedClaim.getMetadata().getOwnerReferences()).isEmpty();
    }

    @Test
    void volumeEventsReachTheCacheThroughItsInstanceLabel() {
        GoProxyCache cache = cache("team-a", "builds", spec -> spec.getStorage().setRetainOnDelete(true));
        PersistentVolumeClaim claim = CacheVolumeClaimDependent.desiredClaim(cache, Optional.empty());
        assertThat(CacheOwnedDependent.cachesOf(claim)).containsExactly(new ResourceID("builds", "team-a"));
    }

    /**
     * A claim kept by retainOnDelete, adopted by a new cache of the same name that asks for other access modes: the
     * API server would refuse the update with a diff of Go structs, and advice to make a new GoProxyCache would not
     * help, since a new one adopts the same claim. The message says what differs and what works.
     */
    @Test
    void aRetainedClaimWithOtherAccessModesIsNamedWithTheWaysOut() {
        GoProxyCache shared = cache("team-a", "kept", spec -> {
            spec.getStorage().setRetainOnDelete(true);
            spec.getStorage().setAccessModes(List.of("ReadWriteMany"));
            spec.setReplicas(2);
        });
        PersistentVolumeClaim retained = new PersistentVolumeClaimBuilder(CacheVolumeClaimDependent.desiredClaim(
                        cache("team-a", "kept", spec -> spec.getStorage().setRetainOnDelete(true)), Optional.empty()))
                .editSpec()
                .withStorageClassName("standard")
                .endSpec()
                .build();

        Optional<VolumeClaimMismatchException> mismatch = VolumeClaimMismatchException.of(
                retained, CacheVolumeClaimDependent.desiredClaim(shared, Optional.empty()), shared);

        assertThat(mismatch).isPresent();
        assertThat(mismatch.get().getMessage())
                .startsWith("The volume claim kept-cache exists with access modes [ReadWriteOnce], but spec.storage "
                        + "asks for [ReadWriteMany].")
                .contains("any GoProxyCache of this name adopts it")
                .contains("Fix: delete the claim (kubectl -n team-a delete pvc kept-cache;")
                .contains("storage.accessModes [ReadWriteOnce] and replicas: 1")
                .doesNotContain("\n")
                .doesNotContain("StorageClass");

        GoProxyCache sameModes =
                cache("team-a", "kept", spec -> spec.getStorage().setRetainOnDelete(true));
        assertThat(VolumeClaimMismatchException.of(
                        retained, CacheVolumeClaimDependent.desiredClaim(sameModes, Optional.empty()), sameModes))
                .as("no class in the spec: the one the cluster gave the claim is fine")
                .isEmpty();
        GoProxyCache otherClass = cache("team-a", "kept", spec -> {
            spec.getStorage().setRetainOnDelete(true);
            spec.getStorage().setStorageClassName("fast");
        });
        assertThat(VolumeClaimMismatchException.of(
                                retained,
                                CacheVolumeClaimDependent.desiredClaim(otherClass, Optional.empty()),
                                otherClass)
                        .map(RuntimeException::getMessage))
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("exists with StorageClass standard, but spec.storage asks for StorageClass fast")
                        .contains("storage.storageClassName standard"));
    }

    private static Quantity size(PersistentVolumeClaim claim) {
        return claim.getSpec().getResources().getRequests().get("storage");
    }
}
