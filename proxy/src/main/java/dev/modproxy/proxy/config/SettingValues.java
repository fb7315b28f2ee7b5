package dev.modproxy.proxy.config;

import dev.modproxy.contract.SettingValueRule;
import dev.modproxy.proxy.assembly.BadSettingException;
import java.time.Duration;

/**
 * Reads the text of a MODPROXY_* duration, number or switch by the contract's {@link SettingValueRule} for its
 * variable, the rule the operator checks spec.proxy.env by. {@link ProxyConfig} takes them as text because the
 * configuration library refuses a value it cannot convert with its own message (SRCFG00039, naming the Quarkus key
 * modproxy.mutable-ttl and the Java exception), and reads any word but a true one as false with a warning; here a
 * value the proxy cannot use is refused with one line naming the variable and what it takes.
 */
final class SettingValues {

    private SettingValues() {}

    /** A duration of 0 or more, or of more than 0 where the variable's rule says so. */
    static Duration duration(String variable, String text) {
        try {
            return rule(variable).duration(variable, text);
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(e.getMessage());
        }
    }

    /** A whole number of 1 or more. */
    static int count(String variable, String text) {
        try {
            return rule(variable).count(variable, text);
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(e.getMessage());
        }
    }

    /** true or false, or another spelling the configuration library takes. */
    static boolean flag(String variable, String text) {
        try {
            return rule(variable).switchedOn(variable, text);
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(e.getMessage());
        }
    }

    private static SettingValueRule rule(String variable) {
        return SettingValueRule.of(variable)
                .orElseThrow(() -> new IllegalStateException(variable + " has no rule in SettingValueRule"));
    }
}
