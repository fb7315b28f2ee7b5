package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modproxy.contract.ProxyDuration;
import dev.modproxy.proxy.assembly.BadSettingException;
import io.quarkus.runtime.configuration.DurationConverter;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The proxy reads its durations, and the operator checks the ones it is given, by the contract's ProxyDuration; Quarkus
 * reads its own (quarkus.* settings) with its DurationConverter, which the proxy's were read with before. Both must
 * read every value alike, so that a duration means the same in either kind of setting and one a user wrote before
 * still does.
 */
class DurationRuleTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "0", "30", "0ms", "500ms", "500MS", "30s", "5m", "1h", "7d", "7D", "1h30m", "1.5s", " 5m ", "PT30S",
                "PT1.5S", "P1DT12H", "pt5s", "PT0S", "+5s"
            })
    void theProxyReadsWhatQuarkusReadsAlike(String text) {
        Duration quarkus = DurationConverter.parseDuration(text);
        assertEquals(quarkus, ProxyDuration.parse(text), text);
        assertEquals(
                quarkus,
                SettingValues.duration("MODPROXY_MUTABLE_TTL", Optional.of(text), Duration.ofMinutes(5)),
                text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PXQ", "P.", "P", "PT", "P1DT", "1.5m", "5x", "ten", "99999999999999999999s"})
    void theProxyRefusesWhatQuarkusRefuses(String text) {
        assertThrows(RuntimeException.class, () -> DurationConverter.parseDuration(text), text);
        assertThrows(IllegalArgumentException.class, () -> ProxyDuration.parse(text), text);
        assertThrows(
                BadSettingException.class,
                () -> SettingValues.duration("MODPROXY_MUTABLE_TTL", Optional.of(text), Duration.ofMinutes(5)),
                text);
    }
}
