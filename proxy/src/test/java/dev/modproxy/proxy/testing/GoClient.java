package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real go command (Go 1.19 at /usr/bin/go) with a private module cache, pointed at one proxy. */
public final class GoClient {

    public record Result(int exitCode, String output) {
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
        java.nio.file.Files.createDirectories(home);
        List<String> command = new ArrayList<>(List.of("/usr/bin/go", "mod", "download", "-json"));
        command.addAll(List.of(modules));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
        var env = builder.environment();
        env.put("HOME", home.toString());
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", modCache().toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
        env.put("GOPROXY", goproxy);
        env.put("GOSUMDB", "off");
        env.put("GOFLAGS", "-modcacherw");
        env.put("GO111MODULE", "on");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("go mod download did not finish: " + output);
        }
        return new Result(process.exitValue(), output);
    }
}
