package dev.modproxy.proxy.config;

import dev.modproxy.proxy.assembly.BadSettingException;
import io.quarkus.runtime.configuration.DurationConverter;
import java.time.Duration;
import java.util.Locale;

/**
 * Reads the text of a MODPROXY_* duration, number or switch. {@link ProxyConfig} takes them as text because the
 * configuration library refuses a value it cannot convert with its own message (SRCFG00039, naming the Quarkus key
 * modproxy.mutable-ttl and the Java exception), and reads any word but a true one as false with a warning; here a
 * value the proxy cannot use is refused with one line naming the variable and what it takes.
 */
final class SettingValues {

    private static final String DURATION_SYNTAX = "a duration such as 500ms, 30s, 5m, 1h or PT30S";

    private SettingValues() {}

    /** A duration of 0 or more, read as Quarkus reads its own (DurationRuleTest holds the operator to the same). */
    static Duration duration(String variable, String text) {
        Duration duration;
        try {
            duration = DurationConverter.parseDuration(text.trim());
        } catch (RuntimeException e) {
            duration = null;
        }
        if (duration == null || duration.isNegative()) {
            throw new BadSettingException(variable + " must be " + DURATION_SYNTAX + ", got '" + text + "'");
        }
        return duration;
    }

    /**
     * A duration of more than 0: the bound of a wait, which at 0 would fail every wait (the JDK's HTTP client refuses
     * a timeout of 0 outright, "Invalid duration: PT0S").
     */
    static Duration positiveDuration(String variable, String text) {
        Duration duration = duration(variable, text);
        if (duration.isZero()) {
            throw new BadSettingException(
                    variable + " must be more than 0 (" + DURATION_SYNTAX + "), got '" + text + "'");
        }
        return duration;
    }

    /** A whole number of 1 or more: threads, a queue's length, a count of failures. */
    static int count(String variable, String text) {
        int count;
        try {
            count = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            count = 0;
        }
        if (count < 1) {
            throw new BadSettingException(variable + " must be a whole number of 1 or more, got '" + text + "'");
        }
        return count;
    }

    /** true or false; the configuration library's other spellings (1/0, yes/no, y/n, on/off) are kept. */
    static boolean flag(String variable, String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "y", "on" -> true;
            case "false", "0", "no", "n", "off" -> false;
            default -> throw new BadSettingException(variable + " must be true or false, got '" + text + "'");
        };
    }
}
