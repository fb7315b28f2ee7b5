package dev.modproxy.proxy.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.modproxy.proxy.testing.GoBinary;

/**
 * The real go command ({@link GoBinary}: the newest on the machine) as a GOPROXY client, with a private HOME, GOPATH,
 * module cache and build cache, and no environment inherited from the machine.
 */
final class GoCommand {

    private final Path home;
    private final String goproxy;

    GoCommand(Path home, String goproxy) {
        this.home = home;
        this.goproxy = goproxy;
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
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = builder.environment();
        GoBinary.isolate(env, home);
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", moduleCache().toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
        env.put("GOPROXY", goproxy);
        env.put("GOFLAGS", "-mod=mod -modcacherw");
        // The checksum database is a separate concern (the fixtures are in no sumdb, and there is no
        // network): GOSUMDB=off turns the check off; GONOSUMDB names the fixtures' prefix as well.
        env.put("GOSUMDB", "off");
        env.put("GONOSUMDB", "example.com");
        Process process = builder.start();
        try {
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                throw new AssertionError("go " + String.join(" ", args) + " did not finish in 10 minutes");
            }
        } finally {
            process.destroyForcibly();
        }
        return new Result(process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    /** Runs the command and fails the test, with the go command's output, when it does not succeed. */
    String runOk(Path dir, String... args) throws IOException, InterruptedException {
        Result result = run(dir, args);
        if (!result.ok()) {
            throw new AssertionError("go " + String.join(" ", args) + " (GOPROXY=" + goproxy + ") failed: "
                    + result.describe());
        }
        return result.stdout();
    }
}
