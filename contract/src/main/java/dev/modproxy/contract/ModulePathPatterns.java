package dev.modproxy.contract;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A GOPRIVATE / GONOSUMDB list: comma-separated path.Match globs, matched as the go command matches them
 * (golang.org/x/mod/module.MatchPrefixPatterns): a glob with N slashes matches the first N+1 elements of a module
 * path, so {@code corp.example.com} covers every module below it; one trailing '/' of a glob is dropped; empty items
 * are skipped. The proxy reads MODPROXY_PRIVATE and MODPROXY_NOSUMDB with it and the operator checks spec.private and
 * spec.noSumDB by it, so a pattern the operator takes is one the proxy starts with.
 *
 * <p>Choices beyond the go command, so that a typo never silently leaks a private path to a public mirror or
 * checksum database: each item is trimmed of blanks (the go command would read " a" as a glob no module path
 * matches; the operator refuses such a spec.private item, and the webhook hands build pods the items trimmed, as
 * read here); a glob the go command matches no module path with is refused at {@link #parse}: one path.Match calls
 * malformed (which the go command skips without a word) or one ending in "//"; and so is a class with a range that
 * runs backwards ([z-a]: it matches nothing, a typo the go command takes in silence, though [bz-a] still matches b).
 */
public final class ModulePathPatterns {

    /** A glob {@link #check} took, and how many leading path elements it is matched against (its slashes + 1). */
    private record Glob(String source, int slashes) {}

    /** A list with a glob {@link #parse} refuses (see the class comment); the message names the glob and why. */
    public static final class InvalidException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidException(String message) {
            super(message);
        }
    }

    private static final ModulePathPatterns NONE = new ModulePathPatterns(List.of());

    private final List<Glob> globs;

    private ModulePathPatterns(List<Glob> globs) {
        this.globs = globs;
    }

    public static ModulePathPatterns none() {
        return NONE;
    }

    /**
     * Parses the list (null is an empty one).
     *
     * @throws InvalidException naming the first glob {@link #problem} refuses: {@code pattern "[abc" has a '[' that
     *     no ']' closes}
     */
    public static ModulePathPatterns parse(String list) {
        List<Glob> globs = new ArrayList<>();
        for (String item : items(list)) {
            String glob = withoutTrailingSlash(item);
            if (glob.isEmpty()) {
                continue;
            }
            try {
                check(glob);
                globs.add(new Glob(glob, slashes(glob)));
            } catch (InvalidException e) {
                throw new InvalidException("pattern " + quote(item) + " " + e.getMessage());
            }
        }
        return globs.isEmpty() ? NONE : new ModulePathPatterns(List.copyOf(globs));
    }

    /**
     * The items of a comma-separated list as {@link #parse} reads them: each stripped of blanks, blank ones left out
     * (null is an empty list). Whatever hands the patterns on (to a build pod's go command, or merged into GONOSUMDB)
     * takes them from here, so the go command sees the items this class matched by.
     */
    public static List<String> items(String list) {
        return list == null ? List.of() : items(Arrays.asList(list.split(",", -1)));
    }

    /** As {@link #items(String)} for a list already split (spec.private's form); null entries are left out too. */
    public static List<String> items(Collection<String> list) {
        if (list == null) {
            return List.of();
        }
        List<String> items = new ArrayList<>(list.size());
        for (String item : list) {
            if (item != null && !item.isBlank()) {
                items.add(item.strip());
            }
        }
        return List.copyOf(items);
    }

    /**
     * Why {@link #parse} refuses one item of a list, if it does, in the words of its message after the quoted pattern:
     * {@code has a '[' that no ']' closes}. The operator reports a spec.private item by it.
     */
    public static Optional<String> problem(String pattern) {
        try {
            check(withoutTrailingSlash(pattern.strip()));
            return Optional.empty();
        } catch (InvalidException e) {
            return Optional.of(e.getMessage());
        }
    }

    public boolean isEmpty() {
        return globs.isEmpty();
    }

    /** True when some pattern matches a leading run of the path's elements. */
    public boolean matches(String modulePath) {
        // asked on every cache hit: indexed (an iterator each time showed in profiles), and the path is read in place
        for (int i = 0; i < globs.size(); i++) {
            Glob glob = globs.get(i);
            int end = leadingElementsEnd(modulePath, glob.slashes());
            if (end >= 0 && GlobMatch.matches(glob.source(), modulePath, end)) {
                return true;
            }
        }
        return false;
    }

    /** The patterns as parsed (trimmed, one trailing '/' dropped), comma-separated. */
    @Override
    public String toString() {
        return String.join(",", globs.stream().map(Glob::source).toList());
    }

    /** The go command drops one trailing slash (strings.TrimSuffix), no more. */
    private static String withoutTrailingSlash(String glob) {
        return glob.endsWith("/") ? glob.substring(0, glob.length() - 1) : glob;
    }

    private static int slashes(String glob) {
        int slashes = 0;
        for (int i = 0; i < glob.length(); i++) {
            if (glob.charAt(i) == '/') {
                slashes++;
            }
        }
        return slashes;
    }

    /** Where the path's first slashes + 1 elements end, or -1 when it has fewer (MatchPrefixPatterns' prefix). */
    private static int leadingElementsEnd(String path, int slashes) {
        int seen = 0;
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) == '/') {
                if (seen == slashes) {
                    return i;
                }
                seen++;
            }
        }
        return seen == slashes ? path.length() : -1;
    }

    /**
     * Checks a glob by Go's path.Match grammar, which {@link GlobMatch} then relies on: '\' escapes the next
     * character; a class is '[', an optional '^', then one or more characters or ranges lo-hi, then ']', where ']' and
     * '-' count as characters only escaped (a ']' right after '[' or '[^' does not close the class, nor stand for
     * itself).
     */
    private static void check(String glob) {
        if (glob.endsWith("/")) {
            throw new InvalidException(
                    "ends with \"//\", which matches no module path; write it without the trailing slashes");
        }
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i++);
            if (c == '\\') {
                if (i >= glob.length()) {
                    throw new InvalidException("ends with '\\'");
                }
                i++;
            } else if (c == '[') {
                i = checkClass(glob, i);
            }
        }
    }

    /** Checks the class that starts at {@code start} (just after its '['); returns the index after its ']'. */
    private static int checkClass(String glob, int start) {
        int i = start;
        if (i < glob.length() && glob.charAt(i) == '^') {
            i++;
        }
        int ranges = 0;
        while (true) {
            if (i < glob.length() && glob.charAt(i) == ']' && ranges > 0) {
                return i + 1;
            }
            int from = i;
            int[] lo = classCharacter(glob, i);
            i = lo[1];
            if (glob.charAt(i) == '-') {
                int[] hi = classCharacter(glob, i + 1);
                i = hi[1];
                if (lo[0] > hi[0]) {
                    throw new InvalidException(
                            "has the range " + glob.substring(from, i) + ", which runs backwards and matches nothing");
                }
            }
            ranges++;
        }
    }

    /**
     * One character of a class at {@code at}, as path.Match's getEsc reads it: {code point, index after it}. Like
     * getEsc, it wants more of the pattern after the character: the class's ']' at least.
     */
    private static int[] classCharacter(String glob, int at) {
        if (at >= glob.length()) {
            throw new InvalidException("has a '[' that no ']' closes");
        }
        char first = glob.charAt(at);
        if (first == ']' || first == '-') {
            throw new InvalidException("has a '" + first + "' in a [...] class where a character belongs (first, "
                    + "or in a range); write it as \\" + first);
        }
        int i = at;
        if (first == '\\') {
            i++;
            if (i >= glob.length()) {
                throw new InvalidException("ends with '\\'");
            }
        }
        int c = glob.codePointAt(i);
        i += Character.charCount(c);
        if (i >= glob.length()) {
            throw new InvalidException("has a '[' that no ']' closes");
        }
        return new int[] {c, i};
    }

    /** The pattern as written, control characters escaped so that the message stays one line. */
    private static String quote(String pattern) {
        StringBuilder quoted = new StringBuilder("\"");
        pattern.chars().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\x%02x", c));
            } else {
                quoted.append((char) c);
            }
        });
        return quoted.append('"').toString();
    }
}
