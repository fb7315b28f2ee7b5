package dev.modproxy.operator.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code modproxy_webhook_injections_total{outcome}} (pods created), {@code modproxy_webhook_dry_runs_total{outcome}}
 * (server-side dry runs, which create nothing) and {@code modproxy_webhook_review_seconds} (time spent handling one
 * AdmissionReview, either kind, TLS and network excluded); {@code modproxy_webhook_rechecks_total{result}} (reviews the
 * informers left unchanged and the API server's view was asked about, {@link Recheck}) and
 * {@code modproxy_webhook_live_reads_total} (the requests those sent to the API server).
 */
public final class InjectionMetrics {

    /** What became of a review the informers left unchanged, for a reason a fresher view could change. */
    enum Recheck {
        /** The API server's view changed the pod. */
        CHANGED("changed"),
        /** The API server's view left it unchanged too. */
        UNCHANGED("unchanged"),
        /** A read failed: answered from the informers. */
        FAILED("failed"),
        /** The reads took longer than the webhook may wait: answered from the informers. */
        TIMED_OUT("timed-out"),
        /** As many looks in flight as allowed: answered from the informers without reading. */
        BUSY("busy"),
        /**
         * As many reads of the API server in the last 2 s as allowed
         * ({@link KubernetesCacheDirectory#LIVE_READS_PER_WINDOW}): answered from the informers without reading.
         */
        LIMITED("limited");

        private final String tag;

        Recheck(String tag) {
            this.tag = tag;
        }
    }

    private final Map<InjectionOutcome, Counter> injections = new EnumMap<>(InjectionOutcome.class);
    // apart, so that the injections counted are pods that exist: a dashboard of injected pods is not raised by a
    // `kubectl apply --dry-run=server` or a CI check that validates its manifests against the API server
    private final Map<InjectionOutcome, Counter> dryRuns = new EnumMap<>(InjectionOutcome.class);
    private final Timer latency;
    private final Map<Recheck, Counter> rechecks = new EnumMap<>(Recheck.class);
    private final Counter liveReads;

    public InjectionMetrics(MeterRegistry registry) {
        for (InjectionOutcome outcome : InjectionOutcome.values()) {
            injections.put(
                    outcome,
                    Counter.builder("modproxy.webhook.injections")
                            .description("Pods seen by the admission webhook, by what it did; dry runs excluded")
                            .tag("outcome", outcome.tag())
                            .register(registry));
            dryRuns.put(
                    outcome,
                    Counter.builder("modproxy.webhook.dry.runs")
                            .description("Server-side dry runs of a pod creation seen by the admission webhook, "
                                    + "by what it did")
                            .tag("outcome", outcome.tag())
                            .register(registry));
        }
        latency = Timer.builder("modproxy.webhook.review")
                .description("Time to handle one AdmissionReview")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        for (Recheck result : Recheck.values()) {
            rechecks.put(
                    result,
                    Counter.builder("modproxy.webhook.rechecks")
                            .description("Reviews the informers left unchanged that were looked at again in the API "
                                    + "server's view, by what came of it")
                            .tag("result", result.tag)
                            .register(registry));
        }
        liveReads = Counter.builder("modproxy.webhook.live.reads")
                .description("Requests (GET, LIST) the admission webhook sent to the API server to look at a review "
                        + "again; an answer the informers share is kept 2 s, at most 200 requests per 2 s")
                .register(registry);
    }

    void recheck(Recheck result) {
        rechecks.get(result).increment();
    }

    void liveRead() {
        liveReads.increment();
    }

    void record(InjectionOutcome outcome, boolean dryRun, long nanos) {
        (dryRun ? dryRuns : injections).get(outcome).increment();
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }
}
