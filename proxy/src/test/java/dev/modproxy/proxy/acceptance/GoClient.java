package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real go command (/usr/bin/go) with its own module cache under a test directory, checksum database off. */
final class GoClient {

    record Result(int exit, String out, String err) {
        String both() {
            return out + err;
        }
    }

    private final Path dir;

    GoClient(Path dir) {
        this.dir = dir;
    }

    /** Runs go with GOPROXY set and a fresh module cache named {@code cacheName}. */
    Result run(String goproxy, String cacheName, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("go"));
        command.addAll(List.of(args));
        Path work = Files.createDirectories(dir.resolve("work"));
        Path out = dir.resolve(cacheName + ".out");
        Path err = dir.resolve(cacheName + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = builder.environment();
        env.put("GOPROXY", goproxy);
        env.put("GOPATH", dir.resolve(cacheName).toString());
        env.put("GOMODCACHE", dir.resolve(cacheName).resolve("mod").toString());
        env.put("GOCACHE", dir.resolve("gocache").toString());
        env.put("HOME", dir.toString());
        env.put("GOSUMDB", "off");
        env.put("GOFLAGS", "-modcacherw");
        env.put("GO111MODULE", "on");
        env.remove("GOPRIVATE");
        env.remove("GONOPROXY");
        env.remove("GONOSUMDB");
        Process process = builder.start();
        assertTrue(process.waitFor(90, TimeUnit.SECONDS), "go finished in time");
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
