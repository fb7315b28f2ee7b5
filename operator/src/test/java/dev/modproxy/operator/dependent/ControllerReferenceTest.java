package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every object a cache makes names it as its one controller, and an older object's plain reference is corrected. */
class ControllerReferenceTest {

    private final GoProxyCache cache = cache("team-a", "builds", spec -> {});

    /** What an operator before controller references wrote: the cache as a plain owner. */
    private final OwnerReference plainReference = new OwnerReferenceBuilder()
            .withApiVersion("modproxy.dev/v1alpha1")
            .withKind("GoProxyCache")
            .withName("builds")
            .withUid("uid-builds")
            .build();

    private final OwnerReference otherOwner = new OwnerReferenceBuilder()
            .withApiVersion("v1")
            .withKind("ConfigMap")
            .withName("someone-elses")
            .withUid("uid-other")
            .build();

    @Test
    void everyObjectTheCacheMakesNamesItAsItsOneController() {
        Map<CacheOwnedDependent<?>, HasMetadata> made = Map.of(
                new ProxyConfigMapDependent(), new ConfigMap(),
                new CacheVolumeClaimDependent(), new PersistentVolumeClaim(),
                new ProxyDeploymentDependent(), new Deployment(),
                new ProxyServiceDependent(), new Service(),
                new ProxyManagementServiceDependent(), new Service(),
                new ProxyDisruptionBudgetDependent(), new PodDisruptionBudget(),
                new ProxyNetworkPolicyDependent(), new NetworkPolicy(),
                new ServiceMonitorDependent(), new ServiceMonitor());

        made.forEach((dependent, object) -> {
            object.setMetadata(CacheNames.metadata(cache, "builds"));
            reference(dependent, object);
            assertThat(object.getMetadata().getOwnerReferences())
                    .as(dependent.getClass().getSimpleName())
                    .singleElement()
                    .satisfies(ref -> {
                        assertThat(ref.getController()).isTrue();
                        assertThat(ref.getBlockOwnerDeletion()).isNull();
                        assertThat(ref.getApiVersion()).isEqualTo("modproxy.dev/v1alpha1");
                        assertThat(ref.getKind()).isEqualTo("GoProxyCache");
                        assertThat(ref.getName()).isEqualTo("builds");
                        assertThat(ref.getUid()).isEqualTo("uid-builds");
                    });
        });
    }

    @Test
    void anObjectWithAPlainReferenceToTheCacheDoesNotMatchUntilItIsTheController() {
        ProxyConfigMapDependent dependent = new ProxyConfigMapDependent();
        assertThat(dependent.hasWantedReference(cache, configMapOwnedBy(plainReference)))
                .isFalse();
        assertThat(dependent.hasWantedReference(cache, configMapOwnedBy())).isFalse();
        assertThat(dependent.hasWantedReference(cache, configMapOwnedBy(otherOwner, ControllerReference.of(cache))))
                .isTrue();
    }

    @Test
    void thePlainReferenceIsReplacedByTheControllerReferenceAndOtherOwnersStay() {
        assertThat(ControllerReference.wanted(cache, configMapOwnedBy(otherOwner, plainReference), true))
                .containsExactly(otherOwner, ControllerReference.of(cache));
        assertThat(ControllerReference.wanted(cache, configMapOwnedBy(), true))
                .containsExactly(ControllerReference.of(cache));
    }

    @Test
    void aRetainedVolumeMatchesOnlyWithoutAnyReferenceToTheCache() {
        GoProxyCache retaining =
                cache("team-a", "builds", spec -> spec.getStorage().setRetainOnDelete(true));
        CacheVolumeClaimDependent dependent = new CacheVolumeClaimDependent();
        PersistentVolumeClaim claim = CacheVolumeClaimDependent.desiredClaim(retaining, Optional.empty());

        assertThat(dependent.hasWantedReference(retaining, claim)).isTrue();
        assertThat(dependent.hasWantedReference(retaining, claimOwnedBy(claim, plainReference)))
                .isFalse();
        assertThat(dependent.hasWantedReference(retaining, claimOwnedBy(claim, ControllerReference.of(cache))))
                .isFalse();
        assertThat(ControllerReference.wanted(retaining, claimOwnedBy(claim, otherOwner, plainReference), false))
                .containsExactly(otherOwner);
    }

