package dev.modproxy.operator.warmup;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.contract.admin.WarmupReport;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.api.v1alpha1.Warmup;
import dev.modproxy.operator.api.v1alpha1.WarmupState;
import dev.modproxy.operator.api.v1alpha1.WarmupStatus;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class WarmupProgressTest {

    private static final String STARTED = "2026-11-23T21:59:00Z";

    @Test
    void aListIsDueOncePerGeneration() {
        GoProxyCache cache = warming();
        assertThat(WarmupProgress.due(cache)).isTrue();

        withStatus(
                cache, WarmupProgress.accepted(cache, new WarmupReport("running", 1, 0, 0, STARTED, null, List.of())));
        assertThat(WarmupProgress.due(cache)).isFalse();
        assertThat(WarmupProgress.running(cache)).isTrue();

        cache.getMetadata().setGeneration(2L);
        assertThat(WarmupProgress.due(cache)).isTrue();
    }

    @Test
    void aCacheWithoutWarmupHasNothingDue() {
        assertThat(WarmupProgress.due(cache(spec -> {}))).isFalse();
        assertThat(WarmupProgress.due(cache(spec -> spec.setWarmup(new Warmup()))))
                .isFalse();
    }

    @Test
    void aRejectedListWaitsForTheNextSpecChange() {
        GoProxyCache cache = warming();
        WarmupStatus rejected = WarmupProgress.rejected(cache, "bad warm-up list: line 1: expected module@version");
        withStatus(cache, rejected);

        assertThat(rejected.getState()).isEqualTo(WarmupState.Rejected);
        assertThat(rejected.getMessage()).contains("line 1: expected module@version");
        assertThat(WarmupProgress.due(cache)).isFalse();
    }

    @Test
    void aPendingListIsTriedAgain() {
        GoProxyCache cache = warming();
        withStatus(cache, WarmupProgress.pending(cache, "the proxy did not answer: connection refused"));
        assertThat(cache.getStatus().getWarmup().getMessage()).contains("connection refused");
        assertThat(WarmupProgress.due(cache)).isTrue();
    }

    @Test
    void failuresAreShownCappedWithACount() {
        GoProxyCache cache = warming();
        List<WarmupReport.Failure> failures = IntStream.range(0, 30)
                .mapToObj(i -> new WarmupReport.Failure("example.com/m" + i, "v1.0.0", "zip", 404, "not found"))
                .toList();
        WarmupStatus status =
                WarmupProgress.accepted(cache, new WarmupReport("finished", 30, 30, 30, STARTED, null, failures));

        assertThat(status.getFailures()).hasSize(20).first().isEqualTo("example.com/m0@v1.0.0 zip: not found");
        assertThat(status.getMessage()).startsWith("30 module version(s) could not be fetched");
    }

    @Test
    void theProxysWordsBecomeOneCasingAndAForgottenWarmupSaysWhy() {
        GoProxyCache cache = warming();
        assertThat(WarmupProgress.accepted(cache, new WarmupReport("running", 1, 0, 0, STARTED, null, List.of()))
                        .getState())
                .isEqualTo(WarmupState.Running);
        assertThat(WarmupProgress.accepted(cache, new WarmupReport("finished", 1, 1, 0, STARTED, null, List.of()))
                        .getState())
                .isEqualTo(WarmupState.Finished);

        WarmupStatus forgotten = WarmupProgress.accepted(cache, WarmupReport.idle());
        assertThat(forgotten.getState()).isEqualTo(WarmupState.Interrupted);
        assertThat(forgotten.getMessage()).contains("restarted");
    }

    @Test
    void theListPutsSpecModulesBeforeTheGoSum() {
        Warmup warmup = new Warmup();
        warmup.setModules(List.of(" golang.org/x/mod@v0.14.0 "));
        assertThat(WarmupProgress.moduleList(warmup, Optional.of("a.example/b v1.0.0 h1:x=")))
                .isEqualTo("golang.org/x/mod@v0.14.0\na.example/b v1.0.0 h1:x=\n");
    }

    private static GoProxyCache warming() {
        return cache(spec -> {
            spec.setWarmup(new Warmup());
            spec.getWarmup().setModules(List.of("golang.org/x/text@v0.14.0"));
        });
    }

    private static void withStatus(GoProxyCache cache, WarmupStatus warmup) {
        cache.setStatus(new GoProxyCacheStatus());
        cache.getStatus().setWarmup(warmup);
    }
}
