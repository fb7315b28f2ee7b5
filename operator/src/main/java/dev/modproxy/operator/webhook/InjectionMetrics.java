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
 * AdmissionReview, either kind, TLS and network excluded).
 */
public final class InjectionMetrics {

    private final Map<InjectionOutcome, Counter> injections = new EnumMap<>(InjectionOutcome.class);
    // apart, so that the injections counted are pods that exist: a dashboard of injected pods is not raised by a
    // `kubectl apply --dry-run=server` or a CI check that validates its manifests against the API server
    private final Map<InjectionOutcome, Counter> dryRuns = new EnumMap<>(InjectionOutcome.class);
    private final Timer latency;

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
    }

    void record(InjectionOutcome outcome, boolean dryRun, long nanos) {
        (dryRun ? dryRuns : injections).get(outcome).increment();
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }
}
