package dev.modproxy.operator.status;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.dependent.NameTakenException;
import dev.modproxy.operator.dependent.OwnerReferenceRefusedException;
import dev.modproxy.operator.dependent.VolumeClaimMismatchException;
import dev.modproxy.operator.dependent.VolumeClaimRefusedException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns an exception from applying the owned objects into a Degraded reason and an actionable message. */
public final class FailureExplainer {

    /** The reason of a failure that is not an API server's answer: its stack trace is worth logging. */
    public static final String UNEXPLAINED = "ReconcileFailed";

    /** The API server refuses new objects in a namespace being deleted: the cache is about to go with it. */
    public static final String NAMESPACE_TERMINATING = "NamespaceTerminating";

    /**
     * The GoProxyCache itself is gone (404): deleted while it was reconciled. Its owned objects go with it by garbage
     * collection, and there is no status left to write.
     */
    public static final String CACHE_DELETED = "CacheDeleted";

    /**
     * Another writer changed an owned object between the operator's read and its write (409): routine on a
     * busy cluster (the Deployment controller writes the same Deployment), and over at the next attempt.
     */
    public static final String CONFLICT = "Conflict";

    /** An object of a name the cache needs exists and is someone else's. */
    public static final String NAME_IN_USE = "NameInUse";

    /**
     * An object of the cache's exists without the cache's owner reference, and the API server does not let the
     * operator put it there (it may not delete the object): deleting the object lets the operator make it again.
     */
    public static final String OWNER_REFERENCE_REFUSED = "OwnerReferenceRefused";

    /** The existing volume claim has access modes or a class other than the spec's: a retained claim, adopted. */
    public static final String VOLUME_CLAIM_MISMATCH = "VolumeClaimMismatch";

    /** The volume claim cannot grow: its StorageClass does not allow expansion, or no volume is bound to it yet. */
    public static final String VOLUME_EXPANSION_REFUSED = "VolumeExpansionRefused";

    /**
     * An admission webhook (Kyverno, Gatekeeper, ...) or a ValidatingAdmissionPolicy of the cluster's refused an owned
     * object: a policy, not a permission the operator lacks.
     */
    public static final String ADMISSION_DENIED = "AdmissionDenied";

    /**
     * The API server's words for a webhook's denial ({@code admission webhook "name" denied the request: why}, or
     * {@code ... without explanation}) and for a ValidatingAdmissionPolicy's ({@code ValidatingAdmissionPolicy 'name'
     * with binding 'binding' denied request: why}); the code is the webhook's or the policy's choice (403, 400, 422).
     */
    private static final Pattern ADMISSION_DENIAL = Pattern.compile(
            "admission webhook (?<webhook>\"[^\"]*\") denied the request(?::\\s*(?<webhookSays>.*))?"
                    + "|(?<policy>ValidatingAdmissionPolicy '[^']*'(?: with binding '[^']*')?) denied request:"
                    + "\\s*(?<policySays>.*)",
            Pattern.DOTALL);

    /**
     * Refusals that stay until a person acts (raises the quota, grants the permission, fixes the field, frees the
     * name: the object in the way is not watched, so its deletion sends no event).
     */
    private static final Set<String> AWAITING_A_FIX = Set.of(
            "QuotaExceeded",
            "Forbidden",
            "Rejected",
            ADMISSION_DENIED,
            NAME_IN_USE,
            VOLUME_EXPANSION_REFUSED,
            VOLUME_CLAIM_MISMATCH,
            OWNER_REFERENCE_REFUSED);

    private FailureExplainer() {}

    public static Observation.Failure explain(Exception error) {
        List<Throwable> causes = causes(error);
        Optional<NameTakenException> taken = firstCause(causes, NameTakenException.class);
        if (taken.isPresent()) {
            return new Observation.Failure(NAME_IN_USE, taken.get().getMessage());
        }
        Optional<VolumeClaimMismatchException> mismatch = firstCause(causes, VolumeClaimMismatchException.class);
        if (mismatch.isPresent()) {
            return new Observation.Failure(VOLUME_CLAIM_MISMATCH, mismatch.get().getMessage());
        }
        Optional<OwnerReferenceRefusedException> unowned = firstCause(causes, OwnerReferenceRefusedException.class);
        if (unowned.isPresent()) {
            return new Observation.Failure(
                    OWNER_REFERENCE_REFUSED, unowned.get().getMessage());
        }
        Optional<VolumeClaimRefusedException> claimRefused = firstCause(causes, VolumeClaimRefusedException.class);
        if (claimRefused.isPresent()) {
            return explainClaimRefusal(claimRefused.get());
        }
        Optional<KubernetesClientException> api = firstCause(causes, KubernetesClientException.class);
        if (api.isPresent()) {
            return explainApi(api.get());
        }
        Throwable first = causes.get(0);
        return new Observation.Failure(
                UNEXPLAINED,
                "Applying the spec failed: " + describe(first)
                        + ". The operator retries with backoff; see its log for details.");
    }

