package dev.modproxy.operator.webhook;

import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Reviews of a made-up pod, sent over HTTPS before the operator reports Ready, so that the JIT compiles the review path
 * on them and not on the first pods of a rollout: the first review after a start took 0.6 to 1.2 s against 0.1 s after
 * (docs/benchmarks.md), the API server waits 3 s, and every pod of an opted-in namespace waits on it. What they warm:
 * the server's TLS handshake (a new connection every {@link #REVIEWS_PER_CONNECTION} reviews, so the handshake is
 * compiled too, not only the reading of application data), {@link MutatePodsRoute}, {@link AdmissionReviewReader}, the
 * handler, and a full injection ({@link PodMutator}, {@link GoEnvironment}, {@link JsonPatch}, the image-builder
 * arguments) against a cache that exists only here.
 *
 * <p>They go to a server of their own on 127.0.0.1, with the webhook's TLS options and event loop, the same classes and
 * a handler of their own: no pod the API server sends can meet the made-up cache, the Kubernetes API is never called,
 * and {@code modproxy_webhook_*} counts real reviews only. A warm-up that fails or runs out of time is reported once;
 * the operator becomes Ready all the same.
 */
final class WebhookWarmup {

    private static final Logger LOG = Logger.getLogger(WebhookWarmup.class);

    /** The API server reuses its connections, so most reviews come on one already open; a new one every few. */
    static final int REVIEWS_PER_CONNECTION = 4;

    private static final String NAMESPACE = "modproxy-warmup";
    private static final CacheTarget CACHE = new CacheTarget(
            new CacheRef(NAMESPACE, "warmup"),
            "http://warmup.modproxy-warmup.svc:8080",
            "https://proxy.golang.org,direct",
            List.of("git.example.com/*"),
            List.of("gitlab.example.com/*"),
            true,
            true);

    /** An opted-in namespace with {@link #CACHE} as its only cache: the pod gets the whole injection. */
    private static final CacheDirectory DIRECTORY = new CacheDirectory() {
        @Override
        public Optional<CacheTarget> find(CacheRef ref) {
            return CACHE.ref().equals(ref) ? Optional.of(CACHE) : Optional.empty();
        }

        @Override
        public List<CacheTarget> inNamespace(String namespace) {
            return NAMESPACE.equals(namespace) ? List.of(CACHE) : List.of();
        }

        @Override
        public boolean watches(String namespace) {
            return true;
        }

        @Override
        public NamespaceInfo namespace(String name) {
            return NAMESPACE.equals(name)
                    ? new NamespaceInfo(Map.of(InjectionLabels.INJECT, InjectionLabels.NAMESPACE_ENABLED), Map.of())
                    : NamespaceInfo.UNKNOWN;
        }
    };

    /** A Tekton step pod: an init container, a go build with its own env, a Kaniko build that gets build arguments. */
    static final byte[] REVIEW = """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
             "uid":"00000000-0000-4000-8000-000000000000",
             "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
             "namespace":"modproxy-warmup","operation":"CREATE","dryRun":false,
             "userInfo":{"username":"system:serviceaccount:tekton-pipelines:tekton-pipelines-controller"},
             "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"release-image-pod","namespace":"modproxy-warmup",
              "labels":{"app.kubernetes.io/managed-by":"tekton-pipelines","tekton.dev/task":"kaniko"},
              "annotations":{"pipeline.tekton.dev/release":"v0.56.0"}},
             "spec":{"restartPolicy":"Never","serviceAccountName":"pipeline",
              "initContainers":[{"name":"prepare","image":"ghcr.io/tektoncd/pipeline/entrypoint:v0.56.0",
               "command":["/ko-app/entrypoint","init","/ko-app/entrypoint","/tekton/bin/entrypoint"],
               "volumeMounts":[{"name":"tekton-internal-bin","mountPath":"/tekton/bin"}]}],
              "containers":[
               {"name":"step-test","image":"golang:1.26","command":["/tekton/bin/entrypoint"],
                "args":["-post_file","/tekton/run/0/out","-entrypoint","go","--","test","./..."],
                "env":[{"name":"CGO_ENABLED","value":"0"},{"name":"GOFLAGS","value":"-mod=mod"},
                 {"name":"HOME","value":"/tekton/home"}],
                "workingDir":"/workspace/source","resources":{"requests":{"cpu":"500m","memory":"512Mi"}}},
               {"name":"step-build-and-push","image":"gcr.io/kaniko-project/executor:v1.23.2",
                "command":["/kaniko/executor"],
                "args":["--dockerfile=./Dockerfile","--context=dir:///workspace/source",
                 "--destination=registry.example.com/payments:v1"],
                "envFrom":[{"prefix":"DOCKER_","configMapRef":{"name":"docker-settings"}}],
                "workingDir":"/workspace/source"}],
              "volumes":[{"name":"tekton-internal-bin","emptyDir":{}}]}}}}
            """.getBytes(StandardCharsets.UTF_8);

