package dev.modproxy.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GoEnvironmentTest {

    static CacheTarget cache(boolean ready, String fallback) {
        return new CacheTarget(
                new CacheRef("ci", "gomod"), "http://gomod.ci.svc:8080", fallback, List.of(), List.of(), ready, false);
    }

    @Test
    void cacheComesFirstAndAnyFailureOfItFallsThroughToTheChain() {
        assertThat(GoEnvironment.forCache(cache(true, "https://proxy.golang.org"))
                        .get("GOPROXY"))
                .isEqualTo("http://gomod.ci.svc:8080|https://proxy.golang.org");
    }

    @Test
    void separatorsInsideTheFallbackKeepTheirMeaning() {
        assertThat(GoEnvironment.forCache(
                                cache(true, " https://goproxy.cn , https://mirrors.aliyun.com/goproxy/|direct"))
                        .get("GOPROXY"))
                .isEqualTo("http://gomod.ci.svc:8080|https://goproxy.cn,https://mirrors.aliyun.com/goproxy/|direct");
    }

    @Test
    void theCacheItselfIsNotRepeatedInItsFallback() {
        assertThat(GoEnvironment.forCache(cache(true, "http://gomod.ci.svc:8080/,direct"))
                        .get("GOPROXY"))
                .isEqualTo("http://gomod.ci.svc:8080|direct");
    }

    @Test
    void emptyElementsAreDroppedAndAPipeNextToThemIsKept() {
        assertThat(GoEnvironment.normalizeChain(",https://a.example,|https://b.example,,off,"))
                .isEqualTo("https://a.example|https://b.example,off");
    }

    @Test
    void notReadyCacheGivesTheFallbackAlone() {
        assertThat(GoEnvironment.forCache(cache(false, "https://goproxy.cn,direct"))
                        .get("GOPROXY"))
                .isEqualTo("https://goproxy.cn,direct");
    }

    @Test
    void privatePatternsAreAlsoExemptFromTheChecksumDatabase() {
        CacheTarget cache = new CacheTarget(
                new CacheRef("ci", "gomod"),
                "http://gomod.ci.svc:8080",
                "https://proxy.golang.org",
                List.of("git.corp.example.com/*"),
                List.of("corp.example.com/*", "git.corp.example.com/*"),
                true,
                false);

        Map<String, String> env = GoEnvironment.forCache(cache);

        assertThat(env.get("GOPRIVATE")).isEqualTo("git.corp.example.com/*");
        assertThat(env.get("GONOPROXY")).isEqualTo("git.corp.example.com/*");
        // an explicit GONOSUMDB would otherwise drop GOPRIVATE's implied exemption
        assertThat(env.get("GONOSUMDB")).isEqualTo("git.corp.example.com/*,corp.example.com/*");
    }

    @Test
    void patternsReachTheGoCommandAsTheProxyReadsThem() {
        // the go command does not strip GOPRIVATE's items: " git.corp.example.com/*" would match no module there
        CacheTarget cache = new CacheTarget(
                new CacheRef("ci", "gomod"),
                "http://gomod.ci.svc:8080",
                "https://proxy.golang.org",
                List.of(" git.corp.example.com/* ", "  ", "corp.example.com\t"),
                List.of(" sum.corp.example.com"),
                true,
                false);

        Map<String, String> env = GoEnvironment.forCache(cache);

        assertThat(env.get("GOPRIVATE")).isEqualTo("git.corp.example.com/*,corp.example.com");
        assertThat(env.get("GONOPROXY")).isEqualTo("git.corp.example.com/*,corp.example.com");
        assertThat(env.get("GONOSUMDB")).isEqualTo("git.corp.example.com/*,corp.example.com,sum.corp.example.com");
    }
}
