package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import java.util.LinkedHashMap;
import java.util.Map;

/** The ServiceMonitor the operator creates for Prometheus. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ServiceMonitorSettings {

    public static final String DEFAULT_INTERVAL = "30s";

    @JsonPropertyDescription("Create a ServiceMonitor for this cache.")
    @Default("false")
    private boolean enabled;

    @JsonPropertyDescription("Scrape interval, a Prometheus duration such as 30s or 1m.")
    @Default(DEFAULT_INTERVAL)
    @Pattern("^([0-9]+(ms|s|m|h))+$")
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
