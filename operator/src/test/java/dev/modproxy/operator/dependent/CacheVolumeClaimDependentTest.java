package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
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
        assertThat(dependent.toPrimaryResourceIDs(claim)).containsExactly(new ResourceID("builds", "team-a"));
    }

    private static Quantity size(PersistentVolumeClaim claim) {
        return claim.getSpec().getResources().getRequests().get("storage");
    }
}
