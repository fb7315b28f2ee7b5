package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.GoBinary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real go command's {@code go mod download -json}, with GOSUMDB naming only the key: the database is reached through the proxies. */
record GoModDownload(int exitCode, String output) {

    static GoModDownload run(Path home, String moduleAtVersion, String goproxy, String gosumdb)
            throws IOException, InterruptedException {
        return run(home, moduleAtVersion, goproxy, gosumdb, Map.of());
    }

    /** With more variables, e.g. HTTPS_PROXY at a closed port so that a direct request fails here, not on the network. */
    static GoModDownload run(
            Path home, String moduleAtVersion, String goproxy, String gosumdb, Map<String, String> more)
            throws IOException, InterruptedException {
        Files.createDirectories(home);
        ProcessBuilder go = new ProcessBuilder(GoBinary.path().toString(), "mod", "download", "-json", moduleAtVersion)
                .directory(home.toFile())
                .redirectErrorStream(true);
        Map<String, String> env = go.environment();
        GoBinary.isolate(env, home);
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
        env.put("GOPROXY", goproxy);
        env.put("GOSUMDB", gosumdb);
        env.putAll(more);
        Process process = go.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "go mod download finished");
        return new GoModDownload(process.exitValue(), output);
    }
}
