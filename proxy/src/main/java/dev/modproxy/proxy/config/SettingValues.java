package dev.modproxy.proxy.config;

import dev.modproxy.contract.SettingValueRule;
import dev.modproxy.proxy.assembly.BadSettingException;
import java.time.Duration;
import java.util.Optional;

/**
 * Reads the text of a MODPROXY_* duration, number or switch by the contract's {@link SettingValueRule} for its
 * variable, the rule the operator checks spec.proxy.env by. {@link ProxyConfig} takes them as text because the
 * configuration library refuses a value it cannot convert with its own message (SRCFG00039, naming the Quarkus key
 * modproxy.mutable-ttl and the Java exception), and reads any word but a true one as false with a warning; here a
 * value the proxy cannot use is refused with one line naming the variable and what it takes. A value not given (unset,
 * or empty, which the configuration library reads as unset) takes its default.
 */
final class SettingValues {

    private SettingValues() {}

    /** A duration of 0 or more, or of more than 0 where the variable's rule says so; {@code unset} when not given. */
    static Duration duration(String variable, Optional<String> text, Duration unset) {
        return read(variable, text, unset, SettingValueRule::duration);
    }

    /** A whole number of 1 or more; {@code unset} when not given. */
    static int count(String variable, Optional<String> text, int unset) {
        return read(variable, text, unset, SettingValueRule::count);
    }

    /** true or false, or another spelling the configuration library takes; {@code unset} when not given. */
    static boolean flag(String variable, Optional<String> text, boolean unset) {
        return read(variable, text, unset, SettingValueRule::switchedOn);
    }

    /** One of the rule's readings, which refuses a value with IllegalArgumentException and the proxy's own line. */
    private interface Reading<T> {
        T read(SettingValueRule rule, String variable, String text);
    }

    private static <T> T read(String variable, Optional<String> text, T unset, Reading<T> reading) {
        if (text.isEmpty()) {
            return unset;
        }
        try {
            return reading.read(rule(variable), variable, text.get());
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(e.getMessage());
        }
    }

    private static SettingValueRule rule(String variable) {
        return SettingValueRule.of(variable)
                .orElseThrow(() -> new IllegalStateException(variable + " has no rule in SettingValueRule"));
    }
}
