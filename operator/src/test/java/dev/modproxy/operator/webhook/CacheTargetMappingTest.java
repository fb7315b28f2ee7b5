package dev.modproxy.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheTargetMappingTest {

    static GoProxyCache cache(String upstream, String fallback, String readyStatus, Map<String, String> annotations) {
        GoProxyCache cache = new GoProxyCache();
        cache.setMetadata(new ObjectMetaBuilder()
                .withNamespace("ci")
                .withName("gomod")
                .withAnnotations(annotations)
                .build());
        cache.getSpec().setUpstream(upstream);
        cache.getSpec().getInjection().setFallback(fallback);
        cache.getSpec().setPrivate(List.of("git.corp.example.com/*"));
        if (readyStatus != null) {
            GoProxyCacheStatus status = new GoProxyCacheStatus();
            status.setUrl("http://gomod-proxy.ci.svc");
            status.setConditions(List.of(new CacheCondition(CacheCondition.READY, readyStatus, "r", "m")));
            cache.setStatus(status);
        }
        return cache;
    }

    @Test
    void injectionFallbackWinsOverTheUpstreamChain() {
        CacheTarget target = KubernetesCacheDirectory.target(
                cache("https://goproxy.cn", "https://proxy.golang.org,direct", CacheCondition.TRUE, Map.of()));

        assertThat(target.fallback()).isEqualTo("https://proxy.golang.org,direct");
        assertThat(target.serving()).isTrue();
        assertThat(target.privatePatterns()).isEqualTo(List.of("git.corp.example.com/*"));
    }

    @Test
    void withoutAFallbackTheUpstreamChainIsUsed() {
        assertThat(KubernetesCacheDirectory.target(cache(
                                "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct",
                                null,
                                CacheCondition.TRUE,
                                Map.of()))
                        .fallback())
                .isEqualTo("https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct");
    }

    @Test
    void loginsOfTheUpstreamChainAreNotHandedToBuildPods() {
        CacheTarget target = KubernetesCacheDirectory.target(cache(
                "https://ci:s3cret@athens.corp/go|bot:tok3n@goproxy.corp , https://ghp_t0ken@mirror.corp/a@b,direct",
                null,
                CacheCondition.TRUE,
                Map.of()));

        assertThat(target.fallback())
                .isEqualTo("https://athens.corp/go|goproxy.corp , https://mirror.corp/a@b,direct")
                .doesNotContain("s3cret", "tok3n", "t0ken");
    }

    @Test
    void anInjectionFallbackIsHandedToBuildPodsAsWritten() {
        assertThat(KubernetesCacheDirectory.target(cache(
                                "https://goproxy.cn", "https://ci:pods-own@athens.corp", CacheCondition.TRUE, Map.of()))
                        .fallback())
                .isEqualTo("https://ci:pods-own@athens.corp");
    }

    @Test
    void readyOnlyWhenTheReadyConditionIsTrue() {
        assertThat(KubernetesCacheDirectory.target(cache("https://goproxy.cn", null, CacheCondition.FALSE, Map.of()))
                        .serving())
                .isFalse();
        assertThat(KubernetesCacheDirectory.target(cache("https://goproxy.cn", null, null, Map.of()))
                        .serving())
                .isFalse();
    }

    @Test
    void defaultAnnotationMarksTheNamespaceDefault() {
        assertThat(KubernetesCacheDirectory.target(cache(
                                "https://goproxy.cn",
                                null,
                                CacheCondition.TRUE,
                                Map.of("modproxy.dev/default", "true")))
                        .markedDefault())
                .isTrue();
        assertThat(KubernetesCacheDirectory.target(cache("https://goproxy.cn", null, CacheCondition.TRUE, Map.of()))
                        .markedDefault())
                .isFalse();
    }
}
