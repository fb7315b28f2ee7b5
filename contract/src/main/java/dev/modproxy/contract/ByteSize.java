package dev.modproxy.contract;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as Kubernetes and people write them: 1048576, 512Mi, 10Gi, 500M, 2GB. The proxy reads its byte-count
 * settings with it and the operator checks the fields it writes into them (spec.proxy.memoryCacheSize) by it, so a
 * size the operator takes is one the proxy starts with.
 */
public final class ByteSize {

    /**
     * What {@link #parse} takes, once trimmed, as a regular expression RE2 (the CRD's) and java.util.regex read alike:
     * a whole number, then K, M, G or T in either case, each decimal or with i (binary), and an optional B. No
     * fractions (0.5Gi), exponents (1e6) or E/P suffixes, which Kubernetes quantities allow.
     */
    public static final String PATTERN = "^([0-9]+)[ \\t]*([KMGTkmgt][Ii]?)?[Bb]?$";

    private static final Pattern SIZE = Pattern.compile(PATTERN);

    private ByteSize() {}

    public static long parse(String text) {
        return parse("MODPROXY_MAX_SIZE", text);
    }

    /**
     * @param setting named in the error message
     * @throws IllegalArgumentException naming {@code setting}, for text of another form or a size beyond 8 EiB
     */
    public static long parse(String setting, String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    setting + " must be a byte count such as 1073741824, 512Mi or 10G, got '" + text + "'");
        }
        String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
        int power = unit.isEmpty() ? 0 : "kmgt".indexOf(unit.charAt(0)) + 1;
        long base = unit.endsWith("i") ? 1024 : 1000;
        try {
            long factor = 1;
            for (int i = 0; i < power; i++) {
                factor *= base;
            }
            return Math.multiplyExact(Long.parseLong(m.group(1)), factor);
        } catch (ArithmeticException | NumberFormatException e) {
            // a number too long for a long, or one that overflows once multiplied by its unit
            throw new IllegalArgumentException(
                    setting + " is more bytes than the proxy can count (at most 8 EiB), got '" + text + "'");
        }
    }
}
