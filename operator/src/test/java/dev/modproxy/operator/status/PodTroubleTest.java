package dev.modproxy.operator.status;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.EgressProxy;
import dev.modproxy.operator.api.v1alpha1.EgressProxyLogin;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.dependent.CacheNames;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSchedulingGateBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Pod statuses as the kubelet writes them, and what the cache's Degraded condition makes of them. */
class PodTroubleTest {

    static final Instant STARTED = Instant.parse("2026-01-01T10:00:00Z");
    static final String NEW_RS = "builds-7d9f8c6b5";
    static final String OLD_RS = "builds-5c4b3a291";

    private final GoProxyCache cache = cache("team-a", "builds", spec -> {
        EgressProxy egress = new EgressProxy();
        egress.setHttpsProxy("http://egress.corp.example:3128");
        EgressProxyLogin login = new EgressProxyLogin();
        login.setName("egress-login");
        egress.setLoginSecretRef(login);
        spec.setEgressProxy(egress);
    });

    @Test
    void aMissingLoginSecretIsReportedAtOnceNamingTheSecretAndHowToCreateIt() {
        Pod pod = pod(
                "builds-7d9f8c6b5-abcde",
                NEW_RS,
                "Pending",
                false,
                waiting("CreateContainerConfigError", "secret \"egress-login\" not found", 0));

        CacheCondition degraded = trouble(pod, STARTED.plusSeconds(2)).orElseThrow();

        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo(PodTrouble.CONTAINER_CONFIG_ERROR);
        assertThat(degraded.getMessage())
                .contains("builds-7d9f8c6b5-abcde")
                .contains("secret \"egress-login\" not found")
                .contains("spec.egressProxy.loginSecretRef (key login")
                .contains("kubectl -n team-a create secret generic egress-login --from-literal=login=...")
                .contains("start by themselves");
    }

    @Test
    void aMissingKeyIsNamedWithTheSecret() {
        Pod pod = pod(
                "builds-7d9f8c6b5-abcde",
                NEW_RS,
                "Pending",
                false,
                waiting("CreateContainerConfigError", "couldn't find key login in Secret team-a/egress-login", 0));

        CacheCondition degraded = trouble(pod, STARTED).orElseThrow();

        assertThat(degraded.getReason()).isEqualTo(PodTrouble.CONTAINER_CONFIG_ERROR);
        assertThat(degraded.getMessage())
                .contains("The Secret egress-login exists but has no key login")
                .contains("spec.egressProxy.loginSecretRef")
                .contains("kubectl -n team-a edit secret egress-login");
    }

    @Test
    void anotherConfigErrorIsQuotedWithWhereToLook() {
        Pod pod = pod(
                "builds-7d9f8c6b5-abcde",
                NEW_RS,
                "Pending",
                false,
                waiting("CreateContainerConfigError", "container has runAsNonRoot and image will run as root", 0));

        CacheCondition degraded = trouble(pod, STARTED).orElseThrow();

        assertThat(degraded.getReason()).isEqualTo(PodTrouble.CONTAINER_CONFIG_ERROR);
        assertThat(degraded.getMessage())
                .contains("container has runAsNonRoot and image will run as root")
                .contains("kubectl -n team-a describe pod builds-7d9f8c6b5-abcde")
                .doesNotContain("create secret");
    }

    @Test
    void aFailedPullIsReportedOnlyOnceThePodWaitedItsGrace() {
        cache.getSpec().setImage("registry.corp.example/modproxy/proxy:1.2.3");
        cache.getSpec().setImagePullSecrets(List.of(new LocalObjectReference("corp-registry")));
        Pod first = pod(
                "builds-7d9f8c6b5-abcde",
                NEW_RS,
                "Pending",
                false,
                waiting("ErrImagePull", "failed to pull and unpack image: 401 Unauthorized", 0));
        Pod backingOff = pod(
                "builds-7d9f8c6b5-abcde",
                NEW_RS,
                "Pending",
                false,
                waiting(
                        "ImagePullBackOff",
                        "Back-off pulling image \"registry.corp.example/modproxy/proxy:1.2.3\"",
                        0));

        assertThat(trouble(first, STARTED.plusSeconds(3)))
                .as("one failed attempt")
                .isEmpty();
        assertThat(trouble(backingOff, STARTED.plusSeconds(12)))
                .as("the kubelet's first back-off")
                .isEmpty();
        assertThat(PodTrouble.imagePullGraceEndsAt(
                        Optional.of(deployment(NEW_RS)), List.of(backingOff), STARTED.plusSeconds(12)))
                .as("the reconciler looks again when the grace ends")
                .contains(STARTED.plus(PodTrouble.IMAGE_PULL_GRACE));

        CacheCondition degraded =
                trouble(backingOff, STARTED.plus(PodTrouble.IMAGE_PULL_GRACE)).orElseThrow();
        assertThat(degraded.getReason()).isEqualTo(PodTrouble.IMAGE_PULL_FAILED);
        assertThat(degraded.getMessage())
                .contains("registry.corp.example/modproxy/proxy:1.2.3")
                .contains("ImagePullBackOff")
                .contains("spec.image")
                .contains("spec.imagePullSecrets (set: corp-registry, which must exist in namespace team-a)");
        assertThat(trouble(first, STARTED.plusSeconds(45)).orElseThrow().getMessage())
                .as("the kubelet's next attempt, still failing")
                .contains("401 Unauthorized");
        assertThat(PodTrouble.imagePullGraceEndsAt(
                        Optional.of(deployment(NEW_RS)), List.of(backingOff), STARTED.plusSeconds(45)))
                .isEmpty();
    }

    @Test
    void anImageNameTheKubeletRefusesIsReportedAtOnce() {
        Pod pod = pod(
                "builds-7d9f8c6b5-abcde",
                NEW_RS,
                "Pending",
                false,
                waiting("InvalidImageName", "Failed to apply default image tag \"Registry/Proxy\"", 0));

        CacheCondition degraded = trouble(pod, STARTED.plusSeconds(1)).orElseThrow();

        assertThat(degraded.getReason()).isEqualTo(PodTrouble.IMAGE_PULL_FAILED);
        assertThat(degraded.getMessage()).contains("spec.imagePullSecrets (none set)");
    }