    private final int reviews;
    private final Duration timeLimit;
    private volatile boolean done;
    /** Written on the webhook's event loop only, while it runs. */
    private volatile int answered;

    private volatile int connections;
    private volatile long deadline;

    /**
     * @param reviews how many reviews to send; 0 turns the warm-up off
     * @param timeLimit the longest it may hold readiness back: it stops there, however many reviews are left
     */
    WebhookWarmup(int reviews, Duration timeLimit) {
        this.reviews = reviews;
        this.timeLimit = timeLimit;
        this.done = reviews <= 0;
    }

    /** True once the warm-up has ended, whether all its reviews were answered or not, or when it is off. */
    boolean done() {
        return done;
    }

    /** How many of its reviews were answered with a patch. */
    int answered() {
        return answered;
    }

    /**
     * Serves the made-up reviews on {@code vertx} (the webhook's event loop) with the webhook's {@code serving}
     * options, sends them, and stops the server. Runs once; completes with the number of reviews answered with a
     * patch, and never fails.
     */
    Future<Integer> run(Vertx vertx, HttpServerOptions serving) {
        if (done) {
            return Future.succeededFuture(answered);
        }
        try {
            return warm(vertx, serving);
        } catch (RuntimeException e) {
            LOG.warnf("webhook warm-up did not start, the first pods may wait longer: %s", e.toString());
            done = true;
            return Future.succeededFuture(0);
        }
    }

    private Future<Integer> warm(Vertx vertx, HttpServerOptions serving) {
        long started = System.nanoTime();
        deadline = started + timeLimit.toNanos();
        // a registry that keeps nothing: the handler's metrics are the users' count of real reviews
        AdmissionReviewHandler handler = new AdmissionReviewHandler(
                new PodMutator(DIRECTORY, Set.of()), new InjectionMetrics(new CompositeMeterRegistry()));
        // the client shares the webhook's event loop: a Vert.x of its own, made from that event loop, was a warning in
        // the operator's log at every start ("You're already on a Vert.x context")
        Promise<Integer> warmed = Promise.promise();
        vertx.createHttpServer(
                        new HttpServerOptions(serving).setHost("127.0.0.1").setPort(0))
                .requestHandler(new MutatePodsRoute(handler, vertx))
                .listen()
                .compose(server -> connection(vertx, server.actualPort()).eventually(() -> server.close()))
                .onComplete(result -> {
                    long ended = System.nanoTime();
                    long millis = (ended - started) / 1_000_000;
                    // a review still waiting at the time limit is cut off by the limit, not a failure
                    if (result.failed() && ended < deadline) {
                        LOG.warnf(
                                "webhook warm-up stopped after %d of %d reviews (%d ms), the first pods may wait"
                                        + " longer: %s",
                                answered, reviews, millis, result.cause().toString());
                    } else {
                        LOG.infof(
                                "webhook warmed up: %d of %d reviews over %d connections in %d ms%s",
                                answered,
                                reviews,
                                connections,
                                millis,
                                answered < reviews ? " (time limit " + timeLimit + " reached)" : "");
                    }
                    done = true;
                    warmed.complete(answered);
                });
        return warmed.future();
    }

    /** One connection after another, until all reviews are answered or the time is up. */
    private Future<Void> connection(Vertx client, int port) {
        if (answered >= reviews || System.nanoTime() >= deadline) {
            return Future.succeededFuture();
        }
        connections++;
        // the warm-up's own server on loopback, and nothing secret in what is sent: it is the handshake that counts
        HttpClient http = client.createHttpClient(new HttpClientOptions()
                // the time limit bounds the connect too (Vert.x's own default is 60 s)
                .setConnectTimeout((int)
                        Math.max(1, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000)))
                .setSsl(true)
                .setTrustAll(true)
                .setVerifyHost(false)
                .setMaxPoolSize(1));
        return review(http, port, Math.min(REVIEWS_PER_CONNECTION, reviews - answered))
                .eventually(() -> http.close())
                .compose(next -> connection(client, port));
    }

    private Future<Void> review(HttpClient http, int port, int left) {
        if (left == 0 || System.nanoTime() >= deadline) {
            return Future.succeededFuture();
        }
        RequestOptions request = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost("127.0.0.1")
                .setPort(port)
                .setURI(MutatePodsRoute.PATH)
                .setIdleTimeout(Math.max(1, (deadline - System.nanoTime()) / 1_000_000))
                .putHeader("Content-Type", "application/json");
        return http.request(request)
                .compose(sent -> sent.send(Buffer.buffer(REVIEW)))
                .compose(response -> response.body().map(body -> {
                    // a review that stops being an injection would warm the wrong path: reported, not ignored
                    if (response.statusCode() != 200 || !body.toString().contains("\"patchType\"")) {
                        throw new IllegalStateException(
                                "a warm-up review was answered " + response.statusCode() + " without a patch: " + body);
                    }
                    answered++;
                    return body;
                }))
                .compose(body -> review(http, port, left - 1));
    }
}
