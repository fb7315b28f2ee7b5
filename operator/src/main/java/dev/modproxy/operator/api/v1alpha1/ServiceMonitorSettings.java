package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.LinkedHashMap;
import java.util.Map;

/** The ServiceMonitor the operator creates for Prometheus. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ServiceMonitorSettings {

    public static final String DEFAULT_INTERVAL = "30s";

    /**
     * A duration as the ServiceMonitor's own CRD takes it (monitoring.coreos.com/v1 Duration): units from years down
     * to milliseconds, each at most once and in that order. The earlier pattern took 30s1m, which the ServiceMonitor's
     * CRD refuses, and refused 1d, which it takes.
     */
    public static final String PROMETHEUS_DURATION =
            "^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$";

    public static final String INTERVAL_MESSAGE = "spec.metrics.serviceMonitor.interval must be a Prometheus "
            + "duration: whole numbers with y, w, d, h, m, s or ms, largest unit first and each at most once, e.g. "
            + "30s, 1m or 1m30s";

    /** The longest interval taken, for the rule's cost. */
    static final long INTERVAL_MAX_LENGTH = 64;

    @JsonPropertyDescription("Create a ServiceMonitor for this cache.")
    @Default("false")
    private boolean enabled;

    @JsonPropertyDescription("Scrape interval, a Prometheus duration such as 30s or 1m.")
    @Default(DEFAULT_INTERVAL)
    @Size(max = INTERVAL_MAX_LENGTH)
    @ValidationRule(
            value = "self != '' && self.matches(r'" + PROMETHEUS_DURATION + "')",
            message = INTERVAL_MESSAGE,
            reason = "FieldValueInvalid")
    private String interval = DEFAULT_INTERVAL;

    @JsonPropertyDescription("Extra labels on the ServiceMonitor, e.g. the release label your Prometheus selects.")
    private Map<String, String> labels = new LinkedHashMap<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getInterval() {
        return interval;
    }

    public void setInterval(String interval) {
        this.interval = interval;
    }

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }
}
