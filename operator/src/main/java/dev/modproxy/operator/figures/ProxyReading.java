package dev.modproxy.operator.figures;

import dev.modproxy.operator.status.CacheFiguresReport;
import dev.modproxy.operator.warmup.WarmupReading;
import java.util.Optional;

/**
 * What one poll of a Ready cache's proxy saw: its figures (or why there are none), and the progress of the warm-up
 * its status says is running, when there is one and the proxy answered.
 */
public record ProxyReading(CacheFiguresReport.Reading figures, WarmupReading warmup) {

    public Optional<WarmupReading> runningWarmup() {
        return Optional.ofNullable(warmup);
    }
}
