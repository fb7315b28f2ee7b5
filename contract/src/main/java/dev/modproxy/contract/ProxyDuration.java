package dev.modproxy.contract;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * Durations as the proxy reads its duration settings (through {@link SettingValueRule}) and the operator checks them:
 * Quarkus's DurationConverter rule, written out because the operator's settings know no framework: a whole number of
 * seconds, a number with ms, s, m, h or d, several of h, m, s in a row, or ISO-8601 as java.time.Duration parses it.
 * The proxy's DurationRuleTest checks this reads every sample as Quarkus does, so a duration means the same in a
 * quarkus.* setting and a modproxy.* one.
 */
public final class ProxyDuration {

    private static final Pattern DIGITS = Pattern.compile("^[-+]?\\d+$");
    private static final Pattern DIGITS_AND_UNIT = Pattern.compile("^(?:[-+]?\\d+(?:\\.\\d+)?(?i)[hms])+$");
    private static final Pattern DAYS = Pattern.compile("^[-+]?\\d+(?i)d$");
    private static final Pattern MILLIS = Pattern.compile("^[-+]?\\d+(?i)ms$");

    private ProxyDuration() {}

    /** @throws IllegalArgumentException for text the proxy would stop at start with */
    public static Duration parse(String text) {
        String value = text.trim();
        try {
            if (value.isEmpty()) {
                throw new IllegalArgumentException("no duration");
            }
            if (DIGITS.matcher(value).matches()) {
                return Duration.ofSeconds(Long.parseLong(value));
            }
            if (MILLIS.matcher(value).matches()) {
                return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            }
            if (DIGITS_AND_UNIT.matcher(value).matches()) {
                return Duration.parse("PT" + value);
            }
            if (DAYS.matcher(value).matches()) {
                return Duration.parse("P" + value);
            }
            return Duration.parse(value);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
