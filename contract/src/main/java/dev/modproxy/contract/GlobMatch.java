package dev.modproxy.contract;

/**
 * Go's path.Match (go/src/path/match.go), step for step, on a glob {@link ModulePathPatterns} has checked. Not a
 * regular expression: path.Match gives the characters after a '*' their leftmost fit and never tries a later one, so
 * where a class takes '/' ({@code *[/.]*} against a.b/c) a regular expression matches a path the go command does not,
 * and the proxy would call a module private that build pods send to their public fallback. Reads the path in place:
 * it runs on every cache hit.
 */
final class GlobMatch {

    private GlobMatch() {}

    /** path.Match(glob, path[0:end]); the glob is well-formed (ModulePathPatterns#check). */
    static boolean matches(String glob, String path, int end) {
        int g = 0;
        int p = 0;
        nextChunk:
        while (g < glob.length()) {
            boolean star = false;
            while (g < glob.length() && glob.charAt(g) == '*') {
                g++;
                star = true;
            }
            int chunkEnd = chunkEnd(glob, g);
            boolean last = chunkEnd == glob.length();
            if (star && g == chunkEnd) {
                // a trailing '*' takes the rest unless it holds a '/'
                return noSlash(path, p, end);
            }
            int rest = matchChunk(glob, g, chunkEnd, path, p, end);
            // the last chunk must take the path to its end; an earlier one leaves the rest to what follows
            if (rest >= 0 && (rest == end || !last)) {
                p = rest;
                g = chunkEnd;
                continue;
            }
            if (star) {
                // the '*' takes one more character each time, never a '/'; the first fit is kept
                for (int i = p; i < end && path.charAt(i) != '/'; i++) {
                    rest = matchChunk(glob, g, chunkEnd, path, i + 1, end);
                    if (rest >= 0) {
                        if (last && rest < end) {
                            continue;
                        }
                        p = rest;
                        g = chunkEnd;
                        continue nextChunk;
                    }
                }
            }
            return false;
        }
        return p == end;
    }

    /** path.Match's scanChunk: the run up to the next '*' outside a class. */
    private static int chunkEnd(String glob, int start) {
        boolean inClass = false;
        for (int i = start; i < glob.length(); i++) {
            switch (glob.charAt(i)) {
                case '\\' -> {
                    if (i + 1 < glob.length()) {
                        i++;
                    }
                }
                case '[' -> inClass = true;
                case ']' -> inClass = false;
                case '*' -> {
                    if (!inClass) {
                        return i;
                    }
                }
                default -> {}
            }
        }
        return glob.length();
    }

    /**
     * path.Match's matchChunk: matches glob[from, to) (no '*' outside a class) at path[at, end); the index after what it
     * took, or -1.
     */
    private static int matchChunk(String glob, int from, int to, String path, int at, int end) {
        int g = from;
        int p = at;
        while (g < to) {
            char c = glob.charAt(g);
            if (c == '[') {
                if (p >= end) {
                    return -1;
                }
                int r = path.codePointAt(p);
                p += Character.charCount(r);
                g++;
                boolean negated = glob.charAt(g) == '^';
                if (negated) {
                    g++;
                }
                boolean match = false;
                int ranges = 0;
                while (glob.charAt(g) != ']' || ranges == 0) {
                    if (glob.charAt(g) == '\\') {
                        g++;
                    }
                    int lo = glob.codePointAt(g);
                    g += Character.charCount(lo);
                    int hi = lo;
                    if (glob.charAt(g) == '-') {
                        g++;
                        if (glob.charAt(g) == '\\') {
                            g++;
                        }
                        hi = glob.codePointAt(g);
                        g += Character.charCount(hi);
                    }
                    match |= lo <= r && r <= hi;
                    ranges++;
                }
                g++;
                if (match == negated) {
                    return -1;
                }
            } else if (c == '?') {
                if (p >= end || path.charAt(p) == '/') {
                    return -1;
                }
                p += Character.charCount(path.codePointAt(p));
                g++;
            } else {
                if (c == '\\') {
                    g++;
                }
                if (p >= end || path.charAt(p) != glob.charAt(g)) {
                    return -1;
                }
                p++;
                g++;
            }
        }
        return p;
    }

    private static boolean noSlash(String path, int from, int end) {
        for (int i = from; i < end; i++) {
            if (path.charAt(i) == '/') {
                return false;
            }
        }
        return true;
    }
}
