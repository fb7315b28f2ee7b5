package dev.modproxy.proxy.e2e;

import dev.modproxy.proxy.testing.GoBinary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real go command ({@link GoBinary}: the newest on the machine) as a GOPROXY client, with a private HOME, GOPATH,
 * module cache and build cache, and no environment inherited from the machine.
 */
final class GoCommand {

    private final Path home;
    private final String goproxy;
    private final Map<String, String> settings;

    /** Checksum database off: the generated fixtures are in no public database. */
    GoCommand(Path home, String goproxy) {
        // GOSUMDB=off turns the check off; GONOSUMDB names the fixtures' prefix as well.
        this(home, goproxy, Map.of("GOSUMDB", "off", "GONOSUMDB", "example.com"));
    }

    private GoCommand(Path home, String goproxy, Map<String, String> settings) {
        this.home = home;
        this.goproxy = goproxy;
        this.settings = settings;
    }

    /**
     * The go command as a build pod runs it: GOSUMDB unset (sum.golang.org, verification on),
     * plus the given settings (e.g. GOTOOLCHAIN=auto), and a GOCACHE shared by the test's clients.
     */
    static GoCommand verifying(Path home, String goproxy, Path buildCache, Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(settings);
        all.put("GOCACHE", buildCache.toString());
        return new GoCommand(home, goproxy, Map.copyOf(all));
    }

    /** Fails with a clear message when no go command is installed. */
    static void requireInstalled() {
        GoBinary.path();
    }

    Path home() {
        return home;
    }

    Path moduleCache() {
        return home.resolve("gopath/pkg/mod");
    }

    record Result(int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }

        String describe() {
            return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(GoBinary.path().toString());
        command.addAll(List.of(args));
        Files.createDirectories(dir);
        Path out = Files.createTempFile(home, "go-out", ".txt");
        Path err = Files.createTempFile(home, "go-err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        Map<String, String> env = builder.environment();
        GoBinary.isolate(env, home);
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", moduleCache().toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
        env.put("GOPROXY", goproxy);
        env.put("GOFLAGS", "-mod=mod -modcacherw");
        env.putAll(settings);
        Process process = builder.start();
        try {
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                throw new AssertionError("go " + String.join(" ", args) + " did not finish in 10 minutes");
            }
        } finally {
            process.destroyForcibly();
        }
        return new Result(
                process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    /** Runs the command and fails the test, with the go command's output, when it does not succeed. */
    String runOk(Path dir, String... args) throws IOException, InterruptedException {
        Result result = run(dir, args);
        if (!result.ok()) {
            throw new AssertionError(
                    "go " + String.join(" ", args) + " (GOPROXY=" + goproxy + ") failed: " + result.describe());
        }
        return result.stdout();
    }
}
