package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modproxy.contract.ProxyDuration;
import io.quarkus.runtime.configuration.DurationConverter;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operator refuses a duration field by the contract's ProxyDuration; the proxy reads the same text with Quarkus's
 * DurationConverter. Both must read every value alike, or a spec the operator takes would stop the proxy at start.
 */
class DurationRuleTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "0", "30", "0ms", "500ms", "500MS", "30s", "5m", "1h", "7d", "7D", "1h30m", "1.5s", " 5m ", "PT30S",
                "PT1.5S", "P1DT12H", "pt5s", "PT0S", "+5s"
            })
    void theOperatorReadsWhatTheProxyReadsAlike(String text) {
        Duration proxy = DurationConverter.parseDuration(text);
        assertEquals(proxy, ProxyDuration.parse(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PXQ", "P.", "P", "PT", "P1DT", "1.5m", "5x", "ten", "99999999999999999999s"})
    void theOperatorRefusesWhatTheProxyRefuses(String text) {
        assertThrows(RuntimeException.class, () -> DurationConverter.parseDuration(text), text);
        assertThrows(IllegalArgumentException.class, () -> ProxyDuration.parse(text), text);
    }
}
