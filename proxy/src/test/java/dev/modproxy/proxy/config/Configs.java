package dev.modproxy.proxy.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;

/** {@link ProxyConfig} as the running proxy reads it (defaults, conversions), from the given modproxy.* keys. */
final class Configs {

    private Configs() {}

    static ProxyConfig of(Map<String, String> keys) {
        return new SmallRyeConfigBuilder()
                .withMapping(ProxyConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(keys, "test", 500))
                .build()
                .getConfigMapping(ProxyConfig.class);
    }

    /** {@link ProxyConfig} from MODPROXY_* environment variables, read as the running proxy reads its environment. */
    static ProxyConfig ofEnvironment(Map<String, String> variables) {
        return new SmallRyeConfigBuilder()
                .withMapping(ProxyConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new EnvConfigSource(variables, 300))
                .build()
                .getConfigMapping(ProxyConfig.class);
    }
}