    /**
     * A create refused because the name is taken (409) looks at what holds it: the cache's own object that lost its
     * managed-by label, or an orphan of its earlier self with its labels, is taken back; another cache's object, or
     * one without the cache's labels, is someone else's; one a deleted cache of this name controls is about to go.
     */
    @Test
    void anObjectInTheWayIsTheCachesOnlyWhenItControlsItOrItIsAnUncontrolledObjectWithItsLabels() {
        ProxyConfigMapDependent dependent = new ProxyConfigMapDependent();
        ConfigMap unlabelledOwn = configMapOwnedBy(ControllerReference.of(cache));
        assertThat(dependent.madeFor(cache, unlabelledOwn)).isTrue();

        ConfigMap orphan = configMapOwnedBy();
        orphan.getMetadata().setLabels(CacheNames.labels(cache));
        assertThat(dependent.madeFor(cache, orphan)).isTrue();

        assertThat(dependent.madeFor(cache, configMapOwnedBy()))
                .as("someone else's, unlabelled")
                .isFalse();
        GoProxyCache other = cache("team-a", "builds-management", spec -> {});
        ConfigMap anotherCaches = configMapOwnedBy(ControllerReference.of(cache));
        anotherCaches.getMetadata().setLabels(CacheNames.labels(cache));
        assertThat(dependent.madeFor(other, anotherCaches))
                .as("another cache's")
                .isFalse();
        assertThat(ControllerReference.controlledByEarlier(other, anotherCaches))
                .isFalse();

        GoProxyCache recreated = cache("team-a", "builds", spec -> {});
        recreated.getMetadata().setUid("uid-builds-2");
        assertThat(ControllerReference.controlledByEarlier(recreated, anotherCaches))
                .isTrue();
        assertThat(ControllerReference.controlledByEarlier(cache, anotherCaches))
                .isFalse();
    }

    /**
     * The informers give an object to the cache its owner references name, or, when nothing controls it, to the one
     * its labels name: a Deployment orphaned by kubectl delete --cascade=orphan is the cache's made again after an
     * operator restart too, where by owner reference alone it was "missing" then; another controller's never is.
     */
    @Test
    void anObjectIsTheCachesItsOwnerReferencesNameOrUncontrolledItsLabels() {
        ResourceID builds = new ResourceID("builds", "team-a");
        Deployment controlled = ProxyDeploymentDependent.desiredDeployment(cache);
        reference(new ProxyDeploymentDependent(), controlled);
        assertThat(CacheOwnedDependent.cachesOf(controlled)).containsExactly(builds);

        Deployment orphan = ProxyDeploymentDependent.desiredDeployment(cache);
        assertThat(orphan.getMetadata().getOwnerReferences()).isEmpty();
        assertThat(CacheOwnedDependent.cachesOf(orphan)).containsExactly(builds);

        Deployment plainlyOwned = ProxyDeploymentDependent.desiredDeployment(cache);
        plainlyOwned.getMetadata().setOwnerReferences(List.of(plainReference));
        assertThat(CacheOwnedDependent.cachesOf(plainlyOwned)).containsExactly(builds);

        Deployment someoneElses = ProxyDeploymentDependent.desiredDeployment(cache);
        someoneElses
                .getMetadata()
                .setOwnerReferences(List.of(new OwnerReferenceBuilder(otherOwner)
                        .withController(true)
                        .build()));
        assertThat(CacheOwnedDependent.cachesOf(someoneElses)).isEmpty();

        ConfigMap unlabelled = configMapOwnedBy();
        unlabelled.getMetadata().setNamespace("team-a");
        assertThat(CacheOwnedDependent.cachesOf(unlabelled)).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private <R extends HasMetadata> void reference(CacheOwnedDependent<R> dependent, HasMetadata object) {
        dependent.addReferenceHandlingMetadata((R) object, cache);
    }

    private static ConfigMap configMapOwnedBy(OwnerReference... owners) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName("builds-config")
                .withOwnerReferences(List.of(owners))
                .endMetadata()
                .build();
    }

    private static PersistentVolumeClaim claimOwnedBy(PersistentVolumeClaim claim, OwnerReference... owners) {
        return new PersistentVolumeClaimBuilder(claim)
                .editMetadata()
                .withOwnerReferences(List.of(owners))
                .endMetadata()
                .build();
    }
}
