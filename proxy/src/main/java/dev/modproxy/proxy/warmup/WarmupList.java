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
 * go.mod is needed). Blank lines and // comments are skipped; the first bad line is reported.
 */
public final class WarmupList {

    public static final int MAX_TARGETS = 10_000;

    private WarmupList() {
    }

    public static List<WarmupTarget> parse(String text) {
        Map<String, WarmupTarget> targets = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("//")) {
                continue;
            }
            WarmupTarget target;
            try {
                target = parseLine(line);
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
            return target(fields[0], goModOnly ? version.substring(0, version.length() - "/go.mod".length()) : version, goModOnly);
        }
        throw new IllegalArgumentException("expected module@version or a go.sum line (module version h1:hash), got '" + line + "'");
    }

    private static WarmupTarget target(String path, String version, boolean goModOnly) {
        ModulePath module = ModulePath.of(path);
        return new WarmupTarget(module, ModuleVersion.parse(version).checkBelongsTo(module), goModOnly);
    }
}
