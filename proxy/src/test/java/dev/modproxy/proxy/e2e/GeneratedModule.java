package dev.modproxy.proxy.e2e;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * One version of a generated module: its path, version, publication time and the files of its
 * module root (relative names, '/'-separated).
 */
record GeneratedModule(String path, String version, Instant time, Map<String, byte[]> files) {

    GeneratedModule {
        files = new TreeMap<>(files);
    }

    /** The .mod a proxy serves: the zip's go.mod, or `module path` when there is none (+incompatible). */
    byte[] goMod() {
        byte[] goMod = files.get("go.mod");
        return goMod != null ? goMod : ("module " + path + "\n").getBytes(StandardCharsets.UTF_8);
    }

    String info() {
        return "{\"Version\":\"" + version + "\",\"Time\":\"" + time + "\"}\n";
    }

    /** `path@version`, as the go command names it on its command line. */
    String query() {
        return path + "@" + version;
    }

    /** This version's artifact URL path without extension, e.g. `/example.com/!upper/!mod/@v/v1.0.0`. */
    String protocolBase() {
        return "/" + caseEncode(path) + "/@v/" + caseEncode(version);
    }

    /** The GOPROXY URL path of this module's version list. */
    String listPath() {
        return "/" + caseEncode(path) + "/@v/list";
    }

    /** GOPROXY case-encoding, implemented here independently of the server: 'A' becomes "!a". */
    static String caseEncode(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            if (c >= 'A' && c <= 'Z') {
                out.append('!').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