    @Test
    void aCrashingProxyIsReportedFromItsSecondRestartWithItsLastWords() {
        Pod once = pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", false, crashLoop(1));
        Pod twice = pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", false, crashLoop(2));

        assertThat(trouble(once, STARTED.plusSeconds(15)))
                .as("a single restart")
                .isEmpty();
        CacheCondition degraded = trouble(twice, STARTED.plusSeconds(40)).orElseThrow();

        assertThat(degraded.getReason()).isEqualTo(PodTrouble.PROXY_CRASHING);
        assertThat(degraded.getMessage())
                .contains("restarted 2 times, last with exit code 1 (Error)")
                .contains("saying \"modproxy cannot start: MODPROXY_UPSTREAM: no upstream\"")
                .doesNotContain("starting modproxy")
                .contains("kubectl -n team-a logs builds-7d9f8c6b5-abcde -c proxy --previous");
    }

    /** A restart count only grows: a proxy killed once after serving for hours is no proxy that exits at start. */
    @Test
    void aProxyThatServedForLongBeforeItsLastExitIsNotCrashingAtStart() {
        ContainerStatus killedOnce = new ContainerStatusBuilder(crashLoop(3))
                .editLastState()
                .editTerminated()
                .withExitCode(137)
                .withReason("OOMKilled")
                .withStartedAt("2026-01-01T10:00:00Z")
                .withFinishedAt("2026-01-01T14:00:00Z")
                .endTerminated()
                .endLastState()
                .build();
        Pod pod = pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", false, killedOnce);

        assertThat(trouble(pod, Instant.parse("2026-01-01T14:00:05Z"))).isEmpty();

        ContainerStatus killedAtStart = new ContainerStatusBuilder(killedOnce)
                .editLastState()
                .editTerminated()
                .withStartedAt("2026-01-01T13:59:40Z")
                .endTerminated()
                .endLastState()
                .build();
        assertThat(trouble(
                                pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", false, killedAtStart),
                                Instant.parse("2026-01-01T14:00:05Z"))
                        .orElseThrow()
                        .getMessage())
                .contains("exit code 137 (OOMKilled)")
                .contains("spec.resources");
    }

    @Test
    void aCrashingProxyStaysReportedBetweenCrashesAndClearsOnceReady() {
        ContainerStatus runningAgain = new ContainerStatusBuilder(crashLoop(3))
                .withNewState()
                .withNewRunning()
                .withStartedAt("2026-01-01T10:01:20Z")
                .endRunning()
                .endState()
                .build();
        Pod between = pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", false, runningAgain);
        CacheCondition crashing =
                new CacheCondition(CacheCondition.DEGRADED, CacheCondition.TRUE, PodTrouble.PROXY_CRASHING, "earlier");

        assertThat(PodTrouble.of(
                                cache,
                                Optional.of(deployment(NEW_RS)),
                                List.of(between),
                                Optional.of(crashing),
                                STARTED.plusSeconds(80))
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.PROXY_CRASHING);
        assertThat(trouble(between, STARTED.plusSeconds(80)))
                .as("not raised by a container that runs, unready, after restarts")
                .isEmpty();

        ContainerStatus serving =
                new ContainerStatusBuilder(runningAgain).withReady(true).build();
        Pod ready = pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", true, serving);
        assertThat(PodTrouble.of(
                        cache,
                        Optional.of(deployment(NEW_RS)),
                        List.of(ready),
                        Optional.of(crashing),
                        STARTED.plusSeconds(90)))
                .as("cleared once the proxy serves")
                .isEmpty();
    }

    /**
     * Kept up between crashes, ProxyCrashing could stay True for good: a proxy that ran again after its crashes and
     * stayed unready for another reason (Ready says which) went on "exiting as it starts" with nothing to clear it.
     * It now clears once the proxy ran longer than a crash at start would, and the reconciler looks again then.
     */
    @Test
    void aProxyRunningLongAfterItsCrashesIsNoLongerCrashing() {
        ContainerStatus runningAgain = new ContainerStatusBuilder(crashLoop(3))
                .withNewState()
                .withNewRunning()
                .withStartedAt("2026-01-01T10:01:20Z")
                .endRunning()
                .endState()
                .build();
        Pod between = pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", false, runningAgain);
        Optional<CacheCondition> crashing = Optional.of(
                new CacheCondition(CacheCondition.DEGRADED, CacheCondition.TRUE, PodTrouble.PROXY_CRASHING, "earlier"));
        Instant runStart = Instant.parse("2026-01-01T10:01:20Z");
        Optional<Deployment> deployment = Optional.of(deployment(NEW_RS));

        assertThat(PodTrouble.of(cache, deployment, List.of(between), crashing, runStart.plusSeconds(60)))
                .as("a minute into its run")
                .isPresent();
        assertThat(PodTrouble.lookAgainAt(deployment, List.of(between), runStart.plusSeconds(60)))
                .as("nothing the kubelet writes marks the end of that run's grace")
                .contains(runStart.plus(PodTrouble.CRASH_RUN));
        assertThat(PodTrouble.of(cache, deployment, List.of(between), crashing, runStart.plus(PodTrouble.CRASH_RUN)))
                .as("running, unready, for as long as the kubelet's back-off lasts")
                .isEmpty();
        assertThat(PodTrouble.lookAgainAt(deployment, List.of(between), runStart.plus(PodTrouble.CRASH_RUN)))
                .isEmpty();
    }

