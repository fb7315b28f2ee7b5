package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The go command every test runs: {@code $MODPROXY_TEST_GO} when set (to test an older go), else
 * the newest of the go commands on this machine (PATH, /usr/local/go, Debian's /usr/bin/go).
 */
public final class GoBinary {

    private static final Pattern GO_VERSION = Pattern.compile("go(\\d+)\\.(\\d+)(?:\\.(\\d+))?");
    private static volatile Found found;

    private record Found(Path path, String version) {}

    private GoBinary() {}

    /** The go command's path; fails with what to install when there is none. */
    public static Path path() {
        return find().path();
    }

    /** Its version as {@code go env GOVERSION} prints it, e.g. go1.26.8. */
    public static String version() {
        return find().version();
    }

    /**
     * The environment of a go command that sees nothing of this machine's Go settings and never
     * switches toolchains on its own ({@code GOTOOLCHAIN=local}; a test that switches sets it).
     */
    public static void isolate(Map<String, String> env, Path home) {
        env.clear();
        env.put("PATH", path().getParent() + ":/usr/bin:/bin");
        env.put("HOME", home.toString());
        env.put("GOENV", "off");
        env.put("GOTOOLCHAIN", "local");
        env.put("GO111MODULE", "on");
        env.put("CGO_ENABLED", "0");
        // -modcacherw: the module cache stays deletable by the test's temp-dir cleanup.
        env.put("GOFLAGS", "-modcacherw");
    }

    private static Found find() {
        Found result = found;
        if (result == null) {
            synchronized (GoBinary.class) {
                if (found == null) {
                    found = locate();
                }
                result = found;
            }
        }
        return result;
    }

    private static Found locate() {
        String chosen = System.getenv("MODPROXY_TEST_GO");
        List<Path> candidates = new ArrayList<>();
        if (chosen != null && !chosen.isBlank()) {
            candidates.add(Path.of(chosen));
        } else {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, "go"));
                }
            }
            candidates.add(Path.of("/usr/local/go/bin/go"));
            candidates.add(Path.of("/usr/bin/go"));
        }
        Optional<Found> newest = candidates.stream()
                .distinct()
                .filter(Files::isExecutable)
                .map(GoBinary::probe)
                .flatMap(Optional::stream)
                .max(Comparator.comparing(f -> versionKey(f.version())));
        return newest.orElseThrow(
                () -> new IllegalStateException("the proxy's end-to-end tests need the go command (tried " + candidates
                        + "): install Go, or set MODPROXY_TEST_GO to a go binary"));
    }

    private static Optional<Found> probe(Path go) {
        try {
            ProcessBuilder builder = new ProcessBuilder(go.toString(), "env", "GOVERSION").redirectErrorStream(true);
            builder.environment().put("GOTOOLCHAIN", "local");
            Process process = builder.start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS)
                    || process.exitValue() != 0
                    || !GO_VERSION.matcher(out).lookingAt()) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return Optional.of(new Found(go.toRealPath(), out));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static long versionKey(String version) {
        Matcher m = GO_VERSION.matcher(version);
        if (!m.lookingAt()) {
            return -1;
        }
        long patch = m.group(3) == null ? 0 : Long.parseLong(m.group(3));
        return Long.parseLong(m.group(1)) * 1_000_000L + Long.parseLong(m.group(2)) * 1_000L + patch;
    }
}
