package dev.modproxy.proxy.config;

import io.smallrye.config.WithName;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The MODPROXY_* environment variables the proxy reads, taken from {@link ProxyConfig} itself, so that a
 * misspelled one (silently ignored by the configuration library) gets a warning naming the closest real one.
 */
public final class SettingNames {

    private static final String PREFIX = "MODPROXY_";

    private SettingNames() {}

    /** Every environment variable {@link ProxyConfig} maps, e.g. MODPROXY_EVICTION_HIGH_WATERMARK. */
    public static Collection<String> known() {
        TreeSet<String> names = new TreeSet<>();
        collect(ProxyConfig.class, PREFIX, names);
        return names;
    }

    /** One warning per MODPROXY_* variable in {@code environment} that is not a setting. */
    public static List<String> unknownIn(Map<String, String> environment) {
        Collection<String> known = known();
        List<String> warnings = new ArrayList<>();
        environment.keySet().stream()
                .filter(name -> name.startsWith(PREFIX))
                .filter(name -> !known.contains(name))
                .sorted()
                .forEach(name -> warnings.add("modproxy: " + name + " is not a setting of this proxy and is "
                        + "ignored; did you mean " + closest(name, known) + "?"));
        return warnings;
    }

    private static void collect(Class<?> group, String prefix, Collection<String> names) {
        for (Method method : group.getMethods()) {
            if (method.isDefault() || Modifier.isStatic(method.getModifiers()) || method.getParameterCount() > 0) {
                continue;
            }
            WithName renamed = method.getAnnotation(WithName.class);
            String name = prefix + envName(renamed != null ? renamed.value() : method.getName());
            Class<?> type = method.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == ProxyConfig.class) {
                collect(type, name + "_", names);
            } else {
                names.add(name);
            }
        }
    }

    /** storageDir -> STORAGE_DIR, as SmallRye maps a property name to an environment variable. */
    private static String envName(String property) {
        return property.replaceAll("([a-z0-9])([A-Z])", "$1_$2")
                .replace('-', '_')
                .replace('.', '_')
                .toUpperCase(Locale.ROOT);
    }

    private static String closest(String name, Collection<String> known) {
        return known.stream()
                .min(Comparator.comparingInt(k -> distance(name, k)))
                .orElseThrow();
    }

    /** Levenshtein distance: typos are a letter dropped, doubled or swapped. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
