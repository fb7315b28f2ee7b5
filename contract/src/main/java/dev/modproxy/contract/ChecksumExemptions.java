package dev.modproxy.contract;

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

    /** Private patterns first, then the rest, each once, in the order given, as {@link ModulePathPatterns} reads them. */
    public static List<String> patterns(Collection<String> privatePatterns, Collection<String> noSumDbPatterns) {
        Set<String> all = new LinkedHashSet<>(ModulePathPatterns.items(privatePatterns));
        all.addAll(ModulePathPatterns.items(noSumDbPatterns));
        return List.copyOf(all);
    }

    /** As {@link #patterns(Collection, Collection)} for comma-separated lists (the settings' form). */
    public static String patterns(String privatePatterns, String noSumDbPatterns) {
        return String.join(
                ",", patterns(ModulePathPatterns.items(privatePatterns), ModulePathPatterns.items(noSumDbPatterns)));
    }
}