    /** Whether {@code error} is the API server saying the GoProxyCache it was about no longer exists. */
    public static boolean cacheDeleted(Exception error) {
        return CACHE_DELETED.equals(explain(error).reason());
    }

    /**
     * A {@link #CACHE_DELETED} failure whose cache is still there: an API error, with its likely cause (a CRD without
     * the status subresource answers 404 to every status write).
     */
    public static Observation.Failure notFoundThoughPresent(Exception error) {
        String answer = firstCause(causes(error), KubernetesClientException.class)
                .map(e -> firstLine(answer(e)))
                .orElseGet(error::getMessage);
        return new Observation.Failure(
                "ApiError",
                "The API server answered 404 (" + answer + ") though the GoProxyCache exists. Fix: check that the "
                        + "cluster's CRD goproxycaches.modproxy.dev has the status subresource (kubectl get crd "
                        + "goproxycaches.modproxy.dev -o jsonpath='{.spec.versions[*].subresources}'); if not, apply "
                        + "crds/goproxycaches.modproxy.dev-v1.yml of this release.");
    }

    /** True when retrying soon cannot help: the API server refuses until a person changes something. */
    public static boolean awaitsAFix(Observation.Failure failure) {
        return AWAITING_A_FIX.contains(failure.reason());
    }

    /**
     * The API server's whole answer, when a condition shows only its first line: an invalid object's answer goes on
     * with a diff of Go structs, unreadable in kubectl and no help to the person, but worth the operator's log.
     */
    public static Optional<String> omittedDetail(Exception error) {
        return firstCause(causes(error), KubernetesClientException.class)
                .map(FailureExplainer::answer)
                .filter(answer -> answer.contains("\n"));
    }

