package dev.modproxy.contract;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The modules not checked against the checksum database: the GONOSUMDB patterns and the GOPRIVATE ones. The go
 * command takes GONOSUMDB from GOPRIVATE only while GONOSUMDB is unset; modproxy always adds them, so a private
 * path is never looked up in a public database, whether the proxy checks it or a build pod does.
 */
public final class ChecksumExemptions {

    private ChecksumExemptions() {}

    /** Private patterns first, then the rest, each once, in the order given. */
    public static List<String> patterns(Collection<String> privatePatterns, Collection<String> noSumDbPatterns) {
        Set<String> all = new LinkedHashSet<>();
        addTrimmed(all, privatePatterns);
        addTrimmed(all, noSumDbPatterns);
        return List.copyOf(all);
    }

    /** As {@link #patterns(Collection, Collection)} for comma-separated lists (the settings' form). */
    public static String patterns(String privatePatterns, String noSumDbPatterns) {
        return String.join(",", patterns(split(privatePatterns), split(noSumDbPatterns)));
    }

    private static List<String> split(String list) {
        return list == null ? List.of() : Arrays.asList(list.split(","));
    }

    private static void addTrimmed(Set<String> into, Collection<String> patterns) {
        if (patterns == null) {
            return;
        }
        List<String> trimmed = new ArrayList<>();
        for (String pattern : patterns) {
            if (pattern != null && !pattern.isBlank()) {
                trimmed.add(pattern.strip());
            }
        }
        into.addAll(trimmed);
    }
}
