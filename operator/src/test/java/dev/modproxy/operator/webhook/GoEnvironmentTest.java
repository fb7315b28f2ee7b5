package dev.modproxy.operator.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class GoEnvironmentTest {

    static CacheTarget cache(boolean ready, String fallback) {
        return new CacheTarget(new CacheRef("ci", "gomod"), "http://gomod.ci.svc:8080", fallback, List.of(), List.of(),
                ready, false);
    }

    @Test
    void cacheComesFirstAndAnyFailureOfItFallsThroughToTheChain() {
        assertEquals("http://gomod.ci.svc:8080|https://proxy.golang.org",
                GoEnvironment.forCache(cache(true, "https://proxy.golang.org")).get("GOPROXY"));
    }

    @Test
    void separatorsInsideTheFallbackKeepTheirMeaning() {
        assertEquals("http://gomod.ci.svc:8080|https://goproxy.cn,https://mirrors.aliyun.com/goproxy/|direct",
                GoEnvironment.forCache(cache(true, " https://goproxy.cn , https://mirrors.aliyun.com/goproxy/|direct"))
                        .get("GOPROXY"));
    }

    @Test
    void theCacheItselfIsNotRepeatedInItsFallback() {
        assertEquals("http://gomod.ci.svc:8080|direct",
                GoEnvironment.forCache(cache(true, "http://gomod.ci.svc:8080/,direct")).get("GOPROXY"));
    }

    @Test
    void emptyElementsAreDroppedAndAPipeNextToThemIsKept() {
        assertEquals("https://a.example|https://b.example,off",
                GoEnvironment.normalizeChain(",https://a.example,|https://b.example,,off,"));
    }

    @Test
    void notReadyCacheGivesTheFallbackAlone() {
        assertEquals("https://goproxy.cn,direct", GoEnvironment.forCache(cache(false, "https://goproxy.cn,direct")).get("GOPROXY"));
    }

    @Test
    void privatePatternsAreAlsoExemptFromTheChecksumDatabase() {
        CacheTarget cache = new CacheTarget(new CacheRef("ci", "gomod"), "http://gomod.ci.svc:8080", "https://proxy.golang.org",
                List.of("git.corp.example.com/*"), List.of("corp.example.com/*", "git.corp.example.com/*"), true, false);

        Map<String, String> env = GoEnvironment.forCache(cache);

        assertEquals("git.corp.example.com/*", env.get("GOPRIVATE"));
        assertEquals("git.corp.example.com/*", env.get("GONOPROXY"));
        // an explicit GONOSUMDB would otherwise drop GOPRIVATE's implied exemption
        assertEquals("git.corp.example.com/*,corp.example.com/*", env.get("GONOSUMDB"));
    }
}
