package dev.modproxy.proxy.warmup;

import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads what to warm up, one entry per line: {@code module@version}, or a go.sum line
 * ({@code module version h1:hash}, or {@code module version/go.mod h1:hash} for which only the
 * go.mod is needed); or a whole go.mod, whose require directives are the list. Blank lines and
 * // comments are skipped; the first bad line is reported.
 */
public final class WarmupList {

    public static final int MAX_TARGETS = 10_000;

    private WarmupList() {}

    /**
     * Reads text line by line, as it lies: no copy of it split into lines (a list of 4 MiB took some 70 MiB of heap
     * as copies of copies).
     */
    public static List<WarmupTarget> parse(String text) {
        Targets targets = new Targets();
        boolean goMod = isGoMod(text);
        GoModBlock block = GoModBlock.NONE;
        int lineNumber = 0;
        for (int start = 0; start <= text.length(); ) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            lineNumber++;
            String line = withoutComment(text.substring(start, end));
            start = end + 1;
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (goMod) {
                    block = block.next(line);
                    String required = block.required(line);
                    if (required == null) {
                        continue;
                    }
                    targets.add(parseRequire(required));
                } else {
                    targets.add(parseLine(line));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + lineNumber + ": " + e.getMessage());
            }
        }
        return targets.list();
    }

    /**
     * Entries given one by one (a JSON array of strings), each read like a line of module@version or go.sum; at
     * most {@link #MAX_TARGETS} of them.
     */
    public static final class Entries {
        private final Targets targets = new Targets();
        private int count;

        /** Reads one more entry; refused past MAX_TARGETS entries, or when it is not one. */
        public void add(String entry) {
            if (++count > MAX_TARGETS) {
                throw new IllegalArgumentException("more than " + MAX_TARGETS + " entries in one warm-up");
            }
            String line = withoutComment(entry);
            if (line.isEmpty()) {
                return;
            }
            try {
                targets.add(parseLine(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("entry " + count + ": " + e.getMessage());
            }
        }

        public List<WarmupTarget> targets() {
            return targets.list();
        }
    }

    /** Entries given as a list of strings: each is read like a line. */
    public static List<WarmupTarget> parse(List<String> entries) {
        Entries read = new Entries();
        entries.forEach(read::add);
        return read.targets();
    }

    /** The targets read so far, each module version once (a full one over a go.mod-only one), at most MAX_TARGETS. */
    private static final class Targets {
        private final Map<String, WarmupTarget> byId = new LinkedHashMap<>();

        void add(WarmupTarget target) {
            String id = target.module().path() + "@" + target.version();
            WarmupTarget known = byId.get(id);
            if (known == null || (known.goModOnly() && !target.goModOnly())) {
                byId.put(id, target);
            }
            if (byId.size() > MAX_TARGETS) {
                throw new IllegalArgumentException("more than " + MAX_TARGETS + " module versions in one warm-up");
            }
        }

        List<WarmupTarget> list() {
            if (byId.isEmpty()) {
                throw new IllegalArgumentException("no module@version or go.sum lines given");
            }
            return new ArrayList<>(byId.values());
        }
    }

    private static WarmupTarget parseLine(String line) {
        String[] fields = line.split("\\s+");
        if (fields.length == 1) {
            int at = line.lastIndexOf('@');
            if (at <= 0 || at == line.length() - 1) {
                throw new IllegalArgumentException("expected module@version, got '" + line + "'");
            }
            return target(line.substring(0, at), line.substring(at + 1), false);
        }
        if (fields.length == 3 && fields[2].startsWith("h1:")) {
            String version = fields[1];
            boolean goModOnly = version.endsWith("/go.mod");
            return target(
                    fields[0],
                    goModOnly ? version.substring(0, version.length() - "/go.mod".length()) : version,
                    goModOnly);
        }
        throw new IllegalArgumentException(
                "expected module@version or a go.sum line (module version h1:hash), got '" + line + "'");
    }

    private static String withoutComment(String line) {
        int comment = line.indexOf("//");
        return (comment >= 0 ? line.substring(0, comment) : line).strip();
    }

    /** A go.mod starts with its module directive (after comments); every other accepted form never does. */
    private static boolean isGoMod(String text) {
        for (int start = 0; start <= text.length(); ) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String line = withoutComment(text.substring(start, end));
            if (!line.isEmpty()) {
                return line.startsWith("module ") || line.startsWith("module\t");
            }
            start = end + 1;
        }
        return false;
    }

    /** Where a go.mod line stands: only require directives name what a build downloads. */
    private enum GoModBlock {
        NONE,
        REQUIRE,
        OTHER;

        GoModBlock next(String line) {
            if (this != NONE) {
                return line.equals(")") ? NONE : this;
            }
            if (line.endsWith("(")) {
                return line.startsWith("require") ? REQUIRE : OTHER;
            }
            return NONE;
        }

        /** The "path version" of a requirement on this line, or null for any other line. */
        String required(String line) {
            if (this == REQUIRE) {
                return line.equals(")") || line.endsWith("(") ? null : line;
            }
            if (this == NONE && (line.startsWith("require ") || line.startsWith("require\t"))) {
                return line.substring("require".length()).strip();
            }
            return null;
        }
    }

    private static WarmupTarget parseRequire(String requirement) {
        String[] fields = requirement.split("\\s+");
        if (fields.length != 2) {
            throw new IllegalArgumentException(
                    "expected a go.mod requirement 'module version', got '" + requirement + "'");
        }
        return target(unquote(fields[0]), unquote(fields[1]), false);
    }

    private static String unquote(String field) {
        return field.length() >= 2 && field.startsWith("\"") && field.endsWith("\"")
                ? field.substring(1, field.length() - 1)
                : field;
    }

    private static WarmupTarget target(String path, String version, boolean goModOnly) {
        ModulePath module = ModulePath.of(path);
        return new WarmupTarget(module, ModuleVersion.parse(version).checkBelongsTo(module), goModOnly);
    }
}
