package dev.modproxy.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ProxySettingTest {

    @Test
    void environmentNamesFollowMicroProfileConfig() {
        assertThat(ProxySetting.UPSTREAM.env()).isEqualTo("MODPROXY_UPSTREAM");
        assertThat(ProxySetting.EVICTION_HIGH_WATERMARK.env()).isEqualTo("MODPROXY_EVICTION_HIGH_WATERMARK");
        assertThat(ProxySetting.S3_PATH_STYLE.env()).isEqualTo("MODPROXY_S3_PATH_STYLE");
        assertThat(ProxySetting.MANAGEMENT_PORT.env()).isEqualTo("QUARKUS_MANAGEMENT_PORT");
    }

    @Test
    void everyConstantIsNamedForItsVariable() {
        assertThat(ProxySetting.values())
                .allSatisfy(setting -> assertThat(setting.env())
                        .endsWith(setting.name())
                        .startsWith(setting.proxyOwn() ? "MODPROXY_" : "QUARKUS_"));
    }

    @Test
    void aVariableFindsItsSetting() {
        assertThat(ProxySetting.byEnv("MODPROXY_READ_TIMEOUT")).contains(ProxySetting.READ_TIMEOUT);
        assertThat(ProxySetting.byEnv("MODPROXY_READ_TIMEOUTS")).isEmpty();
        assertThat(Arrays.stream(ProxySetting.values()).map(ProxySetting::env).distinct())
                .hasSize(ProxySetting.values().length);
    }
}
