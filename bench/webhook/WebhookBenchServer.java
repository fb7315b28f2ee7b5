import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.modproxy.operator.webhook.AdmissionReviewHandler;
import dev.modproxy.operator.webhook.CacheDirectory;
import dev.modproxy.operator.webhook.CacheRef;
import dev.modproxy.operator.webhook.CacheTarget;
import dev.modproxy.operator.webhook.InjectionMetrics;
import dev.modproxy.operator.webhook.MutatePodsRoute;
import dev.modproxy.operator.webhook.PodMutator;
import dev.modproxy.operator.webhook.tls.CertificateIssuer;
import dev.modproxy.operator.webhook.tls.Pem;
import dev.modproxy.operator.webhook.tls.WebhookCertificate;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;

/**
 * The webhook's HTTPS stack without Quarkus and without an API server: the operator's own
 * MutatePodsRoute, AdmissionReviewHandler and generated certificate, with caches answered from
 * memory as the informers answer them in the operator. {@code /baseline} on the same server reads
 * the request and answers the bytes the webhook gives for the fixture, computed once: the same
 * TLS, HTTP and sizes with no review, so what the review costs shows as the difference between
 * the two. Args: directory for port and ca.crt, fixture AdmissionReview.
 */
public class WebhookBenchServer {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        WebhookCertificate certificate = new CertificateIssuer(Clock.systemUTC()).newAuthority(List.of("localhost"));
        CacheDirectory directory = directory();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // percentiles over the whole run rather than the exported two-minute window
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                return DistributionStatisticConfig.builder().expiry(Duration.ofDays(1)).bufferLength(1).build()
                        .merge(config);
            }
        });
        AdmissionReviewHandler handler = new AdmissionReviewHandler(new PodMutator(directory, Set.of("kube-system")),
                new InjectionMetrics(registry));
        // on SIGTERM: the handler's own time per review (the operator's modproxy_webhook_review_seconds)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Timer timer = registry.get("modproxy.webhook.review").timer();
            StringBuilder line = new StringBuilder("handler time per review (" + timer.count() + " reviews):");
            for (ValueAtPercentile p : timer.takeSnapshot().percentileValues()) {
                line.append(String.format(" p%.0f %.2f ms", p.percentile() * 100, p.value(TimeUnit.MILLISECONDS)));
            }
            System.out.println(line);
        }));
        AdmissionReviewHandler.Reply canned = handler.handle(Files.readAllBytes(Path.of(args[1])));
        Vertx vertx = Vertx.vertx();
        MutatePodsRoute webhook = new MutatePodsRoute(handler, vertx);
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setPort(0)
                        .setKeyCertOptions(new PemKeyCertOptions()
                                .setCertValue(Buffer.buffer(certificate.certificatePem()))
                                .setKeyValue(Buffer.buffer(Pem.of(certificate.key())))))
                .requestHandler(request -> {
                    if (request.path().equals("/baseline")) {
                        request.body().onSuccess(ignored -> request.response().setStatusCode(canned.status())
                                .putHeader("Content-Type", canned.contentType()).end(Buffer.buffer(canned.body())));
                    } else {
                        webhook.handle(request);
                    }
                });
        server.listen().toCompletionStage().toCompletableFuture().get();
        Files.writeString(out.resolve("ca.crt"), certificate.caCertificatePem());
        Files.writeString(out.resolve("port"), Integer.toString(server.actualPort()));
        System.out.println("webhook bench server on https://localhost:" + server.actualPort()
                + ": /mutate-pods (the webhook), /baseline (its answer for the fixture, canned)");
    }

    /** One Ready cache, {@code ci/gomod}, answered from memory as the operator's informers answer. */
    static CacheDirectory directory() {
        CacheTarget cache = new CacheTarget(new CacheRef("ci", "gomod"), "http://gomod.ci.svc", "https://goproxy.cn,direct",
                List.of("git.corp.example.com/*"), List.of(), true, false);
        return new CacheDirectory() {
            @Override
            public Optional<CacheTarget> find(CacheRef ref) {
                return ref.equals(cache.ref()) ? Optional.of(cache) : Optional.empty();
            }

            @Override
            public List<CacheTarget> inNamespace(String namespace) {
                return namespace.equals("ci") ? List.of(cache) : List.of();
            }

            @Override
            public boolean watches(String namespace) {
                return true;
            }

            @Override
            public NamespaceInfo namespace(String name) {
                return NamespaceInfo.UNKNOWN;
            }
        };
    }
}
