package dev.modproxy.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.CacheFigures;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class CacheFiguresReportTest {

    @Test
    void figuresReadFromTheProxyAreShownInUserUnits() {
        CacheStats stats = new CacheStats(
                3435973837L,
                1200,
                0,
                0,
                0,
                0.9349,
                12,
                new CacheStats.LastWarmup("2026-11-23T22:00:00Z", 40, 1),
                List.of());

        CacheFigures figures = CacheFiguresReport.apply(readyStatus(), null, new CacheFiguresReport.Read(stats))
                .getCache();

        assertThat(figures.getSizeUsed()).isEqualTo("3.2Gi");
        assertThat(figures.getEntries()).isEqualTo(1200);
        assertThat(figures.getHitRatio()).isEqualTo("0.93");
        assertThat(figures.getEvictions()).isEqualTo(12);
        assertThat(figures.getLastWarmup()).isEqualTo("2026-11-23T22:00:00Z");
    }

    @Test
    void aFailedReadKeepsThePreviousFiguresAndReadyButSaysWhy() {
        CacheFigures previous = CacheFiguresReport.figures(new CacheStats(1024, 1, 0, 0, 0, 1.0, 0, null, List.of()));

        GoProxyCacheStatus status = CacheFiguresReport.apply(
                readyStatus(),
                previous,
                new CacheFiguresReport.Unreadable("http://builds.ci.svc/admin/stats answered HTTP 503"));

        assertThat(status.getCache()).isEqualTo(previous);
        CacheCondition ready = status.condition(CacheCondition.READY).orElseThrow();
        assertThat(ready.getStatus()).isEqualTo(CacheCondition.TRUE);
        assertThat(ready.getMessage())
                .startsWith("1 proxy pod(s) serve")
                .endsWith("Cache figures not refreshed: http://builds.ci.svc/admin/stats answered HTTP 503.");
    }

    @Test
    void aCacheThatIsNotAskedKeepsItsFiguresAndMessage() {
        CacheFigures previous = CacheFiguresReport.figures(new CacheStats(0, 0, 0, 0, 0, 0, 0, null, List.of()));
        GoProxyCacheStatus status =
                CacheFiguresReport.apply(readyStatus(), previous, new CacheFiguresReport.NotAsked());
        assertThat(status.getCache()).isEqualTo(previous);
        assertThat(status.condition(CacheCondition.READY).orElseThrow().getMessage())
                .doesNotContain("figures");
    }

    @Test
    void sizesAreKubernetesQuantities() {
        assertThat(CacheFiguresReport.quantity(0)).isEqualTo("0");
        assertThat(CacheFiguresReport.quantity(1023)).isEqualTo("1023");
        assertThat(CacheFiguresReport.quantity(1536)).isEqualTo("1.5Ki");
        assertThat(CacheFiguresReport.quantity(10L * 1024 * 1024 * 1024)).isEqualTo("10Gi");
        assertThat(CacheFiguresReport.quantity(5L * 1024 * 1024 * 1024 * 1024 + 1))
                .isEqualTo("5Ti");
    }

    private static GoProxyCacheStatus readyStatus() {
        GoProxyCacheStatus status = new GoProxyCacheStatus();
        status.setConditions(List.of(new CacheCondition(
                CacheCondition.READY, CacheCondition.TRUE, "Available", "1 proxy pod(s) serve http://builds.ci.svc.")));
        return status;
    }
}
