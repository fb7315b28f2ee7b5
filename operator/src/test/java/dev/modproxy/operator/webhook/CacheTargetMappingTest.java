package dev.modproxy.operator.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

class CacheTargetMappingTest {

    static GoProxyCache cache(String upstream, String fallback, String readyStatus, Map<String, String> annotations) {
        GoProxyCache cache = new GoProxyCache();
        cache.setMetadata(new ObjectMetaBuilder().withNamespace("ci").withName("gomod").withAnnotations(annotations).build());
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
        CacheTarget target = KubernetesCacheDirectory.target(cache("https://goproxy.cn", "https://proxy.golang.org,direct",
                CacheCondition.TRUE, Map.of()));

        assertEquals("https://proxy.golang.org,direct", target.fallback());
        assertTrue(target.serving());
        assertEquals(List.of("git.corp.example.com/*"), target.privatePatterns());
    }

    @Test
    void withoutAFallbackTheUpstreamChainIsUsed() {
        assertEquals("https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct", KubernetesCacheDirectory.target(
                cache("https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct", null, CacheCondition.TRUE, Map.of()))
                .fallback());
    }

    @Test
    void readyOnlyWhenTheReadyConditionIsTrue() {
        assertFalse(KubernetesCacheDirectory.target(cache("https://goproxy.cn", null, CacheCondition.FALSE, Map.of())).serving());
        assertFalse(KubernetesCacheDirectory.target(cache("https://goproxy.cn", null, null, Map.of())).serving());
    }

    @Test
    void defaultAnnotationMarksTheNamespaceDefault() {
        assertTrue(KubernetesCacheDirectory.target(cache("https://goproxy.cn", null, CacheCondition.TRUE,
                Map.of("modproxy.dev/default", "true"))).markedDefault());
        assertFalse(KubernetesCacheDirectory.target(cache("https://goproxy.cn", null, CacheCondition.TRUE, Map.of())).markedDefault());
    }
}
