package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modproxy.proxy.metrics.ProxyMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.ConfigurationException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A setting the proxy cannot use ends start-up with one line naming it and what it takes: Quarkus prints a
 * ConfigurationException without a cause as its message alone, anything else as a stack trace.
 */
class BadSettingTest {

    @TempDir
    Path dir;

    private final ProxyBeans beans = new ProxyBeans();
    private final ProxyMetrics metrics = new ProxyMetrics(new SimpleMeterRegistry());

    @Test
    void aWatermarkThatIsNotANumber() {
        ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> beans.storage(config(Map.of("highWatermark", "abc")), metrics));

        assertEquals("modproxy cannot start: MODPROXY_EVICTION_HIGH_WATERMARK must be a fraction (0.9) or a "
                + "percentage (90%), got 'abc'", refused.getMessage());
        assertNull(refused.getCause());
    }

    @Test
    void anUpstreamThatIsNotAUrl() {
        ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> beans.upstreamChain(config(Map.of("upstream", "ftp://goproxy.cn")), metrics));

        assertEquals("modproxy cannot start: MODPROXY_UPSTREAM (GOPROXY syntax: http(s) URLs, direct or off, joined "
                + "by ',' or '|'): entry 1 \"ftp://goproxy.cn\" is not an http(s) URL (modproxy fetches over HTTP only); use "
                + "an http(s) URL such as https://goproxy.cn, or \"direct\" / \"off\"", refused.getMessage());
        assertNull(refused.getCause());
    }

    @Test
    void anUnknownStorageType() {
        ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> beans.storage(config(Map.of("storageType", "nfs")), metrics));

        assertEquals("modproxy cannot start: MODPROXY_STORAGE_TYPE must be disk or s3, got 'nfs'", refused.getMessage());
    }

    private ProxyConfig config(Map<String, Object> overrides) {
        Map<String, Object> values = new java.util.HashMap<>(Map.of("upstream", "https://proxy.golang.org",
                "storageType", "disk", "highWatermark", "90%", "lowWatermark", "75%",
                "storageDir", Optional.of(dir.resolve("cache")), "passThroughDir", Optional.of(dir.resolve("spill")),
                "maxSize", Optional.empty(), "connectTimeout", Duration.ofSeconds(1), "readTimeout", Duration.ofSeconds(1),
                "breakerCoolDown", Duration.ofSeconds(1)));
        values.put("breakerFailures", 5);
        values.put("netrc", Optional.empty());
        values.putAll(overrides);
        ProxyConfig.Eviction eviction = (ProxyConfig.Eviction) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ProxyConfig.Eviction.class}, (p, method, args) -> values.get(method.getName()));
        return (ProxyConfig) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ProxyConfig.class},
                (p, method, args) -> switch (method.getName()) {
                    case "eviction" -> eviction;
                    case "storageRoot" -> dir.resolve("cache");
                    default -> {
                        if (!values.containsKey(method.getName())) {
                            throw new UnsupportedOperationException(method.getName());
                        }
                        yield values.get(method.getName());
                    }
                });
    }
}
