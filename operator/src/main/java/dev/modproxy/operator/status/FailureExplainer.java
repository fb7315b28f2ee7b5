package dev.modproxy.operator.status;

import dev.modproxy.operator.dependent.NameTakenException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Turns an exception from applying the owned objects into a Degraded reason and an actionable message. */
public final class FailureExplainer {

    /** The reason of a failure that is not an API server's answer: its stack trace is worth logging. */
    public static final String UNEXPLAINED = "ReconcileFailed";

    /** The API server refuses new objects in a namespace being deleted: the cache is about to go with it. */
    public static final String NAMESPACE_TERMINATING = "NamespaceTerminating";

    /**
     * Another writer changed an owned object between the operator's read and its write (409): routine on a
     * busy cluster (the Deployment controller writes the same Deployment), and over at the next attempt.
     */
    public static final String CONFLICT = "Conflict";

    /** An object of a name the cache needs exists and is someone else's. */
    public static final String NAME_IN_USE = "NameInUse";

    /**
     * Refusals that stay until a person acts (raises the quota, grants the permission, fixes the field, frees the
     * name: the object in the way is not watched, so its deletion sends no event).
     */
    private static final Set<String> AWAITING_A_FIX = Set.of("QuotaExceeded", "Forbidden", "Rejected", NAME_IN_USE);

    private FailureExplainer() {}

    public static Observation.Failure explain(Exception error) {
        List<Throwable> causes = new ArrayList<>();
        // the workflow's per-dependent errors arrive wrapped in an OperatorException
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AggregatedOperatorException aggregated) {
                for (Map.Entry<String, Exception> e :
                        aggregated.getAggregatedExceptions().entrySet()) {
                    causes.add(e.getValue());
                }
            }
        }
        if (causes.isEmpty()) {
            causes.add(error);
        }
        Optional<NameTakenException> taken = causes.stream()
                .map(FailureExplainer::nameTaken)
                .flatMap(Optional::stream)
                .findFirst();
        if (taken.isPresent()) {
            return new Observation.Failure(NAME_IN_USE, taken.get().getMessage());
        }
        Optional<KubernetesClientException> api = causes.stream()
                .map(FailureExplainer::apiCause)
                .flatMap(Optional::stream)
                .findFirst();
        if (api.isPresent()) {
            return explainApi(api.get());
        }
        Throwable first = causes.get(0);
        return new Observation.Failure(
                UNEXPLAINED,
                "Applying the spec failed: " + describe(first)
                        + ". The operator retries with backoff; see its log for details.");
    }

    /** True when retrying soon cannot help: the API server refuses until a person changes something. */
    public static boolean awaitsAFix(Observation.Failure failure) {
        return AWAITING_A_FIX.contains(failure.reason());
    }

    private static Observation.Failure explainApi(KubernetesClientException e) {
        String message =
                Optional.ofNullable(e.getStatus()).map(s -> s.getMessage()).orElse(e.getMessage());
        int code = e.getCode();
        // the NamespaceLifecycle admission plugin's answer ("unable to create new content in namespace ...")
        if (code == 403 && message != null && message.contains("because it is being terminated")) {
            return new Observation.Failure(
                    NAMESPACE_TERMINATING, "Its namespace is being deleted, and the cache with it: " + message);
        }
        if (code == 403 && message != null && message.contains("exceeded quota")) {
            return new Observation.Failure(
                    "QuotaExceeded",
                    "The namespace's ResourceQuota refused an object: " + message
                            + ". Fix: raise the quota or lower spec.resources / spec.storage.size.");
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
                    "The API server rejected an owned object: " + message
                            + ". Fix the spec field it names; immutable fields (storage class, access modes) need a new "
                            + "GoProxyCache.");
        }
        return new Observation.Failure(
                "ApiError",
                "The API server answered " + code + ": " + message + ". The operator retries with backoff.");
    }

    private static Optional<NameTakenException> nameTaken(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof NameTakenException n) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    private static Optional<KubernetesClientException> apiCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof KubernetesClientException k) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
