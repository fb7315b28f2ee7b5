package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.javaoperatorsdk.operator.processing.dependent.workflow.CRDPresentActivationCondition;
import java.time.Duration;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Activates the ServiceMonitor dependent only where the monitoring.coreos.com CRD is installed. Keeps
 * looking while it is absent, so installing the Prometheus operator later needs no operator restart.
 */
public class ServiceMonitorCrdPresent extends CRDPresentActivationCondition<ServiceMonitor, GoProxyCache> {

    static final String INTERVAL_KEY = "modproxy.operator.crd-check-interval";
    private static final Duration MIN_RECHECK = Duration.ofSeconds(2);

    public ServiceMonitorCrdPresent() {
        super(Integer.MAX_VALUE, checkInterval());
    }

    /** When a cache waiting for the CRD is looked at again: the check's interval, and never a busy loop. */
    public static Duration recheckAfter() {
        Duration interval = checkInterval();
        return interval.compareTo(MIN_RECHECK) < 0 ? MIN_RECHECK : interval;
    }

    private static Duration checkInterval() {
        try {
            return ConfigProvider.getConfig()
                    .getOptionalValue(INTERVAL_KEY, Duration.class)
                    .orElse(Duration.ofMinutes(1));
        } catch (IllegalStateException noConfig) {
            return Duration.ofMinutes(1);
        }
    }
}
