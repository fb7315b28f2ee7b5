package dev.modproxy.operator.reconciler;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.impl.KubernetesClientImpl;
import io.fabric8.kubernetes.client.utils.HttpClientUtils;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.URI;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Checks the {@link LeadershipFence} immediately before each write the operator's client sends, and refuses the write
 * once the fence is raised: a reconciliation already under way when the process froze (a VM paused, SIGSTOP, a long
 * GC) sends nothing after it wakes, beside the replica that leads now.
 *
 * <p>One check in the client rather than one at each write site: a reconciliation writes through the dependents'
 * create, update and delete (the operator SDK's, some with a JSON patch of their own first), the status patch, and
 * the operator SDK's deletes of dependents whose precondition no longer holds; a check at each would have to sit
 * right before every one of them and every one added later.
 *
 * <p>fabric8 calls {@link #before} for each attempt of a request: the first on the thread that asked for it, where
 * the refusal reaches the caller; a resend after a 5xx, a 429 or a connection failure from its scheduler's thread,
 * where what {@link #before} throws reaches nobody, so the refusal also ends the caller's call, which
 * {@link FencedHttpClient} hands it. The interceptor comes before fabric8's own: it then sees the request of each
 * attempt as the caller made it (fabric8 rebuilds it after each interceptor), and answers a 401 before fabric8's token
 * interceptor sends the write again with a fresh token, which it does without calling {@link #before}.
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
    /** The calls of fenced writes under way, by their request (the same object at each attempt's first interceptor). */
    private final Map<HttpRequest, CompletableFuture<?>> calls = Collections.synchronizedMap(new IdentityHashMap<>());

    FencedWrites(LeadershipFence fence, String masterUrl) {
        this.fence = fence;
        String path = URI.create(masterUrl).getPath();
        this.apiPrefix = path == null ? "" : path.replaceAll("/+$", "");
    }

    /**
     * A client of {@code config} whose writes check the fence: what {@code KubernetesClientBuilder} builds (the HTTP
     * client factory fabric8 finds, in the application Quarkus' own on its managed Vert.x; fabric8's interceptors for
     * the token, the headers and older API servers), with this interceptor first and its calls endable.
     */
    static KubernetesClient client(Config config, KubernetesSerialization serialization, LeadershipFence fence) {
        FencedWrites fencedWrites = new FencedWrites(fence, config.getMasterUrl());
        HttpClient.Factory factory = HttpClientUtils.getHttpClientFactory();
        // factory.newBuilder(config) adds fabric8's interceptors to a new builder: here after this one
        HttpClient.Builder http = factory.newBuilder().addOrReplaceInterceptor(NAME, fencedWrites);
        HttpClientUtils.applyCommonConfiguration(config, http, factory);
        return new KubernetesClientImpl(new FencedHttpClient(http.build(), fencedWrites), config, null, serialization);
    }

    /** The call {@code send} starts, which a refusal of any of its attempts ends. */
    <T> CompletableFuture<T> endable(HttpRequest request, Supplier<CompletableFuture<T>> send) {
        if (!fenced(request)) {
            return send.get();
        }
        CompletableFuture<T> call = new CompletableFuture<>();
        calls.put(request, call);
        CompletableFuture<T> sent;
        try {
            sent = send.get(); // a refusal of the first attempt is thrown here, on the caller's thread
        } catch (RuntimeException e) {
            calls.remove(request);
            throw e;
        }
        sent.whenComplete((answer, failure) -> {
            if (failure != null) {
                call.completeExceptionally(failure);
            } else {
                call.complete(answer);
            }
        });
        call.whenComplete((answer, failure) -> {
            calls.remove(request);
            if (call.isCancelled()) {
                sent.cancel(true);
            }
        });
        return call;
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (fenced(request) && fence.raised()) {
            FencedWriteException refused = refuse(request);
            CompletableFuture<?> call = calls.get(request);
            if (call != null) {
                call.completeExceptionally(refused);
            }
            throw refused;
        }
    }

    @Override
    public CompletableFuture<Boolean> afterFailure(BasicBuilder builder, HttpResponse<?> response, RequestTags tags) {
        // a 401: fabric8's token interceptor, next, would send the write again at once without calling before()
        if (response.code() == 401 && fenced(response.request()) && fence.raised()) {
            return CompletableFuture.failedFuture(refuse(response.request()));
        }
        return CompletableFuture.completedFuture(false);
    }

    private FencedWriteException refuse(HttpRequest request) {
        FencedWriteException refused =
                new FencedWriteException(request.method(), request.uri().getRawPath());
        LOG.log(told.compareAndSet(false, true) ? Logger.Level.INFO : Logger.Level.DEBUG, refused.getMessage());
        return refused;
    }

    /** A write of a kind this fences. */
    private boolean fenced(HttpRequest request) {
        return WRITES.contains(request.method())
                && resourceOf(request.uri().getRawPath())
                        .filter(UNFENCED::contains)
                        .isEmpty();
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