    /**
     * With FallbackToLogsOnError the termination message is the end of the log (up to 80 lines): the proxy's "modproxy
     * cannot start" line wherever it is, else a stack trace's cause rather than its last frame, and never a URL's login
     * (the egress proxy's, composed into HTTPS_PROXY) a library's message may print.
     */
    @Test
    void theLastWordsQuotedSayWhyAndNeverALogin() {
        assertThat(PodTrouble.lastLine(
                        "2026-01-01 10:00:30 INFO starting\nmodproxy cannot start: MODPROXY_UPSTREAM: no upstream\n"
                                + "2026-01-01 10:00:31 INFO [io.quarkus] modproxy stopped in 0.012s\n"))
                .contains("modproxy cannot start: MODPROXY_UPSTREAM: no upstream");
        assertThat(PodTrouble.lastLine("ERROR Failed to start application\n"
                        + "java.lang.IllegalStateException: boom\n\tat dev.modproxy.A.b(A.java:1)\n"
                        + "Caused by: java.io.IOException: No space left on device\n"
                        + "\tat dev.modproxy.C.d(C.java:2)\n\t... 12 more\n"))
                .contains("Caused by: java.io.IOException: No space left on device");
        assertThat(PodTrouble.lastLine("\n  \n")).isEmpty();

        ContainerStatus leaking = new ContainerStatusBuilder(crashLoop(2))
                .editLastState()
                .editTerminated()
                .withMessage("java.lang.IllegalArgumentException: Illegal character in authority at index 7: "
                        + "\"http://build:s3cr@t@proxy.corp:3128?token=abc\"\n\tat java.net.URI.create(URI.java:906)\n")
                .endTerminated()
                .endLastState()
                .build();
        String message = trouble(pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", false, leaking), STARTED)
                .orElseThrow()
                .getMessage();
        assertThat(message)
                .contains("Illegal character in authority at index 7: \"http://build:xxxxx@proxy.corp:3128?xxxxx\"")
                .doesNotContain("s3cr", "token=abc", "URI.create");

        String long_ = "modproxy cannot start: " + "x".repeat(3000);
        assertThat(PodTrouble.quote(long_)).hasSize(503).endsWith("...");
    }

    @Test
    void podsOfAnOlderReplicaSetAreNotTheCurrentTemplates() {
        Pod old = pod("builds-5c4b3a291-zyxwv", OLD_RS, "Running", false, crashLoop(5));
        Pod starting = pod("builds-7d9f8c6b5-abcde", NEW_RS, "Pending", false, waiting("ContainerCreating", null, 0));

        assertThat(PodTrouble.of(
                        cache, Optional.of(deployment(NEW_RS)), List.of(old, starting), Optional.empty(), STARTED))
                .isEmpty();
        assertThat(PodTrouble.of(cache, Optional.of(deployment(OLD_RS)), List.of(old), Optional.empty(), STARTED))
                .as("the same pod, of the newest ReplicaSet")
                .isPresent();
    }

    @Test
    void aPodBeingDeletedOrOfATemplateReplacedIsLeftOut() {
        Pod deleting = new PodBuilder(pod(
                        "builds-7d9f8c6b5-abcde",
                        NEW_RS,
                        "Pending",
                        false,
                        waiting("CreateContainerConfigError", "secret \"egress-login\" not found", 0)))
                .editMetadata()
                .withDeletionTimestamp("2026-01-01T10:00:05Z")
                .endMetadata()
                .build();
        assertThat(trouble(deleting, STARTED.plusSeconds(6))).isEmpty();

        Pod missing = pod(
                "builds-7d9f8c6b5-abcde",
                NEW_RS,
                "Pending",
                false,
                waiting("CreateContainerConfigError", "secret \"egress-login\" not found", 0));
        Deployment changed = new DeploymentBuilder(deployment(NEW_RS))
                .editMetadata()
                .withGeneration(3L)
                .endMetadata()
                .editSpec()
                .editTemplate()
                .editMetadata()
                .addToAnnotations(CacheNames.TEMPLATE_HASH_ANNOTATION, "0a1b2c3d4e5f6a7b")
                .endMetadata()
                .endTemplate()
                .endSpec()
                .build();
        assertThat(PodTrouble.of(cache, Optional.of(changed), List.of(missing), Optional.empty(), STARTED))
                .as("a new template applied, whose pods the Deployment controller has not made yet")
                .isEmpty();
        assertThat(PodTrouble.of(cache, Optional.empty(), List.of(missing), Optional.empty(), STARTED))
                .isEmpty();
    }

    @Test
    void aFailedPodIsReportedWhileNoPodOfTheTemplateIsReady() {
        Pod evicted = new PodBuilder(pod("builds-7d9f8c6b5-abcde", NEW_RS, "Failed", false))
                .editStatus()
                .withReason("Evicted")
                .withMessage("Pod ephemeral local storage usage exceeds the total limit of containers 6Gi.")
                .endStatus()
                .build();
        Pod replacement = pod("builds-7d9f8c6b5-fghij", NEW_RS, "Running", true, running());

        CacheCondition degraded = trouble(evicted, STARTED).orElseThrow();
        assertThat(degraded.getReason()).isEqualTo(PodTrouble.POD_FAILED);
        assertThat(degraded.getMessage()).contains("(Evicted)").contains("ephemeral local storage");
        assertThat(PodTrouble.of(
                        cache,
                        Optional.of(deployment(NEW_RS)),
                        List.of(evicted, replacement),
                        Optional.empty(),
                        STARTED))
                .isEmpty();
    }

    @Test
    void theMostPressingCauseIsReported() {
        Pod crashing = pod("builds-7d9f8c6b5-aaaaa", NEW_RS, "Running", false, crashLoop(4));
        Pod unconfigured = pod(
                "builds-7d9f8c6b5-bbbbb",
                NEW_RS,
                "Pending",
                false,
                waiting("CreateContainerConfigError", "secret \"egress-login\" not found", 0));

        assertThat(PodTrouble.of(
                                cache,
                                Optional.of(deployment(NEW_RS)),
                                List.of(crashing, unconfigured),
                                Optional.empty(),
                                STARTED)
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.CONTAINER_CONFIG_ERROR);
    }

    /**
     * A pod no node can take is reported once it waited {@link PodTrouble#SCHEDULING_GRACE} (preemption or a node
     * being replaced may place it by then), from the scheduler's own PodScheduled condition, quoting it and naming
     * the field to change; the reconciler looks again when the grace ends, and it clears once the pod is placed.
     */
    @Test
    void aPodNoNodeCanTakeIsReportedAfterItsGraceQuotingTheSchedulerAndClearsOncePlaced() {
        Pod pending = unschedulable(
                "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: "
                        + "3 No preemption victims found for incoming pod.",
                STARTED);

        assertThat(trouble(pending, STARTED.plusSeconds(30)))
                .as("within its grace")
                .isEmpty();
        assertThat(PodTrouble.lookAgainAt(Optional.of(deployment(NEW_RS)), List.of(pending), STARTED.plusSeconds(30)))
                .as("the scheduler writes nothing new: the reconciler looks again when the grace ends")
                .contains(STARTED.plus(PodTrouble.SCHEDULING_GRACE));

        CacheCondition degraded = trouble(pending, STARTED.plusSeconds(75)).orElseThrow();
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo(PodTrouble.UNSCHEDULABLE);
        assertThat(degraded.getMessage())
                .contains("The proxy pod builds-7d9f8c6b5-abcde has not been placed on a node since " + STARTED)
                .contains("\"0/3 nodes are available: 3 Insufficient memory.")
                .contains("spec.resources")
                .contains("kubectl -n team-a describe pod builds-7d9f8c6b5-abcde")
                .contains("cluster autoscaler")
                .doesNotContain("spec.nodeSelector")
                .doesNotContain("spec.tolerations");
        assertThat(PodTrouble.lookAgainAt(Optional.of(deployment(NEW_RS)), List.of(pending), STARTED.plusSeconds(75)))
                .isEmpty();

        Pod placed = new PodBuilder(pod("builds-7d9f8c6b5-abcde", NEW_RS, "Pending", false))
                .editStatus()
                .addNewCondition()
                .withType("PodScheduled")
                .withStatus("True")
                .withLastTransitionTime(STARTED.plusSeconds(80).toString())
                .endCondition()
                .withContainerStatuses(waiting("ContainerCreating", null, 0))
                .endStatus()
                .build();
        assertThat(trouble(placed, STARTED.plusSeconds(85)))
                .as("placed: the kubelet has it")
                .isEmpty();
    }

    /**
     * The scheduler writes nothing new while its verdict stays, so the status must not either: a count of the seconds
     * waited made the message, so the cache's status, change on every reconcile (and stay stale between two).
     */
    @Test
    void anUnplacedPodsMessageStaysTheSameFromOneReconcileToTheNext() {
        Pod pending = unschedulable("0/3 nodes are available: 3 Insufficient memory.", STARTED);

        String first = trouble(pending, STARTED.plusSeconds(61)).orElseThrow().getMessage();
        String later = trouble(pending, STARTED.plusSeconds(600)).orElseThrow().getMessage();

        assertThat(later).isEqualTo(first).contains("has not been placed on a node since " + STARTED + ":");
    }

    /**
     * A pod the scheduler preempts lower-priority pods for carries the node it nominated while those go, which
     * takes their own termination grace period (a database's may be minutes), and its PodScheduled stays False
     * Unschedulable meanwhile: it is not reported, as its room is being made (lowering spec.resources is no fix).
     * Once the scheduler clears the nomination (the room went to another pod) it is, from its first verdict on.
     */
    @Test
    void aPodWaitingForThePodsPreemptedForItIsNotReportedUntilItsNominationIsGone() {
        Pod preempting = new PodBuilder(unschedulable(
                        "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: "
                                + "1 No preemption victims found for incoming pod, 2 Preemption is not helpful for "
                                + "scheduling.",
                        STARTED))
                .editStatus()
                .withNominatedNodeName("node-2")
                .endStatus()
                .build();
        Instant late = STARTED.plus(PodTrouble.SCHEDULING_GRACE).plusSeconds(120);

        assertThat(trouble(preempting, late)).as("nominated to node-2").isEmpty();
        assertThat(PodTrouble.lookAgainAt(Optional.of(deployment(NEW_RS)), List.of(preempting), STARTED))
                .as("no wake-up for a pod that is not to be reported: the scheduler's clearing is an event")
                .isEmpty();

        Pod roomTaken = new PodBuilder(preempting)
                .editStatus()
                .withNominatedNodeName(null)
                .endStatus()
                .build();
        assertThat(trouble(roomTaken, late).map(CacheCondition::getReason)).contains(PodTrouble.UNSCHEDULABLE);
    }

    /** The scheduler counts the nodes refusing the pod for each reason; each reason names its own field. */
    @Test
    void theFixNamesTheFieldsTheSchedulersReasonsComeFrom() {
        Pod pending = unschedulable(
                "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: builds}, 2 node(s) didn't "
                        + "match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is "
                        + "not helpful for scheduling." + " Also".repeat(200),
                STARTED);

        String message = trouble(pending, STARTED.plus(PodTrouble.SCHEDULING_GRACE))
                .orElseThrow()
                .getMessage();

        assertThat(message)
                .contains("spec.nodeSelector")
                .contains("spec.affinity")
                .contains("spec.tolerations")
                .doesNotContain("spec.resources")
                .as("the scheduler's words are capped like the kubelet's")
                .contains("...\" (Unschedulable)")
                .doesNotContain(" Also".repeat(100));

        Pod volumeElsewhere = unschedulable(
                "0/3 nodes are available: 3 node(s) had volume node affinity conflict. preemption: 0/3 nodes are "
                        + "available: 3 Preemption is not helpful for scheduling.",
                STARTED);
        assertThat(trouble(volumeElsewhere, STARTED.plus(PodTrouble.SCHEDULING_GRACE))
                        .orElseThrow()
                        .getMessage())
                .contains("kubectl -n team-a describe pvc builds-cache")
                .contains("spec.storage.storageClassName");
    }

    /**
     * The kube-scheduler's volume reasons as 1.36 words them (volumebinding's binder.go): a volume whose node affinity
     * no node matches ("PersistentVolume's", no lower-case "volume" in it), and storage capacity that no node has.
     * Both name the claim to look at, not spec.resources or spec.nodeSelector.
     */
    @Test
    void theSchedulersVolumeReasonsOfTodayNameTheClaim() {
        for (String reason : List.of(
                "3 node(s) didn't match PersistentVolume's node affinity",
                "3 node(s) did not have enough free storage")) {
            Pod pending = unschedulable(
                    "0/3 nodes are available: " + reason + ". preemption: 0/3 nodes are available: 3 Preemption is "
                            + "not helpful for scheduling.",
                    STARTED);

            assertThat(trouble(pending, STARTED.plus(PodTrouble.SCHEDULING_GRACE))
                            .orElseThrow()
                            .getMessage())
                    .as(reason)
                    .contains("kubectl -n team-a describe pvc builds-cache")
                    .contains("spec.storage.storageClassName")
                    .doesNotContain("spec.resources")
                    .doesNotContain("spec.nodeSelector");
        }
    }

    /** A claim waiting for its volume is what Ready's VolumeClaimPending names; by itself it is not Degraded. */
    @Test
    void aPodWaitingForItsVolumeClaimToBindIsLeftToReady() {
        Pod pending = unschedulable(
                "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes "
                        + "are available: 3 Preemption is not helpful for scheduling.",
                STARTED);

        assertThat(trouble(pending, STARTED.plusSeconds(600))).isEmpty();
        assertThat(PodTrouble.lookAgainAt(Optional.of(deployment(NEW_RS)), List.of(pending), STARTED))
                .isEmpty();
    }

    /** A proxy that crashes says more than a pod without a node, which says more than a pod that failed. */
    @Test
    void aPodWithoutANodeComesAfterACrashAndBeforeAFailedPod() {
        Pod crashing = pod("builds-7d9f8c6b5-aaaaa", NEW_RS, "Running", false, crashLoop(4));
        Pod pending = unschedulable("0/3 nodes are available: 3 Insufficient cpu.", STARTED);
        Pod evicted = new PodBuilder(pod("builds-7d9f8c6b5-ccccc", NEW_RS, "Failed", false))
                .editStatus()
                .withReason("Evicted")
                .endStatus()
                .build();
        Instant late = STARTED.plus(PodTrouble.SCHEDULING_GRACE);

        assertThat(PodTrouble.of(
                                cache,
                                Optional.of(deployment(NEW_RS)),
                                List.of(crashing, pending, evicted),
                                Optional.empty(),
                                late)
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.PROXY_CRASHING);
        assertThat(PodTrouble.of(
                                cache,
                                Optional.of(deployment(NEW_RS)),
                                List.of(pending, evicted),
                                Optional.empty(),
                                late)
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.UNSCHEDULABLE);
    }

    /** A pod of the current template as the scheduler leaves it when no node can take it: Pending, no node. */
    static Pod unschedulable(String schedulerSays, Instant since) {
        return new PodBuilder(pod("builds-7d9f8c6b5-abcde", NEW_RS, "Pending", false))
                .editStatus()
                .withStartTime(null)
                .withConditions(new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                        .withType("PodScheduled")
                        .withStatus("False")
                        .withReason("Unschedulable")
                        .withMessage(schedulerSays)
                        .withLastTransitionTime(since.toString())
                        .build())
                .endStatus()
                .build();
    }

    /**
     * A pod held by scheduling gates (added as it was created by an admission webhook or policy of the cluster, Kueue
     * for one) waits with no word from the scheduler: it is reported once it waited {@link PodTrouble#SCHEDULING_GRACE}
     * from the PodScheduled condition the API server wrote as it created it, naming the gates, who adds them and who
     * removes them; the reconciler looks again when the grace ends, since nothing else is written meanwhile.
     */
    @Test
    void aPodHeldBySchedulingGatesIsReportedAfterItsGraceNamingTheGatesAndWhoRemovesThem() {
        Pod pending = gated(STARTED, "kueue.x-k8s.io/admission", "capacity.corp.example/hold");

        assertThat(trouble(pending, STARTED.plusSeconds(30)))
                .as("within its grace")
                .isEmpty();
        assertThat(PodTrouble.lookAgainAt(Optional.of(deployment(NEW_RS)), List.of(pending), STARTED.plusSeconds(30)))
                .as("nothing is written while the gates stay: the reconciler looks again when the grace ends")
                .contains(STARTED.plus(PodTrouble.SCHEDULING_GRACE));

        CacheCondition degraded =
                trouble(pending, STARTED.plus(PodTrouble.SCHEDULING_GRACE)).orElseThrow();
        assertThat(degraded.getType()).isEqualTo(CacheCondition.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo(PodTrouble.SCHEDULING_GATED);
        assertThat(degraded.getMessage())
                .contains("The proxy pod builds-7d9f8c6b5-abcde has not been placed on a node since " + STARTED)
                .contains("\"kueue.x-k8s.io/admission, capacity.corp.example/hold\"")
                .contains("spec.schedulingGates")
                .contains("The operator sets no gate: an admission webhook or policy of the cluster added them")
                .contains("the controller that added a gate removes it once it admits the pod")
                .contains("kubectl get mutatingwebhookconfigurations; on Kubernetes 1.36 and later also kubectl get "
                        + "mutatingadmissionpolicies")
                .contains("kubectl -n team-a get pod builds-7d9f8c6b5-abcde -o jsonpath='{.spec.schedulingGates}'")
                .contains("clears by itself once the gates are removed and the pod is placed")
                .as("nothing in the cache's spec sets or clears a gate")
                .doesNotContain("spec.resources")
                .doesNotContain("spec.nodeSelector");
        assertThat(PodTrouble.lookAgainAt(
                        Optional.of(deployment(NEW_RS)), List.of(pending), STARTED.plus(PodTrouble.SCHEDULING_GRACE)))
                .isEmpty();
    }

    /** As for a pod without a node: since when, not for how long, so the status is not rewritten at each reconcile. */
    @Test
    void aGatedPodsMessageStaysTheSameFromOneReconcileToTheNext() {
        Pod pending = gated(STARTED, "kueue.x-k8s.io/admission");

        String first = trouble(pending, STARTED.plusSeconds(61)).orElseThrow().getMessage();
        String later = trouble(pending, STARTED.plusSeconds(3600)).orElseThrow().getMessage();

        assertThat(later)
                .isEqualTo(first)
                .contains("has not been placed on a node since " + STARTED + ":")
                .contains("the scheduling gate \"kueue.x-k8s.io/admission\"");
    }

    /**
     * The gates are read on the pod's spec: once the last one is removed the pod is no longer reported, though its
     * PodScheduled condition says SchedulingGated until the scheduler gets to it; once placed nothing is left to say.
     * Should the scheduler then find no node, the wait counts from the pod's creation (the condition stays False, so
     * its last transition stays), and it is reported at once as Unschedulable.
     */
    @Test
    void aGatedPodClearsOnceItsGatesAreGoneAndItIsPlaced() {
        Instant late = STARTED.plusSeconds(300);
        Pod held = gated(STARTED, "kueue.x-k8s.io/admission");
        assertThat(trouble(held, late).map(CacheCondition::getReason)).contains(PodTrouble.SCHEDULING_GATED);

        Pod ungated = new PodBuilder(held)
                .editSpec()
                .withSchedulingGates(List.of())
                .endSpec()
                .build();
        assertThat(trouble(ungated, late))
                .as("gates removed, the scheduler not there yet")
                .isEmpty();
        assertThat(PodTrouble.lookAgainAt(Optional.of(deployment(NEW_RS)), List.of(ungated), STARTED))
                .isEmpty();

        Pod placed = new PodBuilder(ungated)
                .editSpec()
                .withNodeName("kwok-node-0")
                .endSpec()
                .editStatus()
                .withConditions(new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                        .withType("PodScheduled")
                        .withStatus("True")
                        .withLastTransitionTime(late.toString())
                        .build())
                .withContainerStatuses(waiting("ContainerCreating", null, 0))
                .endStatus()
                .build();
        assertThat(trouble(placed, late.plusSeconds(1))).as("placed").isEmpty();

        Pod noNode = unschedulable("0/3 nodes are available: 3 Insufficient memory.", STARTED);
        assertThat(trouble(noNode, late).map(CacheCondition::getReason)).contains(PodTrouble.UNSCHEDULABLE);
    }

    /** Gate names are qualified names of up to 316 characters, and a pod may carry many: quoted and capped. */
    @Test
    void manyLongGatesAreCappedAsTheSchedulersWordsAre() {
        String[] gates = new String[12];
        for (int i = 0; i < gates.length; i++) {
            gates[i] = "gate-" + i + ".capacity.corp.example/" + "x".repeat(60);
        }
        Pod pending = gated(STARTED, gates);

        String message = trouble(pending, STARTED.plus(PodTrouble.SCHEDULING_GRACE))
                .orElseThrow()
                .getMessage();

        assertThat(message)
                .contains("\"" + String.join(", ", gates).substring(0, 500) + "...\" (spec.schedulingGates; ")
                .doesNotContain(gates[11]);
    }

    /** A pod the spec can place comes first; a gated pod still says more than a pod that failed. */
    @Test
    void aGatedPodComesAfterAPodWithoutANodeAndBeforeAFailedPod() {
        Pod unplaced = new PodBuilder(unschedulable("0/3 nodes are available: 3 Insufficient cpu.", STARTED))
                .editMetadata()
                .withName("builds-7d9f8c6b5-zzzzz")
                .endMetadata()
                .build();
        Pod held = gated(STARTED, "kueue.x-k8s.io/admission");
        Pod evicted = new PodBuilder(pod("builds-7d9f8c6b5-aaaaa", NEW_RS, "Failed", false))
                .editStatus()
                .withReason("Evicted")
                .endStatus()
                .build();
        Instant late = STARTED.plus(PodTrouble.SCHEDULING_GRACE);

        assertThat(PodTrouble.of(
                                cache,
                                Optional.of(deployment(NEW_RS)),
                                List.of(evicted, held, unplaced),
                                Optional.empty(),
                                late)
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.UNSCHEDULABLE);
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(evicted, held), Optional.empty(), late)
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.SCHEDULING_GATED);
    }

