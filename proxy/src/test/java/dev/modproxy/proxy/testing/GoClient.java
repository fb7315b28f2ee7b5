package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real go command ({@link GoBinary}) with a private GOPATH, module cache and build
 * cache under {@code home}, pointed at one GOPROXY, checksum database off (the generated
 * modules are in no public database; the sumdb tests run Go's own database instead).
 */
public final class GoClient {

    /** Exit code, standard output (e.g. the JSON of -json) and standard error. */
    public record Result(int exitCode, String output, String errors) {
        public String both() {
            return output + errors;
        }
    }

    private final Path home;
    private final String goproxy;

    public GoClient(Path home, String goproxy) {
        this.home = home;
        this.goproxy = goproxy;
    }

    public Path modCache() {
        return home.resolve("gomodcache");
    }

    /** Runs {@code go mod download -json module@version...} outside any module. */
    public Result download(String... modules) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("mod", "download", "-json"));
        args.addAll(List.of(modules));
        return run(Files.createDirectories(home.resolve("outside")), args.toArray(String[]::new));
    }

    /** Runs {@code go args...} in {@code workDir}; fails after two minutes. */
    public Result run(Path workDir, String... args) throws IOException, InterruptedException {
        Files.createDirectories(home);
        List<String> command = new ArrayList<>(List.of(GoBinary.path().toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(home, "go-", ".out");
        Path err = Files.createTempFile(home, "go-", ".err");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        Map<String, String> env = builder.environment();
        GoBinary.isolate(env, home);
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", modCache().toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
        env.put("GOPROXY", goproxy);
        env.put("GOSUMDB", "off");
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("go " + String.join(" ", args) + " did not finish: " + Files.readString(err));
        }
        return new Result(
                process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
