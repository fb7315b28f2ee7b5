package dev.modproxy.operator.warmup;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.contract.admin.AdminExamples;
import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.contract.admin.WarmupReport;
import dev.modproxy.operator.admin.ProxyAdmin;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.api.v1alpha1.Warmup;
import dev.modproxy.operator.api.v1alpha1.WarmupState;
import dev.modproxy.operator.api.v1alpha1.WarmupStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WarmupDriverTest {

    /** Following a running warm-up sends nothing: the progress comes from the poller. */
    private final WarmupDriver driver = new WarmupDriver(new ProxyAdmin() {
        @Override
        public CacheStats stats(GoProxyCache cache) {
            throw new AssertionError("not asked by the driver");
        }

        @Override
        public WarmupReport startWarmup(GoProxyCache cache, String moduleList) {
            throw new AssertionError("the list of this generation was handed over already");
        }

        @Override
        public WarmupReport warmup(GoProxyCache cache) {
            throw new AssertionError("progress is read by the poller, not on the reconcile thread");
        }
    });

    /** Generation 4's list was taken and runs. */
    private static GoProxyCache running() {
        GoProxyCache cache = cache(spec -> {
            spec.setWarmup(new Warmup());
            spec.getWarmup().setModules(List.of("example.com/gone@v1.0.0"));
        });
        cache.getMetadata().setGeneration(4L);
        WarmupStatus warmup = new WarmupStatus();
        warmup.setState(WarmupState.Running);
        warmup.setSubmittedGeneration(4L);
        warmup.setRequested(3);
        cache.setStatus(new GoProxyCacheStatus());
        cache.getStatus().setWarmup(warmup);
        return cache;
    }

    @Test
    void thePolledProgressOfThisListIsShown() {
        WarmupStatus status = driver.step(running(), null, Optional.of(new WarmupReading(4L, (WarmupReport)
                AdminExamples.WARMUP_FINISHED.value())));

        assertThat(status.getState()).isEqualTo(WarmupState.Finished);
        assertThat(status.getFailures()).containsExactly("example.com/gone@v1.0.0 zip: not found upstream");
    }

    @Test
    void anAnswerAboutAnEarlierListIsNotTakenForThisOne() {
        GoProxyCache cache = running();

        WarmupStatus status = driver.step(
                cache, null, Optional.of(new WarmupReading(3L, (WarmupReport) AdminExamples.WARMUP_FINISHED.value())));

        assertThat(status).isSameAs(cache.getStatus().getWarmup());
        assertThat(driver.step(cache, null, Optional.empty()))
                .as("nothing polled yet")
                .isSameAs(cache.getStatus().getWarmup());
    }

    @Test
    void aReconciliationThatDoesNotYetSeeTheAcceptedStatusDoesNotHandTheListOverAgain() {
        List<String> posts = new java.util.ArrayList<>();
        WarmupDriver counting = new WarmupDriver(new ProxyAdmin() {
            @Override
            public CacheStats stats(GoProxyCache cache) {
                throw new AssertionError("not asked by the driver");
            }

            @Override
            public WarmupReport startWarmup(GoProxyCache cache, String moduleList) {
                posts.add(moduleList);
                return (WarmupReport) AdminExamples.WARMUP_RUNNING.value();
            }

            @Override
            public WarmupReport warmup(GoProxyCache cache) {
                throw new AssertionError("progress is read by the poller, not on the reconcile thread");
            }
        });
        GoProxyCache stale = cache(spec -> {
            spec.setWarmup(new Warmup());
            spec.getWarmup().setModules(List.of("example.com/gone@v1.0.0"));
        });
        stale.getMetadata().setGeneration(5L);
        stale.getMetadata().setUid("uid-5");

        WarmupStatus first = counting.step(stale, null, Optional.empty());
        WarmupStatus second = counting.step(stale, null, Optional.empty());

        assertThat(posts).containsExactly("example.com/gone@v1.0.0\n");
        assertThat(first.getSubmittedGeneration()).isEqualTo(5L);
        assertThat(second).isSameAs(first);

        stale.getMetadata().setGeneration(6L);
        counting.step(stale, null, Optional.empty());
        assertThat(posts).as("a new generation's list is handed over").hasSize(2);
    }
}