    /**
     * A reported pod replaced by one that waits for a node as well is the same wait: Kueue deletes the pods of a
     * workload it evicts (preempted, or not ready in time) and the ReplicaSet makes them again, gated again; a proxy
     * pod preempted by a higher-priority pod is made again and may find no node either. The new pod is named at once
     * rather than after a grace of its own, during which Degraded turned False (or gave way to RolloutFailed past the
     * Deployment's progress deadline). A wait that starts with nothing reported keeps its grace.
     */
    @Test
    void aPodThatReplacesAReportedOneAndWaitsForANodeTooIsNamedAtOnce() {
        Instant replaced = STARTED.plusSeconds(600);
        Instant soon = replaced.plusSeconds(5);
        Optional<CacheCondition> reportedGated = trouble(gated(STARTED, "kueue.x-k8s.io/admission"), replaced);
        Optional<CacheCondition> reportedUnplaced =
                trouble(unschedulable("0/3 nodes are available: 3 Insufficient memory.", STARTED), replaced);
        assertThat(reportedGated.map(CacheCondition::getReason)).contains(PodTrouble.SCHEDULING_GATED);
        assertThat(reportedUnplaced.map(CacheCondition::getReason)).contains(PodTrouble.UNSCHEDULABLE);
        Pod gatedAgain = new PodBuilder(gated(replaced, "kueue.x-k8s.io/admission"))
                .editMetadata()
                .withName("builds-7d9f8c6b5-fghij")
                .endMetadata()
                .build();
        Pod noNodeAgain = new PodBuilder(unschedulable("0/3 nodes are available: 3 Insufficient memory.", replaced))
                .editMetadata()
                .withName("builds-7d9f8c6b5-fghij")
                .endMetadata()
                .build();

        assertThat(trouble(gatedAgain, soon))
                .as("a wait that starts: its grace")
                .isEmpty();
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(gatedAgain), reportedGated, soon))
                .as("the gated pod that replaced a reported gated pod")
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo("True");
                    assertThat(c.getReason()).isEqualTo(PodTrouble.SCHEDULING_GATED);
                    assertThat(c.getMessage())
                            .startsWith("The proxy pod builds-7d9f8c6b5-fghij has not been placed on a node since "
                                    + replaced + ":");
                });
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(gatedAgain), reportedUnplaced, soon)
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.SCHEDULING_GATED);
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(noNodeAgain), reportedUnplaced, soon)
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.UNSCHEDULABLE);
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(noNodeAgain), reportedGated, soon)
                        .map(CacheCondition::getReason))
                .contains(PodTrouble.UNSCHEDULABLE);

        CacheCondition asExpected = new CacheCondition(
                CacheCondition.DEGRADED, CacheCondition.FALSE, "AsExpected", "Nothing needs attention.");
        CacheCondition crashing = new CacheCondition(
                CacheCondition.DEGRADED, CacheCondition.TRUE, PodTrouble.PROXY_CRASHING, "The proxy exits.");
        CacheCondition gatedOnceFalse = new CacheCondition(
                CacheCondition.DEGRADED, CacheCondition.FALSE, PodTrouble.SCHEDULING_GATED, "not a report");
        for (CacheCondition before : List.of(asExpected, crashing, gatedOnceFalse)) {
            assertThat(PodTrouble.of(
                            cache, Optional.of(deployment(NEW_RS)), List.of(gatedAgain), Optional.of(before), soon))
                    .as(
                            "nothing of a wait for a node reported before (%s %s): the grace holds",
                            before.getStatus(), before.getReason())
                    .isEmpty();
        }

        Pod placed = pod("builds-7d9f8c6b5-fghij", NEW_RS, "Running", true, running());
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(placed), reportedGated, soon))
                .as("placed and serving: nothing left to say")
                .isEmpty();

        // a pod that never ran goes at once when deleted: for a moment no pod of the template exists
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(), reportedGated, soon))
                .as("between the deletion and the ReplicaSet's next pod, what was said stands")
                .isEqualTo(reportedGated);
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(), Optional.of(asExpected), soon))
                .isEmpty();
        Deployment scaledToZero = new DeploymentBuilder(deployment(NEW_RS))
                .editSpec()
                .withReplicas(0)
                .endSpec()
                .build();
        assertThat(PodTrouble.of(cache, Optional.of(scaledToZero), List.of(), reportedGated, soon))
                .as("no pod wanted")
                .isEmpty();
        Deployment allReady = new DeploymentBuilder(deployment(NEW_RS))
                .editStatus()
                .withReadyReplicas(1)
                .endStatus()
                .build();
        assertThat(PodTrouble.of(cache, Optional.of(allReady), List.of(), reportedGated, soon))
                .as("every pod it wants is ready")
                .isEmpty();
        Deployment refused = new DeploymentBuilder(deployment(NEW_RS))
                .editStatus()
                .addNewCondition()
                .withType("ReplicaFailure")
                .withStatus("True")
                .withReason("FailedCreate")
                .withMessage("pods \"builds-7d9f8c6b5-klmno\" is forbidden: exceeded quota: pods")
                .endCondition()
                .endStatus()
                .build();
        assertThat(PodTrouble.of(cache, Optional.of(refused), List.of(), reportedGated, soon))
                .as("the API server refuses the next pod: RolloutFailed says so")
                .isEmpty();
        assertThat(PodTrouble.of(cache, Optional.empty(), List.of(), reportedGated, soon))
                .as("no Deployment")
                .isEmpty();
    }

    /**
     * A pod of the current template as kube-apiserver 1.36 creates it with scheduling gates (pod strategy's
     * applySchedulingGatedCondition): Pending, no node, PodScheduled False SchedulingGated, and nothing else written.
     */
    static Pod gated(Instant since, String... gates) {
        return new PodBuilder(pod("builds-7d9f8c6b5-abcde", NEW_RS, "Pending", false))
                .editMetadata()
                .withCreationTimestamp(since.toString())
                .endMetadata()
                .withNewSpec()
                .withSchedulingGates(Arrays.stream(gates)
                        .map(name ->
                                new PodSchedulingGateBuilder().withName(name).build())
                        .toList())
                .endSpec()
                .editStatus()
                .withStartTime(null)
                .withConditions(new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                        .withType("PodScheduled")
                        .withStatus("False")
                        .withReason("SchedulingGated")
                        .withMessage("Scheduling is blocked due to non-empty scheduling gates")
                        .withLastTransitionTime(since.toString())
                        .build())
                .endStatus()
                .build();
    }

    /**
     * Which pods are the current template's is read on the pods, whatever the Deployment controller's Progressing
     * condition says, which is no API: "Created new replica set" as it makes the new ReplicaSet, the previous
     * ReplicaSet still named after a rollback to an earlier template (a spec change undone), "Deployment is paused",
     * or no condition at all without a progress deadline. It parsed that message, and took the named ReplicaSet's
     * pods, or every pod when no name was found.
     */
    @Test
    void theCurrentTemplatesPodsAreFoundWhateverTheDeploymentControllersMessageSays() {
        Pod oldCrashing = pod("builds-5c4b3a291-zyxwv", OLD_RS, "Running", false, crashLoop(5));
        Pod newStarting =
                pod("builds-7d9f8c6b5-abcde", NEW_RS, "Pending", false, waiting("ContainerCreating", null, 0));
        Pod newCrashing = pod("builds-7d9f8c6b5-abcde", NEW_RS, "Running", false, crashLoop(3));
        Pod oldServing = pod("builds-5c4b3a291-zyxwv", OLD_RS, "Running", true, running());
        Map<String, Deployment> saying = new LinkedHashMap<>();
        saying.put(
                "NewReplicaSetCreated", progressing(deployment(NEW_RS), "Created new replica set \"" + NEW_RS + "\""));
        saying.put(
                "a rollback, the previous ReplicaSet still named",
                progressing(deployment(NEW_RS), "ReplicaSet \"" + OLD_RS + "\" is progressing."));
        saying.put("DeploymentPaused", progressing(deployment(NEW_RS), "Deployment is paused"));
        Deployment noDeadline = deployment(NEW_RS);
        noDeadline.getStatus().setConditions(List.of());
        saying.put("no progress deadline, no Progressing condition", noDeadline);

        saying.forEach((said, deployment) -> {
            assertThat(PodTrouble.of(
                            cache,
                            Optional.of(deployment),
                            List.of(oldCrashing, newStarting),
                            Optional.empty(),
                            STARTED))
                    .as("an old template's pod crashing, the new one's starting: " + said)
                    .isEmpty();
            assertThat(PodTrouble.of(
                                    cache,
                                    Optional.of(deployment),
                                    List.of(oldServing, newCrashing),
                                    Optional.empty(),
                                    STARTED.plusSeconds(40))
                            .map(CacheCondition::getReason))
                    .as("the new template's pod crashing: " + said)
                    .contains(PodTrouble.PROXY_CRASHING);
        });
    }

    private static Deployment progressing(Deployment deployment, String message) {
        deployment.getStatus().getConditions().stream()
                .filter(c -> "Progressing".equals(c.getType()))
                .forEach(c -> c.setMessage(message));
        return deployment;
    }

    /** A Deployment made by an operator from before the template hash, and its pods: every pod is taken. */
    @Test
    void aTemplateWithoutAHashTakesThePodsWithoutOne() {
        Deployment older = deployment(NEW_RS);
        older.getSpec().getTemplate().getMetadata().setAnnotations(Map.of());
        Pod pod = new PodBuilder(pod(
                        "builds-7d9f8c6b5-abcde",
                        NEW_RS,
                        "Pending",
                        false,
                        waiting("CreateContainerConfigError", "secret \"egress-login\" not found", 0)))
                .editMetadata()
                .withAnnotations(Map.of())
                .endMetadata()
                .build();

        assertThat(PodTrouble.of(cache, Optional.of(older), List.of(pod), Optional.empty(), STARTED))
                .isPresent();
        assertThat(PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(pod), Optional.empty(), STARTED))
                .as("such a pod once the operator applied a template with its hash")
                .isEmpty();
    }

    @Test
    void aDeploymentWithoutAProgressingConditionTakesEveryPodNotBeingDeleted() {
        Deployment fresh = deployment(NEW_RS);
        fresh.getStatus().setConditions(List.of());
        Pod pod = pod(
                "builds-7d9f8c6b5-abcde",
                NEW_RS,
                "Pending",
                false,
                waiting("CreateContainerConfigError", "secret \"egress-login\" not found", 0));

        assertThat(PodTrouble.of(cache, Optional.of(fresh), List.of(pod), Optional.empty(), STARTED))
                .isPresent();
    }

    private Optional<CacheCondition> trouble(Pod pod, Instant now) {
        return PodTrouble.of(cache, Optional.of(deployment(NEW_RS)), List.of(pod), Optional.empty(), now);
    }

    /**
     * As the operator renders its template (the template hash, whose pods the ReplicaSet named after it makes) and the
     * Deployment controller writes its status: its Progressing condition names the newest ReplicaSet.
     */
    static Deployment deployment(String newestReplicaSet) {
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName("builds")
                .withNamespace("team-a")
                .withGeneration(2L)
                .endMetadata()
                .withNewSpec()
                .withReplicas(1)
                .withNewTemplate()
                .withNewMetadata()
                .addToAnnotations(CacheNames.TEMPLATE_HASH_ANNOTATION, templateOf(newestReplicaSet))
                .endMetadata()
                .endTemplate()
                .endSpec()
                .withNewStatus()
                .withObservedGeneration(2L)
                .withReplicas(1)
                .withUpdatedReplicas(1)
                .withReadyReplicas(0)
                .addNewCondition()
                .withType("Available")
                .withStatus("False")
                .withReason("MinimumReplicasUnavailable")
                .endCondition()
                .addNewCondition()
                .withType("Progressing")
                .withStatus("True")
                .withReason("ReplicaSetUpdated")
                .withMessage("ReplicaSet \"" + newestReplicaSet + "\" is progressing.")
                .endCondition()
                .endStatus()
                .build();
    }

    /** The template hash of a ReplicaSet's pods, for these fixtures its name's suffix. */
    static String templateOf(String replicaSet) {
        return replicaSet.substring("builds-".length());
    }

    /** A pod of the ReplicaSet, with the template hash of its template, as the ReplicaSet controller makes it. */
    static Pod pod(String name, String replicaSet, String phase, boolean ready, ContainerStatus... containers) {
        return new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("team-a")
                .withCreationTimestamp(STARTED.toString())
                .addToLabels(CacheNames.INSTANCE_LABEL, "builds")
                .addToLabels("pod-template-hash", templateOf(replicaSet))
                .addToAnnotations(CacheNames.TEMPLATE_HASH_ANNOTATION, templateOf(replicaSet))
                .addNewOwnerReference()
                .withApiVersion("apps/v1")
                .withKind("ReplicaSet")
                .withName(replicaSet)
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .withNewStatus()
                .withPhase(phase)
                .withStartTime(STARTED.toString())
                .addNewCondition()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .endCondition()
                .withContainerStatuses(containers)
                .endStatus()
                .build();
    }

    static ContainerStatus waiting(String reason, String message, int restarts) {
        return new ContainerStatusBuilder()
                .withName("proxy")
                .withImage("ghcr.io/modproxy/proxy:test")
                .withReady(false)
                .withRestartCount(restarts)
                .withNewState()
                .withNewWaiting()
                .withReason(reason)
                .withMessage(message)
                .endWaiting()
                .endState()
                .build();
    }

    /** Waiting in CrashLoopBackOff, its last run ended with the proxy's last log line (FallbackToLogsOnError). */
    static ContainerStatus crashLoop(int restarts) {
        return new ContainerStatusBuilder(waiting(
                        "CrashLoopBackOff",
                        "back-off 20s restarting failed container=proxy pod=builds-7d9f8c6b5-abcde_team-a",
                        restarts))
                .withNewLastState()
                .withNewTerminated()
                .withExitCode(1)
                .withReason("Error")
                .withStartedAt("2026-01-01T10:00:30Z")
                .withFinishedAt("2026-01-01T10:00:31Z")
                .withMessage("starting modproxy\nmodproxy cannot start: MODPROXY_UPSTREAM: no upstream\n")
                .endTerminated()
                .endLastState()
                .build();
    }

    static ContainerStatus running() {
        return new ContainerStatusBuilder()
                .withName("proxy")
                .withImage("ghcr.io/modproxy/proxy:test")
                .withReady(true)
                .withRestartCount(0)
                .withNewState()
                .withNewRunning()
                .withStartedAt("2026-01-01T10:00:02Z")
                .endRunning()
                .endState()
                .build();
    }
}
