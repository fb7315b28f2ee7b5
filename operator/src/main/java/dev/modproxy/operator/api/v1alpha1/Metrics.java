package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** How the proxy's metrics are collected. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Metrics {

    @JsonPropertyDescription("A prometheus-operator ServiceMonitor for the proxy. Created only when enabled and "
            + "the monitoring.coreos.com ServiceMonitor CRD is installed.")
    @Default("{}")
    private ServiceMonitorSettings serviceMonitor = new ServiceMonitorSettings();

    public ServiceMonitorSettings getServiceMonitor() {
        return serviceMonitor;
    }

    public void setServiceMonitor(ServiceMonitorSettings serviceMonitor) {
        this.serviceMonitor = serviceMonitor;
    }
}
