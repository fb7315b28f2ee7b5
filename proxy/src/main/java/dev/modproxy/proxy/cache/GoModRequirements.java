package dev.modproxy.proxy.cache;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a dependency's go.mod tells about the module graph the go command will walk: the modules it
 * requires and whether its requirements are pruned (go 1.17 or later: the go command reads the go.mod
 * files of such a module's requirements only when it reached the module through an unpruned one; see
 * go.dev/ref/mod#graph-pruning).
 */
public record GoModRequirements(String goVersion, List<Requirement> requires) {

    /** One require line. */
    public record Requirement(String path, String version) {}

    private static final Pattern MAJOR_MINOR = Pattern.compile("v?([0-9]+)\\.([0-9]+).*");

    /** The requirements of a go.mod, read as the cache checks it; empty when the text is no go.mod the go command reads. */
    public static Optional<GoModRequirements> read(byte[] goMod) {
        GoModSyntax syntax = new GoModSyntax(true);
        try {
            for (String line : new String(goMod, StandardCharsets.UTF_8).split("\n", -1)) {
                syntax.line(line);
            }
            syntax.end();
        } catch (ArtifactRejectedException e) {
            return Optional.empty();
        }
        List<Requirement> requires = new ArrayList<>();
        for (String[] r : syntax.requires()) {
            requires.add(new Requirement(r[0], r[1]));
        }
        return Optional.of(new GoModRequirements(syntax.goVersion(), List.copyOf(requires)));
    }

    /**
     * Whether the go command prunes this module's requirements (go 1.17 or later). Without a go line a
     * go.mod counts as go 1.16: unpruned, every requirement's go.mod is read, all the way down.
     */
    public boolean pruned() {
        if (goVersion == null) {
            return false;
        }
        Matcher m = MAJOR_MINOR.matcher(goVersion);
        if (!m.matches()) {
            return false;
        }
        if (m.group(1).length() > 4 || m.group(2).length() > 4) {
            return true; // go 10000.x: far in the future, pruned
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 1 || minor >= 17;
    }
}