    /**
     * What went wrong, one entry per failed dependent: the workflow's per-dependent errors arrive wrapped in an
     * OperatorException; any other error stands alone.
     */
    private static List<Throwable> causes(Exception error) {
        List<Throwable> causes = new ArrayList<>();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AggregatedOperatorException aggregated) {
                causes.addAll(aggregated.getAggregatedExceptions().values());
            }
        }
        if (causes.isEmpty()) {
            causes.add(error);
        }
        return causes;
    }

    /** The first of {@code causes} that is, or was caused by, a {@code type}. */
    private static <T extends Throwable> Optional<T> firstCause(List<Throwable> causes, Class<T> type) {
        return causes.stream()
                .map(c -> cause(c, type))
                .flatMap(Optional::stream)
                .findFirst();
    }

    /** The answer's details name a GoProxyCache (kind "goproxycaches" of group modproxy.dev): not an owned object. */
    private static boolean isAboutACache(KubernetesClientException e) {
        return e.getStatus() != null
                && e.getStatus().getDetails() != null
                && HasMetadata.getPlural(GoProxyCache.class)
                        .equals(e.getStatus().getDetails().getKind())
                && HasMetadata.getGroup(GoProxyCache.class)
                        .equals(e.getStatus().getDetails().getGroup());
    }

    private static Observation.Failure explainApi(KubernetesClientException e) {
        Matcher denial = ADMISSION_DENIAL.matcher(answer(e));
        if (denial.find()) {
            return explainAdmissionDenial(denial, e);
        }
        String message = firstLine(answer(e));
        int code = e.getCode();
        if (code == 404 && isAboutACache(e)) {
            return new Observation.Failure(CACHE_DELETED, "The GoProxyCache was deleted while reconciled: " + message);
        }
        // the NamespaceLifecycle admission plugin's answer ("unable to create new content in namespace ...")
        if (code == 403 && message.contains("because it is being terminated")) {
            return new Observation.Failure(
                    NAMESPACE_TERMINATING, "Its namespace is being deleted, and the cache with it: " + message);
        }
        if (code == 403 && message.contains("exceeded quota")) {
            // only pods take CPU and memory quota, and the Deployment's pods are refused to the ReplicaSet, not here
            // (Degraded RolloutFailed): this is the claim's storage, or a count of objects
            if (refused(e, message).filter("persistentvolumeclaims"::equals).isPresent()) {
                return new Observation.Failure(
                        "QuotaExceeded",
                        "The namespace's ResourceQuota refused the cache's volume claim: " + message
                                + ". The proxy Deployment is not made or updated until the claim exists. Fix: raise "
                                + "the quota (kubectl describe resourcequota in the cache's namespace shows what it "
                                + "allows and what is used). spec.storage.size cannot be lowered (it only grows): for a "
                                + "smaller volume, delete this GoProxyCache and create it again with a size the quota "
                                + "allows.");
            }
            return new Observation.Failure(
                    "QuotaExceeded",
                    "The namespace's ResourceQuota refused an object: " + message
                            + ". Fix: raise the quota (kubectl describe resourcequota in the cache's namespace shows "
                            + "what it allows and what is used).");
        }
        if (code == 403 && message.contains("cannot set an ownerRef")) {
            // the OwnerReferencesPermissionEnforcement plugin: an object the operator may not delete lacks the
            // cache's owner reference (OwnerReferenceRefusedException words it where the object is known)
            return new Observation.Failure(
                    OWNER_REFERENCE_REFUSED,
                    "The API server does not let the operator make the cache the owner of an object that exists "
                            + "without the cache's owner reference: " + message + ". Changing an existing object's "
                            + "owner references needs permission to delete it, which the operator lacks for it. Fix: "
                            + "delete the object the message names (in the cache's namespace); the operator makes it "
                            + "again, owned by the cache. If it is someone else's, delete this GoProxyCache and "
                            + "create it under another name instead.");
        }
        if (code == 403) {
            return new Observation.Failure(
                    "Forbidden",
                    "The API server refused the operator: " + message
                            + ". Fix: grant the operator's service account this permission (see its ClusterRole).");
        }
        if (code == 409) {
            return new Observation.Failure(
                    CONFLICT,
                    "Another writer changed an owned object at the same time: " + message
                            + ". The operator reads it again and retries.");
        }
        if (code == 422 || code == 400) {
            return new Observation.Failure(
                    "Rejected",
                    "The API server rejected an owned object: " + message + ". Fix the spec field it names.");
        }
        return new Observation.Failure(
                "ApiError",
                "The API server answered " + code + ": " + message + ". The operator retries with backoff.");
    }

    /**
     * A policy of the cluster's refused an owned object. Its answer may come as a 403, which reads as a missing
     * permission, or as a 400 or 422, which reads as a bad field: neither is what to fix. What the policy says often
     * begins with an empty line (Kyverno's list of failed rules does), so its first line with words is shown.
     */
    private static Observation.Failure explainAdmissionDenial(Matcher denial, KubernetesClientException e) {
        String refuser = denial.group("webhook") != null
                ? "The cluster's admission webhook " + denial.group("webhook")
                : "The cluster's " + denial.group("policy");
        String says = Optional.ofNullable(denial.group("webhookSays"))
                .or(() -> Optional.ofNullable(denial.group("policySays")))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(FailureExplainer::firstLine)
                .orElse("it gave no reason");
        // a policy's answer names the object in its details; a webhook's carries what the webhook chose to
        String object = Optional.ofNullable(e.getStatus())
                .map(s -> s.getDetails())
                .filter(d -> d.getKind() != null && d.getName() != null)
                .map(d -> "the cache's " + d.getKind() + " " + d.getName())
                .orElse("an object of the cache");
        return new Observation.Failure(
                ADMISSION_DENIED,
                refuser + " refused " + object + ": " + says + ". This is the cluster's policy, not a "
                        + "permission the operator lacks. Fix: change the spec so that the object meets the policy, or "
                        + "ask the cluster's administrators to exempt the cache's namespace or objects from it; the "
                        + "operator tries again by itself.");
    }

    /**
     * An update of the cache's existing claim the API server refused. The claim mounts as it is, so the rest of the
     * cache was applied; what matters is why it could not grow, and that spec.storage.size cannot go back (a CEL
     * rule: it only grows), so "lower the size" is no way out.
     */
    private static Observation.Failure explainClaimRefusal(VolumeClaimRefusedException refused) {
        KubernetesClientException e = refused.answer();
        String message = firstLine(answer(e));
        if (!refused.growth()) {
            return explainApi(e);
        }
        String claim = refused.claim();
        String from = refused.size().map(Quantity::toString).orElse("its size");
        String to = refused.wanted().map(Quantity::toString).orElse("spec.storage.size");
        String runsOn = " The proxy goes on with the " + from + " volume, and the cache's other settings are applied. "
                + "spec.storage.size cannot go back to " + from + " (it only grows).";
        String recreate = refused.retained()
                ? " The claim is retained (spec.storage.retainOnDelete): a GoProxyCache made again under this name "
                        + "adopts it as it is, so give it storage.size " + from + " to keep the cached modules, or "
                        + "delete the claim too (kubectl -n " + refused.namespace() + " delete pvc " + claim
                        + ") for a new, empty volume."
                : " The cached modules go with the old volume.";
        if (e.getCode() == 403 && message.contains("exceeded quota")) {
            return new Observation.Failure(
                    "QuotaExceeded",
                    "The namespace's ResourceQuota refuses to grow the volume claim " + claim + " from " + from
                            + " to " + to + ": " + message + "." + runsOn
                            + " Fix: raise the quota (kubectl -n " + refused.namespace()
                            + " describe resourcequota shows what it allows and what is used); the operator grows the "
                            + "claim once it fits. Otherwise the only way back is to delete this GoProxyCache and "
                            + "create it again with a size the quota allows." + recreate);
        }
        if (e.getCode() == 403 && message.contains("must support resize")) {
            // the PersistentVolumeClaimResize admission plugin: the claim's class lacks allowVolumeExpansion: true
            String storageClass =
                    refused.storageClass().map(c -> "StorageClass " + c).orElse("the claim's StorageClass");
            return new Observation.Failure(
                    VOLUME_EXPANSION_REFUSED,
                    "The volume claim " + claim + " cannot grow from " + from + " to " + to + ": " + storageClass
                            + " does not allow volume expansion (the API server: " + message + ")." + runsOn
                            + " Fix: if the class's provisioner can expand volumes, a cluster administrator can set "
                            + "allowVolumeExpansion: true on " + storageClass + ", and the operator then grows the "
                            + "claim. Otherwise a larger volume is a new one: delete this GoProxyCache and create it "
                            + "again with the size it needs (storage.storageClassName may name a class that allows "
                            + "expansion, for growing later)." + recreate);
        }
        if (e.getCode() == 422 && !refused.bound()) {
            return new Observation.Failure(
                    VOLUME_EXPANSION_REFUSED,
                    "The volume claim " + claim + " cannot grow from " + from + " to " + to + " while it is Pending: "
                            + "Kubernetes resizes a claim only once a volume is bound to it. The proxy Deployment is "
                            + "applied with the claim as it is; the operator grows it once it is bound. kubectl -n "
                            + refused.namespace() + " describe pvc " + claim + " shows why it waits.");
        }
        return explainApi(e);
    }

    /** The resource the API server names in its refusal ("persistentvolumeclaims"), from its details or message. */
    private static Optional<String> refused(KubernetesClientException e, String message) {
        Optional<String> kind = Optional.ofNullable(e.getStatus())
                .map(s -> s.getDetails())
                .map(d -> d.getKind())
                .filter(k -> !k.isEmpty());
        if (kind.isPresent()) {
            return kind;
        }
        int space = message.indexOf(' ');
        return space > 0 ? Optional.of(message.substring(0, space)) : Optional.empty();
    }

    /** The first line of an answer that goes on with a diff of the object, and a word on where the rest is. */
    private static String firstLine(String answer) {
        int end = answer.indexOf('\n');
        return end < 0
                ? answer
                : answer.substring(0, end).strip() + " (the rest of the API server's answer is in the operator's log)";
    }

    private static String answer(KubernetesClientException e) {
        return Optional.ofNullable(e.getStatus())
                .map(s -> s.getMessage())
                .or(() -> Optional.ofNullable(e.getMessage()))
                .orElse("");
    }

    private static <T extends Throwable> Optional<T> cause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return Optional.of(type.cast(c));
            }
        }
        return Optional.empty();
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
