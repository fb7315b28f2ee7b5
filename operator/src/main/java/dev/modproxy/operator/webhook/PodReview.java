package dev.modproxy.operator.webhook;

import java.util.List;
import java.util.Map;

/**
 * The parts of an AdmissionReview v1 request the webhook acts on, as {@link AdmissionReviewReader} reads
 * them; the rest of the review (status, volumes, managed fields, old object) is skipped unread.
 *
 * @param kind {@code request.kind}, or {@code request.requestKind} when the review carries only that; null
 *        when neither
 * @param dryRun {@code request.dryRun}: nothing will be stored ({@code kubectl create --dry-run=server})
 * @param pod the Pod in {@code request.object}; null when the object is absent or not a Pod
 * @param notAPod why {@code pod} is null ("request.object is missing", "request.object is a ConfigMap, not a Pod")
 * @param wrongType the first field read that had the wrong JSON type, as a path
 *        ({@code request.object.spec.containers[0].env}); null when every field fit
 */
public record PodReview(
        String uid,
        String operation,
        ResourceKind kind,
        String subResource,
        String namespace,
        boolean dryRun,
        AdmittedPod pod,
        String notAPod,
        String wrongType) {

    public record ResourceKind(String group, String kind) {}

    /**
     * What the webhook reads of the Pod. Lists are never null (an absent list is empty) but may hold null
     * entries, as a hand-written review may.
     *
     * @param hasMetadata whether the object carries {@code metadata} at all (the patch must add it otherwise)
     * @param hostNetwork {@code spec.hostNetwork}
     * @param dnsPolicy {@code spec.dnsPolicy}; null when absent (the API server's default is ClusterFirst)
     */
    public record AdmittedPod(
            boolean hasMetadata,
            String namespace,
            Map<String, String> labels,
            Map<String, String> annotations,
            List<PodContainer> initContainers,
            List<PodContainer> containers,
            boolean hostNetwork,
            String dnsPolicy) {}

    /** A container or init container: what it runs and the environment it sets. */
    public record PodContainer(
            String name,
            String image,
            List<String> command,
            List<String> args,
            List<EnvEntry> env,
            List<EnvSource> envFrom) {}

    /** One {@code env} entry; {@code fromSource} when it has a {@code valueFrom}. */
    public record EnvEntry(String name, String value, boolean fromSource) {}

    /** One {@code envFrom} source: only its prefix matters, the ConfigMap or Secret behind it is not readable here. */
    public record EnvSource(String prefix) {}
}
