package dev.modproxy.proxy.eviction;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as Kubernetes and people write them: 1048576, 512Mi, 10Gi, 500M, 2GB. */
public final class ByteSize {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]i?)?b?", Pattern.CASE_INSENSITIVE);

    private ByteSize() {}

    public static long parse(String text) {
        return parse("MODPROXY_MAX_SIZE", text);
    }

    /** @param setting named in the error message */
    public static long parse(String setting, String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    setting + " must be a byte count such as 1073741824, 512Mi or 10G, got '" + text + "'");
        }
        long number = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
        int power = unit.isEmpty() ? 0 : "kmgt".indexOf(unit.charAt(0)) + 1;
        long base = unit.endsWith("i") ? 1024 : 1000;
        long factor = 1;
        for (int i = 0; i < power; i++) {
            factor *= base;
        }
        return Math.multiplyExact(number, factor);
    }
}
