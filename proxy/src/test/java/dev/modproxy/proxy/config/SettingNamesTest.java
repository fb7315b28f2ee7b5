package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.ProxySetting;
import dev.modproxy.contract.SettingValueRule;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SettingNamesTest {

    @Test
    void theKnownNamesAreTheEnvironmentVariablesOfTheConfiguration() {
        assertTrue(
                SettingNames.known()
                        .containsAll(List.of(
                                "MODPROXY_UPSTREAM",
                                "MODPROXY_PRIVATE",
                                "MODPROXY_SUMDB",
                                "MODPROXY_NOSUMDB",
                                "MODPROXY_SUMDB_REQUIRED",
                                "MODPROXY_STORAGE_DIR",
                                "MODPROXY_MEMORY_CACHE_SIZE",
                                "MODPROXY_EVICTION_HIGH_WATERMARK",
                                "MODPROXY_S3_PATH_STYLE")),
                SettingNames.known().toString());
        assertTrue(
                SettingNames.known().stream().noneMatch(name -> name.contains("STORAGE_ROOT")),
                "derived values are not settings");
    }

    @Test
    void everySettingTheOperatorWritesIsOneThisProxyReads() {
        List<String> written = Arrays.stream(ProxySetting.values())
                .filter(ProxySetting::proxyOwn)
                .map(ProxySetting::env)
                .toList();

        assertEquals(
                List.of(),
                written.stream()
                        .filter(name -> !SettingNames.known().contains(name))
                        .toList());
    }

    /**
     * The operator checks spec.proxy.env by the contract's rules: a variable read here without one would be passed on
     * unchecked, and one ruled there that is read no more would be checked for nothing.
     */
    @Test
    void everyVariableThisProxyReadsHasAValueRuleInTheContract() {
        TreeSet<String> unruled = new TreeSet<>(SettingNames.known());
        unruled.removeAll(SettingValueRule.variables());
        TreeSet<String> unread = new TreeSet<>(SettingValueRule.variables());
        unread.removeAll(SettingNames.known());

        assertEquals(new TreeSet<>(), unruled, "read by ProxyConfig, no rule in the contract's SettingValueRule");
        assertEquals(new TreeSet<>(), unread, "ruled in the contract's SettingValueRule, not read by ProxyConfig");
    }

    @Test
    void aMisspelledVariableIsNamedWithTheClosestSetting() {
        List<String> warnings = SettingNames.unknownIn(Map.of(
                "MODPROXY_UPSTREM",
                "https://goproxy.cn",
                "MODPROXY_UPSTREAM",
                "https://goproxy.cn",
                "PATH",
                "/usr/bin",
                "MODPROXY_NO_SUMDB",
                "corp.example.com"));

        assertEquals(
                List.of(
                        "modproxy: MODPROXY_NO_SUMDB is not a setting of this proxy and is ignored; did you mean MODPROXY_NOSUMDB?",
                        "modproxy: MODPROXY_UPSTREM is not a setting of this proxy and is ignored; did you mean MODPROXY_UPSTREAM?"),
                warnings);
    }

    @Test
    void anEnvironmentOfRealSettingsGivesNoWarning() {
        assertEquals(
                List.of(),
                SettingNames.unknownIn(Map.of(
                        "MODPROXY_STORAGE_DIR",
                        "/var/cache/modproxy",
                        "MODPROXY_EVICTION_LOW_WATERMARK",
                        "70%",
                        "QUARKUS_HTTP_PORT",
                        "8080")));
    }
}
