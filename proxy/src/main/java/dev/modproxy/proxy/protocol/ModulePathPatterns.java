package dev.modproxy.proxy.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * GOPRIVATE-style comma-separated glob patterns. A pattern with N slashes matches the first N+1
 * path elements of a module path, so {@code corp.example.com} covers every module below it.
 */
public final class ModulePathPatterns {

    private record Glob(String source, int slashes, Pattern regex) {}

    private final List<Glob> globs;

    private ModulePathPatterns(List<Glob> globs) {
        this.globs = globs;
    }

    public static ModulePathPatterns none() {
        return new ModulePathPatterns(List.of());
    }

    /** Parses the list; a malformed glob fails here so a typo never silently leaks private paths. */
    public static ModulePathPatterns parse(String list) {
        List<Glob> globs = new ArrayList<>();
        if (list != null) {
            for (String raw : list.split(",")) {
                String glob = raw.strip();
                while (glob.endsWith("/")) {
                    glob = glob.substring(0, glob.length() - 1);
                }
                if (!glob.isEmpty()) {
                    globs.add(new Glob(
                            glob, (int) glob.chars().filter(c -> c == '/').count(), Pattern.compile(toRegex(glob))));
                }
            }
        }
        return new ModulePathPatterns(List.copyOf(globs));
    }

    public boolean isEmpty() {
        return globs.isEmpty();
    }

    /** True when some pattern matches a leading run of the path's elements. */
    public boolean matches(String modulePath) {
        // indexed: asked on every cache hit, mostly with no patterns at all, and an iterator each time showed in
        // profiles
        for (int i = 0; i < globs.size(); i++) {
            Glob glob = globs.get(i);
            String prefix = leadingElements(modulePath, glob.slashes());
            if (prefix != null && glob.regex().matcher(prefix).matches()) {
                return true;
            }
        }
        return false;
    }

    private static String leadingElements(String path, int slashes) {
        int seen = 0;
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) == '/') {
                if (seen == slashes) {
                    return path.substring(0, i);
                }
                seen++;
            }
        }
        return seen == slashes ? path : null;
    }

    /** Translates a path.Match glob: '*' and '?' never cross '/', [...] classes with '^' negation, '\' escapes. */
    private static String toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append("[^/]*");
                case '?' -> re.append("[^/]");
                case '\\' -> {
                    if (++i >= glob.length()) {
                        throw new IllegalArgumentException("pattern " + CaseEncoding.quote(glob) + " ends with '\\'");
                    }
                    re.append(Pattern.quote(String.valueOf(glob.charAt(i))));
                }
                case '[' -> {
                    int end = glob.indexOf(']', i + 2);
                    if (end < 0) {
                        throw new IllegalArgumentException(
                                "pattern " + CaseEncoding.quote(glob) + " has an unclosed '['");
                    }
                    String body = glob.substring(i + 1, end);
                    boolean negate = body.startsWith("^");
                    if (negate) {
                        body = body.substring(1);
                    }
                    StringBuilder cls = new StringBuilder(negate ? "[^/" : "[");
                    for (char b : body.toCharArray()) {
                        cls.append(b == '-' || Character.isLetterOrDigit(b) ? String.valueOf(b) : "\\" + b);
                    }
                    re.append(cls).append(']');
                    i = end;
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return re.toString();
    }

    @Override
    public String toString() {
        return String.join(",", globs.stream().map(Glob::source).toList());
    }
}
