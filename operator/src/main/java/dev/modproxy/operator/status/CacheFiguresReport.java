package dev.modproxy.operator.status;

import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.CacheFigures;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/** Puts the proxy's own figures into a computed status; a failed read keeps the last figures and says why. */
public final class CacheFiguresReport {

    private static final String[] BINARY_UNITS = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

    private CacheFiguresReport() {}

    /** What asking the proxy gave: its stats, or why there are none. */
    public sealed interface Reading {}

    public record Read(CacheStats stats) implements Reading {}

    public record Unreadable(String why) implements Reading {}

    /** The cache was not Ready, so the proxy was not asked. */
    public record NotAsked() implements Reading {}

    public static GoProxyCacheStatus apply(GoProxyCacheStatus computed, CacheFigures previous, Reading reading) {
        if (reading instanceof Read read) {
            computed.setCache(figures(read.stats()));
            return computed;
        }
        computed.setCache(previous);
        if (reading instanceof Unreadable unreadable) {
            // a proxy that serves builds but not its admin endpoint is still Ready; say so without flipping it
            computed.condition(CacheCondition.READY)
                    .ifPresent(ready -> ready.setMessage(
                            ready.getMessage() + " Cache figures not refreshed: " + unreadable.why() + "."));
        }
        return computed;
    }

    static CacheFigures figures(CacheStats stats) {
        CacheFigures figures = new CacheFigures();
        figures.setSizeUsed(quantity(stats.sizeBytes()));
        figures.setEntries(stats.entries());
        figures.setHitRatio(String.format(Locale.ROOT, "%.2f", stats.hitRatio()));
        figures.setEvictions(stats.evictions());
        figures.setLastWarmup(
                stats.lastWarmup() == null ? null : stats.lastWarmup().finishedAt());
        return figures;
    }

    /** Bytes as a Kubernetes quantity with binary suffix and one decimal, e.g. 3.2Gi. */
    static String quantity(long bytes) {
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        if (unit == 0) {
            return Long.toString(bytes);
        }
        BigDecimal rounded =
                BigDecimal.valueOf(value).setScale(1, RoundingMode.HALF_UP).stripTrailingZeros();
        return rounded.toPlainString() + BINARY_UNITS[unit];
    }
}
