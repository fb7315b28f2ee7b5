package dev.modproxy.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Checks the {@link LeadershipFence} immediately before each write the operator's client sends, and refuses the write
 * once the fence is raised: a reconciliation already under way when the process froze (a VM paused, SIGSTOP, a long
 * GC) sends nothing after it wakes, beside the replica that leads now.
 *
 * <p>One check in the client rather than one at each write site: a reconciliation writes through the dependents'
 * create, update and delete (the operator SDK's, some with a JSON patch of their own first), the status patch, and
 * the operator SDK's deletes of dependents whose precondition no longer holds; a check at each would have to sit
 * right before every one of them and every one added later. fabric8 calls {@link #before} for each attempt of a
 * request (its retries too) before handing it to the HTTP client, on the thread that asked for the first one.
 *
 * <p>Not fenced: the kinds a replica writes whether or not it leads, none of which a reconciliation writes (a test
 * holds the workflow's dependents to that): the Lease (the elector's renewals, the release on shutdown), and what the
 * webhook writes to keep serving, which a replica that lost the Lease still does with
 * {@code modproxy.operator.exit-on-lost-lease=false} (its certificate Secret, the caBundle of its
 * MutatingWebhookConfiguration).
 */
final class FencedWrites implements Interceptor {

    private static final Logger LOG = Logger.getLogger(FencedWrites.class);
    private static final String NAME = "modproxy-leadership-fence";
    private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");

    /** {@code group/resource} (an empty group for the core API) of what a replica writes whether or not it leads. */
    static final Set<String> UNFENCED = Set.of(
            "coordination.k8s.io/leases", "/secrets", "admissionregistration.k8s.io/mutatingwebhookconfigurations");

    private final LeadershipFence fence;
    /** The path of the API server's URL (a proxy in front of it may put the API under one), without its final '/'. */
    private final String apiPrefix;
    /** The first refused write is logged at INFO, the rest at DEBUG: every one after it is the same story. */
    private final AtomicBoolean told = new AtomicBoolean();

    FencedWrites(LeadershipFence fence, String masterUrl) {
        this.fence = fence;
        String path = URI.create(masterUrl).getPath();
        this.apiPrefix = path == null ? "" : path.replaceAll("/+$", "");
    }

    /** The builder, whose clients check the fence before each write. */
    static KubernetesClientBuilder install(KubernetesClientBuilder builder, LeadershipFence fence, String masterUrl) {
        FencedWrites interceptor = new FencedWrites(fence, masterUrl);
        return builder.withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor(NAME, interceptor));
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (!WRITES.contains(request.method())) {
            return;
        }
        String path = request.uri().getRawPath();
        if (resourceOf(path).filter(UNFENCED::contains).isPresent()) {
            return;
        }
        if (fence.raised()) {
            FencedWriteException refused = new FencedWriteException(request.method(), path);
            LOG.log(told.compareAndSet(false, true) ? Logger.Level.INFO : Logger.Level.DEBUG, refused.getMessage());
            throw refused;
        }
    }

    /**
     * {@code group/resource} of an API path ({@code /api/v1/namespaces/a/services/b} is {@code /services},
     * {@code /apis/apps/v1/namespaces/a/deployments/b/scale} is {@code apps/deployments}); empty for a path outside
     * the resource API.
     */
    Optional<String> resourceOf(String path) {
        if (!path.startsWith(apiPrefix + "/")) {
            return Optional.empty();
        }
        List<String> segments = Arrays.stream(
                        path.substring(apiPrefix.length() + 1).split("/"))
                .filter(s -> !s.isEmpty())
                .toList();
        String group;
        int resource;
        if (segments.size() > 2 && segments.get(0).equals("api")) {
            group = "";
            resource = 2;
        } else if (segments.size() > 3 && segments.get(0).equals("apis")) {
            group = segments.get(1);
            resource = 3;
        } else {
            return Optional.empty();
        }
        // a namespaced resource; /api/v1/namespaces/a alone is the namespace itself
        if (segments.get(resource).equals("namespaces") && segments.size() > resource + 2) {
            resource += 2;
        }
        return Optional.of(group + "/" + segments.get(resource));
    }
}
