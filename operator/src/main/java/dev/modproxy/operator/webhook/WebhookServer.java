package dev.modproxy.operator.webhook;

import dev.modproxy.operator.webhook.tls.CertificateSource;
import dev.modproxy.operator.webhook.tls.Pem;
import dev.modproxy.operator.webhook.tls.WebhookCertificate;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SSLOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The HTTPS server of {@code POST /mutate-pods}: a Vert.x server of its own, because its
 * certificate changes at run time and {@link HttpServer#updateSSLOptions} swaps it without a
 * restart. Started once certificates exist; checked again every {@code cert-check-interval}, and at once when the
 * caBundle they were published into is lost ({@link CertificateSource#onCaBundleLost}).
 *
 * <p>It runs on an event loop of its own ({@link #reviews}), not on the application's Vert.x: the Kubernetes client
 * shares that one and reads its answers on its event loops, Jackson and all (the informers' first lists, their watch
 * events). At start-up, with the classes still to load, that held an event loop for 2.4 s, and a review waiting behind
 * it passed the API server's 3 s timeout: the pod was created without GOPROXY.
 */
@ApplicationScoped
public class WebhookServer {

    public static final String PATH = MutatePodsRoute.PATH;
    private static final Logger LOG = Logger.getLogger(WebhookServer.class);

    @Inject
    Vertx vertx;

    @Inject
    WebhookConfig config;

    @Inject
    AdmissionReviewHandler handler;

    @Inject
    CertificateSource certificates;

    @Inject
    KubernetesCacheDirectory directory;

    /** The server's and its route's Vert.x: one event loop, shared with nothing but the reviews. */
    private volatile Vertx reviews;

    private volatile HttpServer server;
    private volatile WebhookWarmup warmup;
    private volatile WebhookCertificate serving;
    private final AtomicLong timer = new AtomicLong(-1);
    private final AtomicReference<CertificateSource.Watch> caBundleWatch = new AtomicReference<>();
    private volatile boolean stopped;

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        // the review never blocks (MutatePodsRoute), so one event loop serves it; its one blocking work, a look at the
        // API server for a pod the informers may lag behind on, runs on a worker executor of the route's own
        reviews = Vertx.vertx(
                new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        warmup = new WebhookWarmup(config.warmupReviews(), config.warmupTimeLimit());
        directory.start();
        refreshCertificate();
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        vertx.cancelTimer(timer.get());
        CertificateSource.Watch watch = caBundleWatch.getAndSet(null);
        if (watch != null) {
            watch.close();
        }
        Vertx own = reviews;
        if (own != null) {
            // closes the server too
            own.close();
        }
    }

    /** The bound port, or -1 while no certificate is available yet. */
    public int port() {
        HttpServer running = server;
        return running == null ? -1 : running.actualPort();
    }

    /** True once the reviews of {@link WebhookWarmup} have run (or it is off), whatever became of them. */
    public boolean warmedUp() {
        WebhookWarmup started = warmup;
        return started != null && started.done();
    }

    /** How many reviews the warm-up has had answered with a patch. */
    int warmupReviewsAnswered() {
        WebhookWarmup started = warmup;
        return started == null ? 0 : started.answered();
    }

    /** Checks (and renews or reloads) the certificate now; the periodic check calls this too. */
    public Future<WebhookCertificate> refreshCertificate() {
        Future<WebhookCertificate> refreshed =
                vertx.executeBlocking(certificates::current, false).compose(this::serve);
        refreshed.onComplete(result -> {
            if (result.failed()) {
                LOG.warnf(
                        "webhook certificate not available, retrying in %s: %s",
                        config.certRetryInterval(), result.cause().getMessage());
            } else {
                watchCaBundle();
            }
            schedule(
                    result.succeeded()
                            ? config.certCheckInterval().toMillis()
                            : config.certRetryInterval().toMillis());
        });
        return refreshed;
    }

    /**
     * Once the server listens: started earlier, a configuration found without caBundle would check the certificate
     * beside the first check, and both would start a server.
     */
    private void watchCaBundle() {
        if (stopped || caBundleWatch.get() != null) {
            return;
        }
        CertificateSource.Watch watch = certificates.onCaBundleLost(this::refreshCertificate);
        if (!caBundleWatch.compareAndSet(null, watch) || stopped) {
            // another check started one first, or the operator stopped meanwhile
            caBundleWatch.compareAndSet(watch, null);
            watch.close();
        }
    }

    private void schedule(long delayMillis) {
        if (stopped) {
            return;
        }
        vertx.cancelTimer(timer.get());
        timer.set(vertx.setTimer(Math.max(1, delayMillis), id -> refreshCertificate()));
    }

    private Future<WebhookCertificate> serve(WebhookCertificate certificate) {
        if (certificate.equals(serving) && server != null) {
            return Future.succeededFuture(certificate);
        }
        PemKeyCertOptions keyCert = new PemKeyCertOptions()
                .setCertValue(Buffer.buffer(certificate.certificatePem()))
                .setKeyValue(Buffer.buffer(Pem.of(certificate.key())));
        HttpServer running = server;
        Future<?> applied = running != null
                ? running.updateSSLOptions(new SSLOptions().setKeyCertOptions(keyCert))
                : listen(keyCert);
        return applied.map(done -> {
            serving = certificate;
            LOG.infof("webhook serves HTTPS on port %d with %s", port(), certificate);
            return certificate;
        });
    }

    private Future<HttpServer> listen(PemKeyCertOptions keyCert) {
        HttpServerOptions options = new HttpServerOptions()
                .setSsl(true)
                .setKeyCertOptions(keyCert)
                .setPort(config.port())
                .setIdleTimeout(
                        (int) Math.min(Integer.MAX_VALUE, config.idleTimeout().toMillis()))
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        HttpServer created = reviews.createHttpServer(options);
        // the route's timers must fire on the event loop its requests run on
        created.requestHandler(new MutatePodsRoute(handler, reviews));
        Promise<HttpServer> listening = Promise.promise();
        created.listen()
                .onSuccess(bound -> {
                    server = bound;
                    listening.complete(bound);
                    // once, on the first listen: a renewed certificate reuses the server
                    warmup.run(reviews, options);
                })
                .onFailure(listening::fail);
        return listening.future();
    }
}
