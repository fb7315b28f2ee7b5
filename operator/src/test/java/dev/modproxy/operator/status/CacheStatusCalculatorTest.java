package dev.modproxy.operator.status;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.dependent.CacheNames;
import dev.modproxy.operator.dependent.PodTemplateDrift;
import dev.modproxy.operator.dependent.ReplicasTakeBack;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CacheStatusCalculatorTest {

    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
    private static final Instant T1 = Instant.parse("2026-01-01T10:05:00Z");
    private final GoProxyCache cache = cache("team-a", "builds", spec -> {});

    @Test
    void readyOnlyWhenTheDeploymentIsAvailableWithAReadyPod() {
        assertThat(condition(compute(seen(null, null)), CacheCondition.READY).getReason())
                .isEqualTo("DeploymentMissing");

        GoProxyCacheStatus starting = compute(seen(deployment(1, 0, false), service()));
        assertThat(condition(starting, CacheCondition.READY).getStatus()).isEqualTo("False");
        assertThat(condition(starting, CacheCondition.READY).getMessage())
                .contains("app.kubernetes.io/instance=builds");
        assertThat(condition(starting, CacheCondition.PROGRESSING).getStatus()).isEqualTo("True");

        GoProxyCacheStatus available = compute(seen(deployment(1, 1, true), service()));
        assertThat(condition(available, CacheCondition.READY).getStatus()).isEqualTo("True");
        assertThat(condition(available, CacheCondition.PROGRESSING).getStatus()).isEqualTo("False");
        assertThat(condition(available, CacheCondition.DEGRADED).getStatus()).isEqualTo("False");
        assertThat(available.getUrl()).isEqualTo("http://builds.team-a.svc");
        assertThat(available.getReadyReplicas()).isEqualTo(1);
        assertThat(available.getObservedGeneration()).isEqualTo(1L);
    }

    /**
     * What the scale subresource reports, and a HorizontalPodAutoscaler reads: the pods the Deployment has (a pod
     * surged in a roll-out counts, ready or not) and the Deployment's selector, sorted by key as Kubernetes writes it.
     */
    @Test
    void theScaleStatusIsThePodsTheDeploymentHasAndItsSelector() {
        Deployment surging = deployment(1, 1, true);
        surging.getStatus().setReplicas(2);
        surging.getSpec()
                .setSelector(new LabelSelectorBuilder()
                        .withMatchLabels(CacheNames.selector(cache))
                        .build());

        GoProxyCacheStatus status = compute(seen(surging, service()));

        assertThat(status.getReplicas()).isEqualTo(2);
        assertThat(status.getReadyReplicas()).isEqualTo(1);
        assertThat(status.getSelector())
                .isEqualTo("app.kubernetes.io/component=proxy,app.kubernetes.io/instance=builds,"
                        + "app.kubernetes.io/name=modproxy");

        Deployment settled = deployment(1, 1, true);
        settled.getSpec().setSelector(surging.getSpec().getSelector());
        assertThat(compute(seen(settled, service())))
                .as("a status whose replicas changed is written")
                .isNotEqualTo(status);
        surging.getSpec().getSelector().getMatchLabels().put("app.kubernetes.io/instance", "other");
        assertThat(compute(seen(surging, service())))
                .as("a status whose selector changed is written")
                .isNotEqualTo(status);

        Deployment noPodsYet = deployment(1, 0, false);
        noPodsYet.setStatus(null);
        assertThat(compute(seen(noPodsYet, service())).getReplicas()).isZero();
        GoProxyCacheStatus missing = compute(seen(null, null));
        assertThat(missing.getReplicas()).isNull();
        assertThat(missing.getSelector()).isNull();
    }

    /**
     * A cache whose upstream is off fetches nothing: it serves what its storage holds and answers 410 for the rest,
     * and build pods, given GOPROXY=cache|off by default, then stop at "module lookup disabled". Ready said only "1
     * proxy pod(s) serve ...", like any cache's; it now says what the cache serves and where builds look for the rest.
     */
    @Test
    void aCacheWhoseUpstreamIsOffSaysInReadyThatItServesOnlyWhatItHolds() {
        Observation serving = seen(deployment(1, 1, true), service());
        CacheCondition off = condition(
                CacheStatusCalculator.compute(cache("team-a", "builds", spec -> spec.setUpstream("off")), serving, T0),
                CacheCondition.READY);
        assertThat(off.getStatus()).isEqualTo("True");
        assertThat(off.getReason()).isEqualTo("Available");
        assertThat(off.getMessage())
                .startsWith("1 proxy pod(s) serve http://builds.team-a.svc. spec.upstream is off, so the cache fetches "
                        + "no module: it serves only those its volume already holds and answers 410 for any other")
                .contains("spec.injection.fallback (off), where their go command stops: \"module lookup disabled by "
                        + "GOPROXY=off\"")
                .endsWith("set spec.upstream to a GOPROXY list such as https://proxy.golang.org.");
        // nothing else needs attention: off may be what the platform team wants (a cache that serves what it holds)
        assertThat(condition(
                                CacheStatusCalculator.compute(
                                        cache("team-a", "builds", spec -> spec.setUpstream("off")), serving, T0),
                                CacheCondition.DEGRADED)
                        .getReason())
                .isEqualTo("AsExpected");

        CacheCondition sharedBucket = condition(
                CacheStatusCalculator.compute(
                        cache("team-a", "builds", spec -> {
                            spec.setUpstream(" off ");
                            ObjectStorage bucket = new ObjectStorage();
                            bucket.setBucket("go-modules");
                            spec.setObjectStorage(bucket);
                            spec.getInjection().setFallback("https://goproxy.cn,direct");
                        }),
                        serving,
                        T0),
                CacheCondition.READY);
        assertThat(sharedBucket.getMessage())
                .contains("spec.upstream is off", "the bucket go-modules (spec.objectStorage) already holds")
                .contains("spec.injection.fallback (https://goproxy.cn,direct).")
                .doesNotContain("module lookup disabled", "its volume");

        CacheCondition direct = condition(
                CacheStatusCalculator.compute(
                        cache("team-a", "builds", spec -> spec.setUpstream("direct,https://proxy.golang.org")),
                        serving,
                        T0),
                CacheCondition.READY);
        assertThat(direct.getMessage())
                .contains(
                        "spec.upstream starts with direct (what follows it is never tried), so the cache fetches no "
                                + "module",
                        "answers 404")
                .contains(": direct, so their go command fetches it from its origin (version control) itself.");

        // an upstream that fetches, off after it included, and one the operator cannot read say nothing more
        for (String fetching : List.of("https://proxy.golang.org", "https://goproxy.cn,off", "ftp://mirror")) {
            assertThat(condition(
                                    CacheStatusCalculator.compute(
                                            cache("team-a", "builds", spec -> spec.setUpstream(fetching)), serving, T0),
                                    CacheCondition.READY)
                            .getMessage())
                    .as(fetching)
                    .isEqualTo("1 proxy pod(s) serve http://builds.team-a.svc.");
        }
    }

    @Test
    void readyPodsWithoutTheCachesServiceAreNotReadySinceBuildPodsGetNoUrl() {
        GoProxyCacheStatus status = compute(seen(deployment(1, 1, true), null));
        CacheCondition ready = condition(status, CacheCondition.READY);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("ServiceMissing");
        assertThat(ready.getMessage()).contains("the Service builds");
        assertThat(status.getUrl()).isNull();
    }

    @Test
    void availableButStillRollingIsReadyAndProgressing() {
        GoProxyCacheStatus rolling = compute(seen(deployment(3, 1, true), service()));
        assertThat(condition(rolling, CacheCondition.READY).getStatus()).isEqualTo("True");
        assertThat(condition(rolling, CacheCondition.PROGRESSING).getStatus()).isEqualTo("True");
        assertThat(condition(rolling, CacheCondition.PROGRESSING).getMessage()).contains("1 ready");
    }

    /**
     * Pods that turn unready after their rollout finished (their nodes went NotReady in an API server outage) are no
     * rollout: the Deployment still says Progressing=True NewReplicaSetAvailable of its current generation, and the
     * cache says Ready=False PodsNotReady, not "RollingOut" (100 caches once looked like 100 rollouts).
     */
    @Test
    void podsThatTurnUnreadyAfterTheirRolloutAreNotReportedAsARollout() {
        cache.setStatus(compute(seen(withProgressing(deployment(1, 1, true), "NewReplicaSetAvailable"), service())));
        assertThat(condition(cache.getStatus(), CacheCondition.PROGRESSING).getReason())
                .isEqualTo("RolledOut");
        Deployment unready = withProgressing(deployment(1, 0, false), "NewReplicaSetAvailable");

        GoProxyCacheStatus status = compute(seen(unready, service()));

        CacheCondition progressing = condition(status, CacheCondition.PROGRESSING);
        assertThat(progressing.getStatus()).isEqualTo("False");
        assertThat(progressing.getReason()).isEqualTo("RolledOut");
        CacheCondition ready = condition(status, CacheCondition.READY);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("PodsNotReady");
    }

    /**
     * A rollout whose new pods are not ready yet is in flight: the Deployment controller replaced its
     * NewReplicaSetAvailable when it created the new ReplicaSet, or has not seen the new template yet.
     */
    @Test
    void aRolloutWhoseNewPodsAreNotReadyYetIsStillRollingOut() {
        Deployment newPodsStarting = withProgressing(deployment(1, 0, false), "NewReplicaSetCreated");
        Deployment templateNotSeenYet = withProgressing(deployment(1, 1, true), "NewReplicaSetAvailable");
        templateNotSeenYet.getMetadata().setGeneration(3L);
        Deployment oldPodStillThere = withProgressing(deployment(1, 1, true), "NewReplicaSetAvailable");
        oldPodStillThere.getStatus().setReplicas(2);

        for (Deployment rolling : List.of(newPodsStarting, templateNotSeenYet, oldPodStillThere)) {
            CacheCondition progressing = condition(compute(seen(rolling, service())), CacheCondition.PROGRESSING);
            assertThat(progressing.getStatus())
                    .as(rolling.getStatus().toString())
                    .isEqualTo("True");
            assertThat(progressing.getReason()).isEqualTo("RollingOut");
        }
        assertThat(condition(compute(seen(newPodsStarting, service())), CacheCondition.PROGRESSING)
                        .getMessage())
                .isEqualTo("1 of 1 proxy pod(s) updated, 0 ready.");
    }

    /**
     * The Deployment controller keeps Progressing=True NewReplicaSetAvailable through a scale-up (it estimates no
     * progress while every pod is of the new ReplicaSet): the new pods are rolling out until ready (the status said
     * RolledOut with one pod, three are wanted), and a cache seen for the first time with pods not ready is not taken
     * for rolled out either.
     */
    @Test
    void aScaleUpWhoseNewPodsAreNotReadyYetIsRollingOut() {
        cache.setStatus(compute(seen(withProgressing(deployment(1, 1, true), "NewReplicaSetAvailable"), service())));
        cache.getMetadata().setGeneration(cache.getMetadata().getGeneration() + 1); // spec.replicas: 3
        Deployment scaledUp = withProgressing(deployment(3, 1, true), "NewReplicaSetAvailable");
        scaledUp.getMetadata().setGeneration(3L);
        scaledUp.getStatus().setObservedGeneration(3L);

        CacheCondition progressing = condition(compute(seen(scaledUp, service())), CacheCondition.PROGRESSING);

        assertThat(progressing.getStatus()).as(progressing.getMessage()).isEqualTo("True");
        assertThat(progressing.getReason()).isEqualTo("RollingOut");
        assertThat(progressing.getMessage()).isEqualTo("3 of 3 proxy pod(s) updated, 1 ready.");

        cache.setStatus(null);
        assertThat(condition(
                                compute(seen(
                                        withProgressing(deployment(1, 0, false), "NewReplicaSetAvailable"), service())),
                                CacheCondition.PROGRESSING)
                        .getReason())
                .as("no earlier status says the pods ran this spec")
                .isEqualTo("RollingOut");
    }

    /**
     * An edit of the cache that leaves the Deployment alone (holdRollout, a Service or volume field) while a pod is
     * unready is no rollout either: nothing rolls, the Deployment keeps its pods and NewReplicaSetAvailable. Keyed on
     * the cache's spec generation, it said Progressing=True RollingOut.
     */
    @Test
    void anEditOfTheCacheWhileAPodIsUnreadyIsNoRollout() {
        cache.setStatus(compute(seen(withProgressing(deployment(3, 3, true), "NewReplicaSetAvailable"), service())));
        assertThat(condition(cache.getStatus(), CacheCondition.PROGRESSING).getReason())
                .isEqualTo("RolledOut");
        cache.getSpec().setHoldRollout(true);
        cache.getMetadata().setGeneration(cache.getMetadata().getGeneration() + 1); // the Deployment is not touched
        Deployment onePodUnready = withProgressing(deployment(3, 2, true), "NewReplicaSetAvailable");

        CacheCondition progressing = condition(compute(seen(onePodUnready, service())), CacheCondition.PROGRESSING);

        assertThat(progressing.getStatus()).as(progressing.getMessage()).isEqualTo("False");
        assertThat(progressing.getReason()).isEqualTo("RolloutHeld");
    }

    /** The Deployment controller's own Progressing=True condition, with the reason it gives. */
    private static Deployment withProgressing(Deployment deployment, String reason) {
        deployment
                .getStatus()
                .getConditions()
                .add(new DeploymentConditionBuilder()
                        .withType("Progressing")
                        .withStatus("True")
                        .withReason(reason)
                        .build());
        return deployment;
    }

    @Test
    void aHeldRolloutSaysSoRatherThanThatThePodsRunTheCurrentSettings() {
        GoProxyCache held = cache("team-a", "builds", spec -> spec.setHoldRollout(true));
        Observation rolledOut = seen(deployment(1, 1, true), service());

        CacheCondition progressing =
                condition(CacheStatusCalculator.compute(held, rolledOut, T0), CacheCondition.PROGRESSING);

        assertThat(progressing.getStatus()).isEqualTo("False");
        assertThat(progressing.getReason()).isEqualTo("RolloutHeld");
        assertThat(progressing.getMessage()).contains("spec.holdRollout");
        assertThat(condition(compute(rolledOut), CacheCondition.PROGRESSING).getReason())
                .as("the same Deployment, nothing held")
                .isEqualTo("RolledOut");
    }

    /**
     * A Deployment rolled out to an earlier spec, which this reconciliation did not update (a refused write, a
     * failed dependent it waits for, an invalid spec): its own status says "rolled out", the cache must not.
     */
    @Test
    void aDeploymentNotUpdatedToTheCurrentSpecIsNotReportedAsRunningItsSettings() {
        Deployment earlier = deployment(1, 1, true);
        Observation refused = observed()
                .deployment(earlier)
                .service(service())
                .failure(new Observation.Failure("Rejected", "The API server rejected an owned object: ..."))
                .notApplied()
                .build();

        CacheCondition progressing = condition(compute(refused), CacheCondition.PROGRESSING);
        assertThat(progressing.getStatus()).isEqualTo("False");
        assertThat(progressing.getReason()).isEqualTo("Rejected");
        assertThat(progressing.getMessage())
                .contains("was not updated to the current spec")
                .contains("see Degraded")
                .doesNotContain("run the current settings");
        assertThat(condition(compute(refused), CacheCondition.READY).getStatus())
                .as("its pods still serve")
                .isEqualTo("True");

        Observation invalid = observed()
                .deployment(earlier)
                .service(service())
                .specProblems(List.of("spec.resources.requests.cpu \"lots\" is not a Kubernetes quantity"))
                .notApplied()
                .build();
        CacheCondition notApplied = condition(compute(invalid), CacheCondition.PROGRESSING);
        assertThat(notApplied.getReason()).isEqualTo("InvalidSpec");
        assertThat(condition(compute(invalid), CacheCondition.DEGRADED).getMessage())
                .contains("the running proxy keeps its previous settings");
        assertThat(notApplied.getMessage()).contains("the spec is invalid");

        Observation failedElsewhere = observed()
                .deployment(earlier)
                .service(service())
                .failure(new Observation.Failure("NameInUse", "The Service builds-management already exists"))
                .build();
        assertThat(condition(compute(failedElsewhere), CacheCondition.PROGRESSING)
                        .getReason())
                .as("a failure of another object, the Deployment applied")
                .isEqualTo("RolledOut");
    }

    @Test
    void specProblemsMakeItDegradedWithTheFix() {
        Observation seen = observed()
                .specProblems(List.of("spec.upstream entry 1 \"x\" is not an http(s) URL"))
                .notApplied()
                .build();
        GoProxyCacheStatus status = CacheStatusCalculator.compute(cache, seen, T0);
        CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo("InvalidSpec");
        assertThat(degraded.getMessage())
                .contains("spec.upstream entry 1")
                .as("no Deployment was ever made: no running proxy keeps anything")
                .contains("no proxy runs for this cache yet")
                .doesNotContain("running proxy keeps");
        CacheCondition progressing = condition(status, CacheCondition.PROGRESSING);
        assertThat(progressing.getStatus())
                .as("no Deployment is being created while the spec is wrong")
                .isEqualTo("False");
        assertThat(progressing.getReason()).isEqualTo("InvalidSpec");
    }

    /**
     * The probe's spec was valid and an unrelated Service held the Deployment's way (NameInUse), but Ready said the
     * Deployment would come "once the spec is valid".
     */
    @Test
    void readySaysWhatKeepsTheDeploymentFromBeingCreated() {
        Observation nameInUse = observed()
                .failure(new Observation.Failure("NameInUse", "The Service builds already exists"))
                .notApplied()
                .build();
        CacheCondition ready = condition(compute(nameInUse), CacheCondition.READY);
        assertThat(ready.getReason()).isEqualTo("DeploymentMissing");
        assertThat(ready.getMessage())
                .isEqualTo("The proxy Deployment does not exist: applying the spec failed (NameInUse); Degraded says "
                        + "why and what to fix.")
                .doesNotContain("once the spec is valid");

        Observation invalid = observed()
                .specProblems(List.of("spec.proxy.mutableTtl \"PXQ\" is not a duration the proxy reads"))
                .notApplied()
                .build();
        assertThat(condition(compute(invalid), CacheCondition.READY).getMessage())
                .contains("once the spec is valid")
                .contains("InvalidSpec");

        assertThat(condition(compute(seen(null, null)), CacheCondition.READY).getMessage())
                .isEqualTo("The proxy Deployment does not exist yet; the operator is creating it.");
    }

    @Test
    void applyFailuresAndStalledRolloutsAreDegraded() {
        Observation failed = observed()
                .failure(new Observation.Failure("QuotaExceeded", "quota"))
                .notApplied()
                .build();
        assertThat(condition(CacheStatusCalculator.compute(cache, failed, T0), CacheCondition.DEGRADED)
                        .getReason())
                .isEqualTo("QuotaExceeded");

        Deployment refused = deployment(1, 0, false);
        refused.getStatus()
                .getConditions()
                .add(new DeploymentConditionBuilder()
                        .withType("ReplicaFailure")
                        .withStatus("True")
                        .withMessage("pods \"builds-x\" is forbidden: exceeded quota: compute")
                        .build());
        CacheCondition degraded = condition(compute(seen(refused, service())), CacheCondition.DEGRADED);
        assertThat(degraded.getReason()).isEqualTo("RolloutFailed");
        assertThat(degraded.getMessage()).contains("exceeded quota").contains("ResourceQuota");
    }

    /**
     * A refusal the API server words at length (40,000 characters here, with four-byte characters where the cut
     * falls) would make it refuse the whole status update over the message's 32,768 bound, leaving every condition
     * stale. The middle goes: what is wrong and how to fix it stay.
     */
    @Test
    void aMessageLongerThanTheApiServerStoresLosesItsMiddleNotItsFix() {
        String refusal = "pods \"builds-x\" is forbidden: " + "\uD83D\uDE00".repeat(20_000);
        CacheCondition degraded = condition(compute(seen(refusedWith(refusal), service())), CacheCondition.DEGRADED);

        String message = degraded.getMessage();
        assertThat(message.codePointCount(0, message.length())).isLessThanOrEqualTo(CacheCondition.MESSAGE_MAX_LENGTH);
        assertThat(message)
                .hasSizeGreaterThan(CacheCondition.MESSAGE_MAX_LENGTH - 100)
                .startsWith("Proxy pods cannot be created: pods \"builds-x\" is forbidden")
                .contains(" [... 40", " characters in all, the middle left out ...] ")
                .endsWith(
                        ". Fix: kubectl -n team-a describe replicaset -l app.kubernetes.io/instance=builds shows what "
                                + "refused them (e.g. spec.serviceAccountName naming no ServiceAccount, an admission webhook).");
        assertThat(message.codePoints().filter(c -> Character.getType(c) == Character.SURROGATE))
                .as("no half of a four-byte character left on either side of the cut")
                .isEmpty();
    }

    /** What the ReplicaSet controller reports when a restricted namespace refuses spec.securityContext's runAsUser: 0. */
    @Test
    void podsRefusedByPodSecurityAdmissionNameTheOverrideNotTheQuota() {
        Deployment refused = refusedWith("pods \"builds-5d9c-x2k\" is forbidden: violates PodSecurity "
                + "\"restricted:latest\": runAsUser=0 (container \"proxy\" must not set runAsUser=0)");
        GoProxyCacheStatus status = compute(seen(refused, service()));

        CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo("RolloutFailed");
        assertThat(degraded.getMessage())
                .contains("violates PodSecurity \"restricted:latest\": runAsUser=0")
                .contains("pod-security.kubernetes.io/enforce")
                .contains("spec.securityContext")
                .doesNotContain("ResourceQuota");
        CacheCondition ready = condition(status, CacheCondition.READY);
        assertThat(ready.getReason()).isEqualTo("PodsNotCreated");
        assertThat(ready.getMessage()).contains("Degraded").doesNotContain("describe pods");
    }

    /** A WaitForFirstConsumer claim stays Pending while no pod exists: the refusal, not the claim, is the cause. */
    @Test
    void refusedPodsAreTheCauseEvenWhileTheirClaimWaitsForAConsumer() {
        Deployment refused = refusedWith(
                "pods \"builds-5d9c-x2k\" is forbidden: violates PodSecurity "
                        + "\"restricted:latest\": privileged (container \"proxy\" must not set securityContext.privileged=true)");
        Observation seen = observed()
                .deployment(refused)
                .claim(claim("10Gi", "Pending"))
                .service(service())
                .build();
        GoProxyCacheStatus status = CacheStatusCalculator.compute(cache, seen, T0);
        assertThat(condition(status, CacheCondition.READY).getReason()).isEqualTo("PodsNotCreated");
        assertThat(condition(status, CacheCondition.DEGRADED).getMessage()).contains("violates PodSecurity");
    }

    @Test
    void podsRefusedForAnotherReasonPointAtTheReplicaSetsEvents() {
        Deployment refused = refusedWith("pods \"builds-5d9c-x2k\" is forbidden: error looking up service account "
                + "team-a/builder: serviceaccount \"builder\" not found");
        CacheCondition degraded = condition(compute(seen(refused, service())), CacheCondition.DEGRADED);
        assertThat(degraded.getMessage())
                .contains("serviceaccount \"builder\" not found")
                .contains("kubectl -n team-a describe replicaset -l app.kubernetes.io/instance=builds")
                .doesNotContain("ResourceQuota");
    }

    private static Deployment refusedWith(String message) {
        Deployment refused = deployment(1, 0, false);
        refused.getStatus()
                .getConditions()
                .add(new DeploymentConditionBuilder()
                        .withType("ReplicaFailure")
                        .withStatus("True")
                        .withReason("FailedCreate")
                        .withMessage(message)
                        .build());
        return refused;
    }

    @Test
    void shrinkingBelowTheExistingVolumeIsReported() {
        GoProxyCache shrunk =
                cache("team-a", "builds", spec -> spec.getStorage().setSize("5Gi"));
        Observation seen = observed().claim(claim("10Gi")).build();
        GoProxyCacheStatus status = CacheStatusCalculator.compute(shrunk, seen, T0);
        CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
        assertThat(degraded.getReason()).isEqualTo("StorageShrinkRefused");
        assertThat(degraded.getMessage()).contains("at least 10Gi");
        assertThat(status.getStorageCapacity()).isEqualTo("10Gi");
    }

    /**
     * A volume claim deleted by hand ({@code kubectl delete pvc}) stays, Terminating, while proxy pods use it, and no
     * new pod may mount it: a rolling update of a cache with several pods waits on it for ever (its new pod Pending,
     * "persistentvolumeclaim is being deleted", the old ones keeping the claim), and the claim goes with the modules
     * cached on it once the last pod stops. The cache once said Progressing=True RollingOut and Degraded=False
     * "Nothing needs attention" throughout.
     */
    @Test
    void aVolumeClaimBeingDeletedIsDegradedSayingTheModulesGoAndHowToLetTheRolloutOn() {
        PersistentVolumeClaim deleting = claim("10Gi");
        deleting.getMetadata().setDeletionTimestamp("2026-01-01T09:58:00Z");
        deleting.getMetadata().setFinalizers(List.of("kubernetes.io/pvc-protection"));
        Deployment rolling = deployment(2, 2, true);
        rolling.getStatus().setUpdatedReplicas(1);
        rolling.getStatus().setReplicas(3);
        Observation seen = observed()
                .deployment(rolling)
                .claim(deleting)
                .service(service())
                .build();

        GoProxyCacheStatus status = compute(seen);

        CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo("VolumeClaimDeleting");
        assertThat(degraded.getMessage())
                .contains("The volume claim builds-cache is being deleted (since 2026-01-01T09:58:00Z)")
                .contains("modules cached on it")
                .contains("kubectl -n team-a delete pods -l app.kubernetes.io/instance=builds");
        CacheCondition progressing = condition(status, CacheCondition.PROGRESSING);
        assertThat(progressing.getStatus()).isEqualTo("False");
        assertThat(progressing.getReason()).isEqualTo(CacheStatusCalculator.ROLLOUT_STUCK);
        assertThat(progressing.getMessage()).contains("(VolumeClaimDeleting)");
        assertThat(condition(status, CacheCondition.READY).getStatus())
                .as("its pods still serve")
                .isEqualTo("True");

        Observation kept = observed()
                .deployment(deployment(1, 1, true))
                .claim(claim("10Gi"))
                .service(service())
                .build();
        assertThat(condition(compute(kept), CacheCondition.DEGRADED).getReason())
                .isEqualTo("AsExpected");

        GoProxyCache movedToObjectStorage = cache("team-a", "builds", spec -> {
            ObjectStorage bucket = new ObjectStorage();
            bucket.setBucket("modules");
            spec.setObjectStorage(bucket);
        });
        assertThat(condition(CacheStatusCalculator.compute(movedToObjectStorage, seen, T0), CacheCondition.DEGRADED)
                        .getReason())
                .as("the operator deletes the claim itself on a move to object storage, whose pods do not mount it")
                .isEqualTo("AsExpected");
    }

    @Test
    void aClaimPendingOnAStorageClassThatDoesNotExistIsDegradedNamingTheClassAndTheFix() {
        Observation seen = observed()
                .deployment(deployment(1, 0, false))
                .claim(claim("10Gi", "Pending"))
                .service(service())
                .missingStorageClass("fast-sdd")
                .build();
        CacheCondition degraded = condition(compute(seen), CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo("StorageClassNotFound");
        assertThat(degraded.getMessage())
                .contains("builds-cache is Pending: StorageClass \"fast-sdd\" does not exist")
                .contains("kubectl get storageclass")
                .contains("delete this GoProxyCache")
                .doesNotContain("delete pvc");
        assertThat(condition(compute(seen), CacheCondition.READY).getReason()).isEqualTo("VolumeClaimPending");

        GoProxyCache retaining =
                cache("team-a", "builds", spec -> spec.getStorage().setRetainOnDelete(true));
        assertThat(condition(CacheStatusCalculator.compute(retaining, seen, T0), CacheCondition.DEGRADED)
                        .getMessage())
                .endsWith("delete it too first: kubectl -n team-a delete pvc builds-cache.");
    }

    @Test
    void podsWaitingForAPendingClaimSayReadyFalseNamingTheClaimAndHowToLookWithoutDegraded() {
        Observation waiting = observed()
                .deployment(deployment(1, 0, false))
                .claim(claim("10Gi", "Pending"))
                .service(service())
                .build();
        GoProxyCacheStatus status = compute(waiting);
        CacheCondition ready = condition(status, CacheCondition.READY);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("VolumeClaimPending");
        assertThat(ready.getMessage())
                .contains("volume claim builds-cache, which is Pending")
                .contains("kubectl -n team-a describe pvc builds-cache")
                .contains("get events --field-selector involvedObject.kind=PersistentVolumeClaim,"
                        + "involvedObject.name=builds-cache");
        assertThat(condition(status, CacheCondition.DEGRADED).getStatus()).isEqualTo("False");
        assertThat(condition(status, CacheCondition.DEGRADED).getReason()).isEqualTo("AsExpected");
        assertThat(status.getStorageCapacity()).isNull();

        Observation bound = observed()
                .deployment(deployment(1, 0, false))
                .claim(claim("10Gi", "Bound"))
                .service(service())
                .build();
        assertThat(condition(compute(bound), CacheCondition.READY).getReason()).isEqualTo("PodsNotReady");
    }

    @Test
    void aRolloutPastItsDeadlineOnAPendingClaimIsDegradedNamingTheClaimNotImagePulls() {
        Deployment stalled = deployment(1, 0, false);
        stalled.getStatus()
                .getConditions()
                .add(new DeploymentConditionBuilder()
                        .withType("Progressing")
                        .withStatus("False")
                        .withReason("ProgressDeadlineExceeded")
                        .withMessage("ReplicaSet \"builds-5d9c\" has timed out progressing")
                        .build());
        Observation waiting = observed()
                .deployment(stalled)
                .claim(claim("10Gi", "Pending"))
                .service(service())
                .build();
        CacheCondition degraded = condition(compute(waiting), CacheCondition.DEGRADED);
        assertThat(degraded.getReason()).isEqualTo("RolloutFailed");
        assertThat(degraded.getMessage())
                .contains("has timed out progressing")
                .contains("wait for the volume claim builds-cache, which is Pending")
                .contains("kubectl describe pvc builds-cache")
                .doesNotContain("image pull");

        Observation bound = observed()
                .deployment(stalled)
                .claim(claim("10Gi", "Bound"))
                .service(service())
                .build();
        assertThat(condition(compute(bound), CacheCondition.DEGRADED).getMessage())
                .contains("image pull");
    }

    /**
     * A rollout that cannot go on until someone acts (a StorageClass that does not exist, pods a quota refuses, a
     * Deployment past its progress deadline) is not in progress: Progressing=False naming the cause, as the
     * Deployment's own ProgressDeadlineExceeded, where it once stayed True (RollingOut) for ever beside Degraded.
     */
    @Test
    void aRolloutThatCannotGoOnIsProgressingFalseRolloutStuckNamingWhatDegradedReports() {
        Observation missingClass = observed()
                .deployment(deployment(1, 0, false))
                .claim(claim("10Gi", "Pending"))
                .service(service())
                .missingStorageClass("does-not-exist")
                .build();
        Deployment stalled = deployment(1, 0, false);
        stalled.getStatus()
                .getConditions()
                .add(new DeploymentConditionBuilder()
                        .withType("Progressing")
                        .withStatus("False")
                        .withReason("ProgressDeadlineExceeded")
                        .withMessage("ReplicaSet \"builds-5d9c\" has timed out progressing")
                        .build());
        Deployment refused = refusedWith("pods \"builds-5d9c-x2k\" is forbidden: exceeded quota: pods, requested: "
                + "pods=1, used: pods=0, limited: pods=0");

        for (Observation stuck : List.of(missingClass, seen(stalled, service()), seen(refused, service()))) {
            GoProxyCacheStatus status = compute(stuck);
            CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
            assertThat(degraded.getStatus()).isEqualTo("True");
            CacheCondition progressing = condition(status, CacheCondition.PROGRESSING);
            assertThat(progressing.getStatus()).as(degraded.getReason()).isEqualTo("False");
            assertThat(progressing.getReason()).isEqualTo(CacheStatusCalculator.ROLLOUT_STUCK);
            assertThat(progressing.getMessage())
                    .contains("1 of 1 proxy pod(s) updated, 0 ready")
                    .contains("(" + degraded.getReason() + ")")
                    .contains("Degraded");
        }

        CacheCondition underWay =
                condition(compute(seen(deployment(1, 0, false), service())), CacheCondition.PROGRESSING);
        assertThat(underWay.getStatus()).isEqualTo("True");
        assertThat(underWay.getReason()).isEqualTo("RollingOut");
    }

    /**
     * A Deployment paused by hand ({@code kubectl rollout pause}) rolls out nothing: new settings, a new image and a
     * pod template taken back stay in the template, not the pods. The cache once said Progressing=True RollingOut
     * "0 of 1 proxy pod(s) updated" for as long as it stayed paused, with Degraded=False "Nothing needs attention".
     * The operator does not own spec.paused and does not take it back; it says who paused it and how to resume.
     */
    @Test
    void aDeploymentPausedByHandIsDegradedNamingWhoPausedItAndTheRolloutStuck() {
        Deployment paused = deployment(1, 1, true);
        paused.getSpec().setPaused(true);
        paused.getStatus().setUpdatedReplicas(0);
        paused.getMetadata()
                .setManagedFields(List.of(
                        new ManagedFieldsEntryBuilder()
                                .withManager("goproxycache")
                                .withOperation("Apply")
                                .withFieldsType("FieldsV1")
                                .withNewFieldsV1()
                                .addToAdditionalProperties("f:spec", Map.of("f:replicas", Map.of()))
                                .endFieldsV1()
                                .build(),
                        new ManagedFieldsEntryBuilder()
                                .withManager("kubectl-rollout")
                                .withOperation("Update")
                                .withFieldsType("FieldsV1")
                                .withNewFieldsV1()
                                .addToAdditionalProperties("f:spec", Map.of("f:paused", Map.of()))
                                .endFieldsV1()
                                .build()));

        GoProxyCacheStatus status = compute(seen(paused, service()));

        CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo("DeploymentPaused");
        assertThat(degraded.getMessage())
                .contains("The proxy Deployment builds is paused")
                .contains("kubectl-rollout")
                .contains("kubectl -n team-a rollout resume deployment/builds")
                .contains("spec.holdRollout");
        CacheCondition progressing = condition(status, CacheCondition.PROGRESSING);
        assertThat(progressing.getStatus()).isEqualTo("False");
        assertThat(progressing.getReason()).isEqualTo(CacheStatusCalculator.ROLLOUT_STUCK);
        assertThat(progressing.getMessage())
                .contains("0 of 1 proxy pod(s) updated")
                .contains("(DeploymentPaused)");
        assertThat(condition(status, CacheCondition.READY).getStatus())
                .as("its pods still serve")
                .isEqualTo("True");

        Deployment pausedAfterItsRollout = deployment(1, 1, true);
        pausedAfterItsRollout.getSpec().setPaused(true);
        GoProxyCacheStatus nothingWaiting = compute(seen(pausedAfterItsRollout, service()));
        assertThat(condition(nothingWaiting, CacheCondition.PROGRESSING).getReason())
                .isEqualTo("RolledOut");
        CacheCondition stillDegraded = condition(nothingWaiting, CacheCondition.DEGRADED);
        assertThat(stillDegraded.getReason()).isEqualTo("DeploymentPaused");
        assertThat(stillDegraded.getMessage())
                .as("no manager recorded: said without one")
                .contains("The proxy Deployment builds is paused (spec.paused)")
                .contains("the next change")
                .contains("set spec.holdRollout to true instead");

        // held on purpose as well: the message does not advise what is set already
        cache.getSpec().setHoldRollout(true);
        assertThat(condition(compute(seen(pausedAfterItsRollout, service())), CacheCondition.DEGRADED)
                        .getMessage())
                .contains("spec.holdRollout is set as well")
                .doesNotContain("set spec.holdRollout to true instead");
        cache.getSpec().setHoldRollout(false);

        Deployment resumed = deployment(1, 1, true);
        resumed.getSpec().setPaused(false);
        assertThat(condition(compute(seen(resumed, service())), CacheCondition.DEGRADED)
                        .getReason())
                .isEqualTo("AsExpected");
    }

    /**
     * spec.metrics.serviceMonitor.enabled where the cluster has no ServiceMonitor CRD makes nothing: Degraded stays
     * False (the proxy serves) but says so, where it said "Nothing needs attention"; a True reason still comes first.
     */
    @Test
    void aServiceMonitorAskedForWhereItsCrdIsMissingIsNamedInDegradedFalse() {
        GoProxyCache scraped = cache(
                "team-a",
                "builds",
                spec -> spec.getMetrics().getServiceMonitor().setEnabled(true));
        Observation noCrd = observed()
                .deployment(deployment(1, 1, true))
                .service(service())
                .serviceMonitorCrdMissing()
                .build();
        CacheCondition degraded = condition(CacheStatusCalculator.compute(scraped, noCrd, T0), CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("False");
        assertThat(degraded.getReason()).isEqualTo(CacheStatusCalculator.SERVICE_MONITOR_CRD_MISSING);
        assertThat(degraded.getMessage())
                .contains("spec.metrics.serviceMonitor.enabled")
                .contains("no ServiceMonitor CRD (monitoring.coreos.com/v1")
                .doesNotContain("Nothing needs attention");
        assertThat(condition(CacheStatusCalculator.compute(scraped, noCrd, T0), CacheCondition.READY)
                        .getStatus())
                .isEqualTo("True");

        assertThat(condition(compute(noCrd), CacheCondition.DEGRADED).getReason())
                .as("no ServiceMonitor asked for")
                .isEqualTo("AsExpected");
        assertThat(condition(
                                CacheStatusCalculator.compute(scraped, seen(deployment(1, 1, true), service()), T0),
                                CacheCondition.DEGRADED)
                        .getReason())
                .as("the CRD installed")
                .isEqualTo("AsExpected");
        Observation noCrdAndNoClass = observed()
                .deployment(deployment(1, 0, false))
                .claim(claim("10Gi", "Pending"))
                .service(service())
                .missingStorageClass("does-not-exist")
                .serviceMonitorCrdMissing()
                .build();
        assertThat(condition(CacheStatusCalculator.compute(scraped, noCrdAndNoClass, T0), CacheCondition.DEGRADED)
                        .getReason())
                .isEqualTo("StorageClassNotFound");
    }

    /**
     * Two caches of a namespace annotated modproxy.dev/default=true leave the webhook without a default there: each
     * says so in Degraded=True, naming the others and how to keep one, where it said "Nothing needs attention"; the
     * proxy still serves the pods that name it, so Ready stays True. A problem of the cache's own comes first.
     */
    @Test
    void aCacheAnnotatedDefaultBesideOthersIsDegradedNamingThemAndHowToKeepOne() {
        Observation beside = severalDefaults(deployment(1, 1, true), List.of("mirror"));

        GoProxyCacheStatus status = compute(beside);

        CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo(CacheStatusCalculator.SEVERAL_DEFAULT_CACHES);
        assertThat(degraded.getMessage())
                .contains("This cache and GoProxyCache mirror are annotated modproxy.dev/default=true in namespace "
                        + "team-a, so the namespace has no default cache")
                .contains("label modproxy.dev/inject=true")
                .contains("pods that name a cache still get it")
                .endsWith("to keep this one: kubectl -n team-a annotate goproxycache mirror modproxy.dev/default-");
        assertThat(condition(status, CacheCondition.READY).getStatus()).isEqualTo("True");

        assertThat(condition(
                                compute(severalDefaults(deployment(1, 1, true), List.of("mirror", "proxy"))),
                                CacheCondition.DEGRADED)
                        .getMessage())
                .contains("This cache and GoProxyCaches mirror, proxy are annotated")
                .endsWith("annotate goproxycache mirror proxy modproxy.dev/default-");
        Deployment refused = deployment(1, 0, false);
        refused.getStatus()
                .setConditions(List.of(new DeploymentConditionBuilder()
                        .withType("ReplicaFailure")
                        .withStatus("True")
                        .withMessage("pods \"builds-1\" is forbidden: exceeded quota")
                        .build()));
        assertThat(condition(compute(severalDefaults(refused, List.of("mirror"))), CacheCondition.DEGRADED)
                        .getReason())
                .isEqualTo("RolloutFailed");
        assertThat(condition(compute(seen(deployment(1, 1, true), service())), CacheCondition.DEGRADED)
                        .getReason())
                .as("the only cache annotated default")
                .isEqualTo("AsExpected");
    }

    private static Observation severalDefaults(Deployment deployment, List<String> otherDefaultCaches) {
        return observed()
                .deployment(deployment)
                .service(service())
                .otherDefaultCaches(otherDefaultCaches)
                .build();
    }

    @Test
    void podsThatCannotStartAreReportedAtOnceAndClearWhenTheyStart() {
        Pod unconfigured = PodTroubleTest.pod(
                "builds-7d9f8c6b5-abcde",
                PodTroubleTest.NEW_RS,
                "Pending",
                false,
                PodTroubleTest.waiting("CreateContainerConfigError", "secret \"egress-login\" not found", 0));
        GoProxyCacheStatus stuck = compute(observed()
                .deployment(PodTroubleTest.deployment(PodTroubleTest.NEW_RS))
                .service(service())
                .pods(unconfigured)
                .build());

        assertThat(condition(stuck, CacheCondition.READY).getStatus()).isEqualTo("False");
        assertThat(condition(stuck, CacheCondition.READY).getReason()).isEqualTo("PodsNotReady");
        assertThat(condition(stuck, CacheCondition.READY).getMessage()).contains("(ContainerConfigError)");
        assertThat(condition(stuck, CacheCondition.PROGRESSING).getStatus())
                .as("nothing goes on until someone creates the Secret: kubectl wait must not wait for it")
                .isEqualTo("False");
        assertThat(condition(stuck, CacheCondition.PROGRESSING).getReason())
                .isEqualTo(CacheStatusCalculator.ROLLOUT_STUCK);
        assertThat(condition(stuck, CacheCondition.PROGRESSING).getMessage()).contains("(ContainerConfigError)");
        assertThat(condition(stuck, CacheCondition.DEGRADED).getStatus()).isEqualTo("True");
        assertThat(condition(stuck, CacheCondition.DEGRADED).getReason()).isEqualTo(PodTrouble.CONTAINER_CONFIG_ERROR);
        assertThat(condition(stuck, CacheCondition.DEGRADED).getMessage())
                .contains("secret \"egress-login\" not found")
                .contains("kubectl -n team-a create secret generic egress-login");

        cache.setStatus(stuck);
        Pod started = PodTroubleTest.pod(
                "builds-7d9f8c6b5-abcde", PodTroubleTest.NEW_RS, "Running", true, PodTroubleTest.running());
        GoProxyCacheStatus serving = CacheStatusCalculator.compute(
                cache,
                observed()
                        .deployment(deployment(1, 1, true))
                        .service(service())
                        .pods(started)
                        .build(),
                T1);

        assertThat(condition(serving, CacheCondition.READY).getStatus()).isEqualTo("True");
        assertThat(condition(serving, CacheCondition.PROGRESSING).getReason()).isEqualTo("RolledOut");
        assertThat(condition(serving, CacheCondition.DEGRADED).getStatus()).isEqualTo("False");
        assertThat(condition(serving, CacheCondition.DEGRADED).getReason()).isEqualTo("AsExpected");
    }

    @Test
    void pastTheProgressDeadlineThePodsOwnCauseIsStillWhatDegradedSays() {
        Deployment timedOut = PodTroubleTest.deployment(PodTroubleTest.NEW_RS);
        timedOut.getStatus()
                .getConditions()
                .set(
                        1,
                        new DeploymentConditionBuilder()
                                .withType("Progressing")
                                .withStatus("False")
                                .withReason("ProgressDeadlineExceeded")
                                .withMessage("ReplicaSet \"" + PodTroubleTest.NEW_RS + "\" has timed out progressing.")
                                .build());
        Pod crashing = PodTroubleTest.pod(
                "builds-7d9f8c6b5-abcde", PodTroubleTest.NEW_RS, "Running", false, PodTroubleTest.crashLoop(7));

        GoProxyCacheStatus status = compute(observed()
                .deployment(timedOut)
                .service(service())
                .pods(crashing)
                .build());

        assertThat(condition(status, CacheCondition.DEGRADED).getReason()).isEqualTo(PodTrouble.PROXY_CRASHING);
        assertThat(condition(status, CacheCondition.DEGRADED).getMessage())
                .contains("modproxy cannot start: MODPROXY_UPSTREAM: no upstream");
        assertThat(condition(status, CacheCondition.PROGRESSING).getReason())
                .isEqualTo(CacheStatusCalculator.ROLLOUT_STUCK);
        assertThat(compute(observed().deployment(timedOut).service(service()).build()))
                .extracting(s -> condition(s, CacheCondition.DEGRADED).getReason())
                .as("without the pods' word, the Deployment's deadline is all there is")
                .isEqualTo("RolloutFailed");
    }

    /**
     * A pod no node takes is named by the scheduler's own words, before and after the Deployment passes its progress
     * deadline, where the cache once learnt of it only then, as RolloutFailed pointing at kubectl describe.
     */
    @Test
    void aPodNoNodeTakesIsWhatDegradedSaysRatherThanRolloutFailed() {
        Deployment timedOut = PodTroubleTest.deployment(PodTroubleTest.NEW_RS);
        timedOut.getStatus()
                .getConditions()
                .set(
                        1,
                        new DeploymentConditionBuilder()
                                .withType("Progressing")
                                .withStatus("False")
                                .withReason("ProgressDeadlineExceeded")
                                .withMessage("ReplicaSet \"" + PodTroubleTest.NEW_RS + "\" has timed out progressing.")
                                .build());
        Pod pending = PodTroubleTest.unschedulable(
                "0/3 nodes are available: 3 Insufficient memory.", T0.minus(Duration.ofMinutes(11)));

        GoProxyCacheStatus status = compute(
                observed().deployment(timedOut).service(service()).pods(pending).build());

        assertThat(condition(status, CacheCondition.DEGRADED).getReason()).isEqualTo(PodTrouble.UNSCHEDULABLE);
        assertThat(condition(status, CacheCondition.DEGRADED).getMessage())
                .contains("0/3 nodes are available: 3 Insufficient memory.")
                .contains("spec.resources");
        assertThat(condition(status, CacheCondition.READY).getReason()).isEqualTo("PodsNotReady");
        assertThat(condition(status, CacheCondition.READY).getMessage()).contains("(Unschedulable)");
        assertThat(condition(status, CacheCondition.PROGRESSING).getReason())
                .isEqualTo(CacheStatusCalculator.ROLLOUT_STUCK);
    }

    /**
     * A pod held by scheduling gates was reported by nothing until the Deployment's progress deadline (RolloutFailed,
     * 10 minutes): it is Degraded as a pod without a node is, the rollout stuck until the gates' controller admits
     * it, and the status the next reconcile computes is the one already written, until the pod is placed.
     */
    @Test
    void aPodHeldBySchedulingGatesIsDegradedUntilPlacedWithoutRewritingTheStatusMeanwhile() {
        Pod held = PodTroubleTest.gated(T0.minus(Duration.ofMinutes(2)), "kueue.x-k8s.io/admission");
        Observation gatedSeen = observed()
                .deployment(PodTroubleTest.deployment(PodTroubleTest.NEW_RS))
                .service(service())
                .pods(held)
                .build();

        GoProxyCacheStatus stuck = compute(gatedSeen);

        assertThat(condition(stuck, CacheCondition.DEGRADED).getStatus()).isEqualTo("True");
        assertThat(condition(stuck, CacheCondition.DEGRADED).getReason()).isEqualTo(PodTrouble.SCHEDULING_GATED);
        assertThat(condition(stuck, CacheCondition.DEGRADED).getMessage())
                .contains("kueue.x-k8s.io/admission")
                .contains("admission webhook or policy");
        assertThat(condition(stuck, CacheCondition.READY).getStatus()).isEqualTo("False");
        assertThat(condition(stuck, CacheCondition.READY).getReason()).isEqualTo("PodsNotReady");
        assertThat(condition(stuck, CacheCondition.READY).getMessage()).contains("(SchedulingGated)");
        assertThat(condition(stuck, CacheCondition.PROGRESSING).getStatus()).isEqualTo("False");
        assertThat(condition(stuck, CacheCondition.PROGRESSING).getReason())
                .isEqualTo(CacheStatusCalculator.ROLLOUT_STUCK);

        cache.setStatus(stuck);
        assertThat(CacheStatusCalculator.compute(cache, gatedSeen, T1))
                .as("five minutes later, still gated: nothing to write")
                .isEqualTo(stuck);

        Pod placed = PodTroubleTest.pod(
                "builds-7d9f8c6b5-abcde", PodTroubleTest.NEW_RS, "Running", true, PodTroubleTest.running());
        GoProxyCacheStatus serving = CacheStatusCalculator.compute(
                cache,
                observed()
                        .deployment(deployment(1, 1, true))
                        .service(service())
                        .pods(placed)
                        .build(),
                T1);
        assertThat(condition(serving, CacheCondition.READY).getStatus()).isEqualTo("True");
        assertThat(condition(serving, CacheCondition.DEGRADED).getStatus()).isEqualTo("False");
        assertThat(condition(serving, CacheCondition.DEGRADED).getReason()).isEqualTo("AsExpected");
    }

    /**
     * Kueue deletes the pods of a workload it evicts, and the ReplicaSet makes them again, gated again: the cache,
     * Degraded SchedulingGated for the first pod, stays so for the second from the moment it exists, with the same
     * lastTransitionTime, before the Deployment's progress deadline (where it turned False for a minute) and after it
     * (where RolloutFailed, "check the pods' events", took over for a minute).
     */
    @Test
    void aGatedPodMadeAgainKeepsTheCacheDegradedSchedulingGatedBeforeAndAfterTheProgressDeadline() {
        Pod first = PodTroubleTest.gated(T0.minus(Duration.ofMinutes(2)), "kueue.x-k8s.io/admission");
        GoProxyCacheStatus reported = compute(observed()
                .deployment(PodTroubleTest.deployment(PodTroubleTest.NEW_RS))
                .service(service())
                .pods(first)
                .build());
        assertThat(condition(reported, CacheCondition.DEGRADED).getReason()).isEqualTo(PodTrouble.SCHEDULING_GATED);
        String reportedSince = condition(reported, CacheCondition.DEGRADED).getLastTransitionTime();

        Pod again = new PodBuilder(PodTroubleTest.gated(T1.minusSeconds(5), "kueue.x-k8s.io/admission"))
                .editMetadata()
                .withName("builds-7d9f8c6b5-fghij")
                .endMetadata()
                .build();
        Deployment timedOut = PodTroubleTest.deployment(PodTroubleTest.NEW_RS);
        timedOut.getStatus()
                .getConditions()
                .set(
                        1,
                        new DeploymentConditionBuilder()
                                .withType("Progressing")
                                .withStatus("False")
                                .withReason("ProgressDeadlineExceeded")
                                .withMessage("ReplicaSet \"" + PodTroubleTest.NEW_RS + "\" has timed out progressing.")
                                .build());
        for (Deployment deployment : List.of(timedOut, PodTroubleTest.deployment(PodTroubleTest.NEW_RS))) {
            cache.setStatus(reported);
            GoProxyCacheStatus next = CacheStatusCalculator.compute(
                    cache,
                    observed()
                            .deployment(deployment)
                            .service(service())
                            .pods(again)
                            .build(),
                    T1);
            CacheCondition degraded = condition(next, CacheCondition.DEGRADED);
            assertThat(degraded.getStatus()).isEqualTo("True");
            assertThat(degraded.getReason()).isEqualTo(PodTrouble.SCHEDULING_GATED);
            assertThat(degraded.getMessage()).startsWith("The proxy pod builds-7d9f8c6b5-fghij has not been placed");
            assertThat(degraded.getLastTransitionTime()).isEqualTo(reportedSince);
            assertThat(condition(next, CacheCondition.PROGRESSING).getReason())
                    .isEqualTo(CacheStatusCalculator.ROLLOUT_STUCK);
        }
    }

    @Test
    void transitionTimeIsKeptWhileAConditionHoldsAndMovesWhenItFlips() {
        GoProxyCacheStatus first = compute(seen(deployment(1, 0, false), service()));
        cache.setStatus(first);
        GoProxyCacheStatus same = CacheStatusCalculator.compute(cache, seen(deployment(1, 0, false), service()), T1);
        assertThat(same).isEqualTo(first);

        GoProxyCacheStatus flipped = CacheStatusCalculator.compute(cache, seen(deployment(1, 1, true), service()), T1);
        assertThat(condition(flipped, CacheCondition.READY).getLastTransitionTime())
                .isEqualTo("2026-01-01T10:05:00Z");
        assertThat(condition(flipped, CacheCondition.DEGRADED).getLastTransitionTime())
                .isEqualTo("2026-01-01T10:00:00Z");
    }

    /**
     * Another field manager's edit of the pod template, taken back: Progressing names the manager and the fields
     * while the pods roll back and once they have, until the spec changes.
     */
    @Test
    void aPodTemplateTakenBackFromAnotherManagerIsNamedUntilTheSpecChanges() {
        PodTemplateDrift drift = new PodTemplateDrift(
                List.of(new PodTemplateDrift.Field(
                        "kubectl-set", "spec.template.spec.containers[name=proxy].env", "/spec/x", null)),
                List.of(),
                null);
        Observation takingBack = observed()
                .deployment(deployment(1, 1, true))
                .service(service())
                .podTemplateTakenBack(drift)
                .build();

        GoProxyCacheStatus taken = compute(takingBack);
        CacheCondition progressing = condition(taken, CacheCondition.PROGRESSING);
        assertThat(progressing.getStatus())
                .as("the Deployment seen is from before the take-back: its pods roll now")
                .isEqualTo("True");
        assertThat(progressing.getReason()).isEqualTo(CacheStatusCalculator.POD_TEMPLATE_TAKEN_BACK);
        assertThat(progressing.getMessage())
                .contains("field manager kubectl-set: spec.template.spec.containers[name=proxy].env");
        assertThat(condition(taken, CacheCondition.DEGRADED).getStatus()).isEqualTo("False");

        cache.setStatus(taken);
        Deployment rolling = deployment(1, 0, false);
        rolling.getStatus().setUpdatedReplicas(0);
        CacheCondition stillRolling = condition(
                CacheStatusCalculator.compute(cache, seen(rolling, service()), T1), CacheCondition.PROGRESSING);
        assertThat(stillRolling.getStatus()).isEqualTo("True");
        assertThat(stillRolling.getReason()).isEqualTo(CacheStatusCalculator.POD_TEMPLATE_TAKEN_BACK);
        assertThat(stillRolling.getMessage())
                .startsWith("0 of 1 proxy pod(s) updated")
                .contains("kubectl-set");

        GoProxyCacheStatus rolledBack =
                CacheStatusCalculator.compute(cache, seen(deployment(1, 1, true), service()), T1);
        CacheCondition done = condition(rolledBack, CacheCondition.PROGRESSING);
        assertThat(done.getStatus()).isEqualTo("False");
        assertThat(done.getReason()).isEqualTo(CacheStatusCalculator.POD_TEMPLATE_TAKEN_BACK);
        assertThat(done.getMessage())
                .isEqualTo("All 1 proxy pod(s) run the current settings. Taken back from edits of the pod template by "
                        + "field manager kubectl-set: spec.template.spec.containers[name=proxy].env.");
        cache.setStatus(rolledBack);
        assertThat(CacheStatusCalculator.compute(cache, seen(deployment(1, 1, true), service()), T1))
                .as("a later reconciliation of the same spec (an operator restart) writes nothing new")
                .isEqualTo(rolledBack);

        cache.getMetadata().setGeneration(2L);
        assertThat(condition(
                                CacheStatusCalculator.compute(cache, seen(deployment(1, 1, true), service()), T1),
                                CacheCondition.PROGRESSING)
                        .getReason())
                .as("a new spec")
                .isEqualTo("RolledOut");
    }

    /**
     * An autoscaler aimed at the Deployment, set back: Degraded names the writer, the fight and the fix, and when it was
     * last set back.
     */
    @Test
    void replicasSetBackFromAnotherManagerAreDegradedNamingItAndWhereToAimInstead() {
        GoProxyCacheStatus status = compute(takingBackReplicas());

        CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo(CacheStatusCalculator.REPLICAS_TAKEN_BACK);
        assertThat(degraded.getMessage())
                .startsWith("The proxy Deployment builds's spec.replicas was set to 3 by field manager "
                        + "kube-controller-manager (through the scale subresource), and the operator sets the "
                        + "Deployment back to this cache's spec.replicas (1)")
                .contains(
                        "a HorizontalPodAutoscaler whose scaleTargetRef is Deployment builds",
                        "kubectl scale deployment/builds",
                        "aim the HorizontalPodAutoscaler's scaleTargetRef at GoProxyCache team-a/builds "
                                + "(apiVersion: modproxy.dev/v1alpha1, kind: GoProxyCache, name: builds)",
                        "kubectl -n team-a scale gpc/builds --replicas=N")
                .endsWith("clears 2 minutes after the last take-back. Last set back at 2026-01-01T10:00:00Z.");
        assertThat(condition(status, CacheCondition.READY).getStatus())
                .as("the proxy serves meanwhile")
                .isEqualTo("True");
        assertThat(CacheStatusCalculator.replicasTakeBackEndsAt(status))
                .contains(Instant.parse("2026-01-01T10:02:00Z"));
    }

    /**
     * The operator's own apply of a new spec.replicas is no take-back (Observation without one): the Deployment at
     * other replicas than the spec's, while it scales, is nothing to report.
     */
    @Test
    void replicasTheOperatorChangesItselfAreNothingToReport() {
        cache.getSpec().setReplicas(3);
        GoProxyCacheStatus status = compute(seen(deployment(1, 1, true), service()));
        CacheCondition degraded = condition(status, CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("False");
        assertThat(degraded.getReason()).isEqualTo("AsExpected");
        assertThat(CacheStatusCalculator.replicasTakeBackEndsAt(status)).isEmpty();
    }

    /**
     * Between an autoscaler's syncs (15 s) the operator's apply leaves nothing to set back: Degraded stays as it was
     * (same message, same transition time, so no status write), a new take-back renews it, and it clears once no
     * take-back came for 2 minutes (the autoscaler deleted or aimed at the cache).
     */
    @Test
    void replicasTakenBackStayBetweenTakeBacksAndClearTwoMinutesAfterTheLast() {
        GoProxyCacheStatus taken = compute(takingBackReplicas());
        cache.setStatus(taken);
        Observation quiet = seen(deployment(1, 1, true), service());

        GoProxyCacheStatus between = CacheStatusCalculator.compute(cache, quiet, T0.plusSeconds(15));
        assertThat(between).as("no flapping between take-backs").isEqualTo(taken);
        assertThat(CacheStatusCalculator.compute(cache, quiet, T0.plusSeconds(119)))
                .isEqualTo(taken);

        GoProxyCacheStatus renewed = CacheStatusCalculator.compute(cache, takingBackReplicas(), T0.plusSeconds(30));
        CacheCondition again = condition(renewed, CacheCondition.DEGRADED);
        assertThat(again.getReason()).isEqualTo(CacheStatusCalculator.REPLICAS_TAKEN_BACK);
        assertThat(again.getLastTransitionTime()).as("still True since").isEqualTo("2026-01-01T10:00:00Z");
        assertThat(again.getMessage()).endsWith("Last set back at 2026-01-01T10:00:30Z.");
        assertThat(CacheStatusCalculator.replicasTakeBackEndsAt(renewed))
                .contains(Instant.parse("2026-01-01T10:02:30Z"));
        cache.setStatus(renewed);
        assertThat(condition(CacheStatusCalculator.compute(cache, quiet, T0.plusSeconds(149)), CacheCondition.DEGRADED)
                        .getReason())
                .isEqualTo(CacheStatusCalculator.REPLICAS_TAKEN_BACK);

        GoProxyCacheStatus cleared = CacheStatusCalculator.compute(cache, quiet, T0.plusSeconds(150));
        CacheCondition over = condition(cleared, CacheCondition.DEGRADED);
        assertThat(over.getStatus()).isEqualTo("False");
        assertThat(over.getReason()).isEqualTo("AsExpected");
        assertThat(over.getLastTransitionTime()).isEqualTo("2026-01-01T10:02:30Z");
        assertThat(CacheStatusCalculator.replicasTakeBackEndsAt(cleared)).isEmpty();
    }

    /** Another Degraded=True reason, or a ReplicasTakenBack message this operator did not write, holds nothing back. */
    @Test
    void onlyAReplicasTakenBackConditionWithItsTimeIsKept() {
        GoProxyCacheStatus other = new GoProxyCacheStatus();
        other.setConditions(List.of(new CacheCondition(
                CacheCondition.DEGRADED,
                CacheCondition.TRUE,
                CacheStatusCalculator.REPLICAS_TAKEN_BACK,
                "Written by hand. Last set back at yesterday.")));
        cache.setStatus(other);
        assertThat(condition(compute(seen(deployment(1, 1, true), service())), CacheCondition.DEGRADED)
                        .getReason())
                .isEqualTo("AsExpected");
        assertThat(CacheStatusCalculator.replicasTakeBackEndsAt(other)).isEmpty();
    }

    private static Observation takingBackReplicas() {
        return observed()
                .deployment(deployment(1, 1, true))
                .service(service())
                .replicasTakenBack(new ReplicasTakeBack("kube-controller-manager", "scale", 3, 1))
                .build();
    }

    private GoProxyCacheStatus compute(Observation seen) {
        return CacheStatusCalculator.compute(cache, seen, T0);
    }

    private static Observation seen(Deployment deployment, Service service) {
        return observed().deployment(deployment).service(service).build();
    }

    /** A condition of the status, checked on the way against what the CRD schema requires of every condition. */
    private static CacheCondition condition(GoProxyCacheStatus status, String type) {
        CacheCondition condition = status.condition(type).orElseThrow();
        assertThat(condition.getType()).matches(CacheCondition.TYPE_PATTERN);
        assertThat(condition.getReason())
                .matches(CacheCondition.REASON_PATTERN)
                .hasSizeLessThanOrEqualTo(CacheCondition.REASON_MAX_LENGTH);
        assertThat(condition.getMessage()).isNotBlank().hasSizeLessThanOrEqualTo(CacheCondition.MESSAGE_MAX_LENGTH);
        assertThat(condition.getLastTransitionTime()).isNotNull();
        return condition;
    }

    private static Deployment deployment(int replicas, int ready, boolean available) {
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName("builds")
                .withGeneration(2L)
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .endSpec()
                .withNewStatus()
                .withObservedGeneration(2L)
                .withReplicas(replicas)
                .withUpdatedReplicas(replicas)
                .withReadyReplicas(ready)
                .addNewCondition()
                .withType("Available")
                .withStatus(available ? "True" : "False")
                .endCondition()
                .endStatus()
                .build();
    }

    private static Service service() {
        return new ServiceBuilder()
                .withNewMetadata()
                .withName("builds")
                .endMetadata()
                .build();
    }

    private static PersistentVolumeClaim claim(String size) {
        return claim(size, "Bound");
    }

    private static PersistentVolumeClaim claim(String size, String phase) {
        return new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("builds-cache")
                .withNamespace("team-a")
                .endMetadata()
                .withNewSpec()
                .withNewResources()
                .addToRequests("storage", new Quantity(size))
                .endResources()
                .endSpec()
                .withNewStatus()
                .withPhase(phase)
                .addToCapacity("storage", "Bound".equals(phase) ? new Quantity(size) : null)
                .endStatus()
                .build();
    }

    /** An Observation of what a test names; the rest as a reconciliation that applied its spec sees nothing else. */
    private static Observed observed() {
        return new Observed();
    }

    private static final class Observed {
        private Optional<Deployment> deployment = Optional.empty();
        private Optional<PersistentVolumeClaim> claim = Optional.empty();
        private Optional<Service> service = Optional.empty();
        private List<String> specProblems = List.of();
        private Optional<Observation.Failure> failure = Optional.empty();
        private Optional<String> missingStorageClass = Optional.empty();
        private boolean deploymentApplied = true;
        private Optional<PodTemplateDrift> podTemplateTakenBack = Optional.empty();
        private boolean serviceMonitorCrdMissing;
        private List<String> otherDefaultCaches = List.of();
        private Optional<ReplicasTakeBack> replicasTakenBack = Optional.empty();
        private List<Pod> pods = List.of();

        Observed deployment(Deployment seen) {
            deployment = Optional.ofNullable(seen);
            return this;
        }

        Observed claim(PersistentVolumeClaim seen) {
            claim = Optional.ofNullable(seen);
            return this;
        }

        Observed service(Service seen) {
            service = Optional.ofNullable(seen);
            return this;
        }

        Observed specProblems(List<String> problems) {
            specProblems = problems;
            return this;
        }

        Observed failure(Observation.Failure failed) {
            failure = Optional.of(failed);
            return this;
        }

        Observed missingStorageClass(String name) {
            missingStorageClass = Optional.of(name);
            return this;
        }

        /** The Deployment was not applied: an invalid spec, or a dependent it waits for failed. */
        Observed notApplied() {
            deploymentApplied = false;
            return this;
        }

        Observed podTemplateTakenBack(PodTemplateDrift drift) {
            podTemplateTakenBack = Optional.of(drift);
            return this;
        }

        Observed serviceMonitorCrdMissing() {
            serviceMonitorCrdMissing = true;
            return this;
        }

        Observed otherDefaultCaches(List<String> names) {
            otherDefaultCaches = names;
            return this;
        }

        Observed pods(Pod... seen) {
            pods = List.of(seen);
            return this;
        }

        Observed replicasTakenBack(ReplicasTakeBack takeBack) {
            replicasTakenBack = Optional.of(takeBack);
            return this;
        }

        Observation build() {
            return new Observation(
                    deployment,
                    claim,
                    service,
                    specProblems,
                    failure,
                    missingStorageClass,
                    deploymentApplied,
                    podTemplateTakenBack,
                    serviceMonitorCrdMissing,
                    otherDefaultCaches,
                    replicasTakenBack,
                    pods);
        }
    }
}
