package dev.modproxy.operator.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code modproxy_webhook_injections_total{outcome}} and {@code modproxy_webhook_review_seconds}
 * (time spent handling one AdmissionReview, TLS and network excluded).
 */
public final class InjectionMetrics {

    private final Map<InjectionOutcome, Counter> injections = new EnumMap<>(InjectionOutcome.class);
    private final Timer latency;

    public InjectionMetrics(MeterRegistry registry) {
        for (InjectionOutcome outcome : InjectionOutcome.values()) {
            injections.put(
                    outcome,
                    Counter.builder("modproxy.webhook.injections")
                            .description("Pods seen by the admission webhook, by what it did")
                            .tag("outcome", outcome.tag())
                            .register(registry));
        }
        latency = Timer.builder("modproxy.webhook.review")
                .description("Time to handle one AdmissionReview")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    void record(InjectionOutcome outcome, long nanos) {
        injections.get(outcome).increment();
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }
}
