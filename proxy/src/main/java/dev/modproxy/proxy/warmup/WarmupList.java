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

    public static List<WarmupTarget> parse(String text) {
        Map<String, WarmupTarget> targets = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        boolean goMod = isGoMod(lines);
        GoModBlock block = GoModBlock.NONE;
        for (int i = 0; i < lines.length; i++) {
            String line = withoutComment(lines[i]);
            if (line.isEmpty()) {
                continue;
            }
            WarmupTarget target;
            try {
                if (goMod) {
                    block = block.next(line);
                    String required = block.required(line);
                    if (required == null) {
                        continue;
                    }
                    target = parseRequire(required);
                } else {
                    target = parseLine(line);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage());
            }
            String id = target.module().path() + "@" + target.version();
            WarmupTarget known = targets.get(id);
            if (known == null || (known.goModOnly() && !target.goModOnly())) {
                targets.put(id, target);
            }
            if (targets.size() > MAX_TARGETS) {
                throw new IllegalArgumentException("more than " + MAX_TARGETS + " module versions in one warm-up");
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no module@version or go.sum lines given");
        }
        return new ArrayList<>(targets.values());
    }

    /** Entries given as a JSON array of strings: each is read like a line. */
    public static List<WarmupTarget> parse(List<String> entries) {
        return parse(String.join("\n", entries));
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
    private static boolean isGoMod(String[] lines) {
        for (String raw : lines) {
            String line = withoutComment(raw);
            if (!line.isEmpty()) {
                return line.startsWith("module ") || line.startsWith("module\t");
            }
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
