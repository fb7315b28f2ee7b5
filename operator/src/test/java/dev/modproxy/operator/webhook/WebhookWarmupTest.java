package dev.modproxy.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.webhook.tls.CertificateIssuer;
import dev.modproxy.operator.webhook.tls.Pem;
import dev.modproxy.operator.webhook.tls.WebhookCertificate;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The warm-up on a real Vert.x HTTPS server, as WebhookServer runs it, and the readiness it holds back. */
class WebhookWarmupTest {

    final Vertx vertx = Vertx.vertx();

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** The webhook's TLS options, with a certificate from the operator's own issuer. */
    static HttpServerOptions serving() {
        WebhookCertificate certificate =
                new CertificateIssuer(Clock.systemUTC()).newAuthority(List.of("modproxy-webhook.modproxy-system.svc"));
        return new HttpServerOptions()
                .setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertValue(Buffer.buffer(certificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(Pem.of(certificate.key()))));
    }

    static WebhookReadiness readinessOf(WebhookWarmup warmup) {
        return new WebhookReadiness(true, () -> 8443, () -> true, warmup::done);
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @Test
    void readinessStaysDownUntilTheWarmupHasRun() throws Exception {
        WebhookWarmup warmup = new WebhookWarmup(20, Duration.ofMinutes(1));
        WebhookReadiness readiness = readinessOf(warmup);

        HealthCheckResponse listening = readiness.call();
        assertThat(listening.getStatus())
                .as("listening with the caches listed, not warmed up yet")
                .isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(listening.getData().orElseThrow()).containsEntry("warmedUp", false);

        Integer answered = await(warmup.run(vertx, serving()));

        assertThat(answered).as("reviews answered with a patch").isEqualTo(20);
        HealthCheckResponse warmedUp = readiness.call();
        assertThat(warmedUp.getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
        assertThat(warmedUp.getData().orElseThrow()).containsEntry("warmedUp", true);
    }

    /**
     * The server starts the warm-up from the webhook's event loop. A Vert.x made there for the client logged "You're
     * already on a Vert.x context" at every start, a warning in every operator's log.
     */
    @Test
    void aWarmupStartedOnTheWebhooksEventLoopLogsNoWarning() throws Exception {
        List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger vertxLog = Logger.getLogger("io.vertx.core.impl.VertxImpl");
        vertxLog.addHandler(capture);
        try {
            WebhookWarmup warmup = new WebhookWarmup(8, Duration.ofMinutes(1));
            Promise<Integer> ran = Promise.promise();
            vertx.runOnContext(started -> warmup.run(vertx, serving()).onComplete(ran));

            assertThat(await(ran.future())).isEqualTo(8);
        } finally {
            vertxLog.removeHandler(capture);
        }
        assertThat(warnings).extracting(LogRecord::getMessage).isEmpty();
    }

    @Test
    void theTimeLimitEndsTheWarmupWithReviewsLeft() throws Exception {
        WebhookWarmup warmup = new WebhookWarmup(Integer.MAX_VALUE, Duration.ofMillis(500));

        Integer answered = await(warmup.run(vertx, serving()));

        assertThat(answered).isLessThan(Integer.MAX_VALUE);
        assertThat(readinessOf(warmup).call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
    }

    @Test
    void aFailingWarmupStillEndsReady() throws Exception {
        WebhookWarmup warmup = new WebhookWarmup(20, Duration.ofMinutes(1));
        // TLS without a key: the warm-up's server cannot listen
        HttpServerOptions broken = new HttpServerOptions().setSsl(true);

        Integer answered = await(warmup.run(vertx, broken));

        assertThat(answered).isZero();
        assertThat(readinessOf(warmup).call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
    }

    @Test
    void zeroReviewsSkipTheWarmup() {
        WebhookWarmup warmup = new WebhookWarmup(0, Duration.ofMinutes(1));

        assertThat(readinessOf(warmup).call().getStatus())
                .as("Ready before anything ran")
                .isEqualTo(HealthCheckResponse.Status.UP);
        Future<Integer> run = warmup.run(vertx, serving());
        // a warm-up that runs cannot end before its server listens, which Vert.x reports later
        assertThat(run.isComplete()).isTrue();
        assertThat(run.result()).isZero();
    }
}
