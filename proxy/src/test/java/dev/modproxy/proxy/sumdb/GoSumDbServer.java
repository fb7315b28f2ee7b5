package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.testing.GoBinary;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real checksum database: Go's golang.org/x/mod/sumdb server, built from
 * src/test/go/sumdbserver with the system's Go toolchain and run on a free local port.
 */
public final class GoSumDbServer implements AutoCloseable {

    private static Path binary;

    private final Process process;
    private final String verifierKey;
    private final URI url;

    private GoSumDbServer(Process process, String verifierKey, URI url) {
        this.process = process;
        this.verifierKey = verifierKey;
        this.url = url;
    }

    /** Options of one server; paths may be null. */
    public record Options(String name, Path keyFile, Path records, Path proxyDir, String forge) {
        public static Options named(String name) {
            return new Options(name, null, null, null, null);
        }

        public Options withKeyFile(Path file) {
            return new Options(name, file, records, proxyDir, forge);
        }

        public Options withRecords(Path file) {
            return new Options(name, keyFile, file, proxyDir, forge);
        }

        public Options withProxyDir(Path dir) {
            return new Options(name, keyFile, records, dir, forge);
        }

        /** Lookups of module@version answer zipHash instead of the logged record. */
        public Options forging(String moduleAtVersion, String zipHash) {
            return new Options(name, keyFile, records, proxyDir, moduleAtVersion + "=" + zipHash);
        }
    }

    public static GoSumDbServer start(Options options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(build().toString(), "-name", options.name()));
        if (options.keyFile() != null) {
            command.addAll(List.of("-key", options.keyFile().toString()));
        }
        if (options.records() != null) {
            command.addAll(List.of("-records", options.records().toString()));
        }
        if (options.proxyDir() != null) {
            command.addAll(List.of("-proxydir", options.proxyDir().toString()));
        }
        if (options.forge() != null) {
            command.addAll(List.of("-forge", options.forge()));
        }
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String vkey = null;
        URI url = null;
        for (String line; (vkey == null || url == null) && (line = out.readLine()) != null; ) {
            if (line.startsWith("vkey ")) {
                vkey = line.substring(5);
            } else if (line.startsWith("url ")) {
                url = URI.create(line.substring(4));
            }
        }
        if (vkey == null || url == null) {
            process.destroy();
            throw new IOException("sumdbserver exited with " + process.waitFor() + " before announcing itself");
        }
        return new GoSumDbServer(process, vkey, url);
    }

    private static synchronized Path build() throws IOException, InterruptedException {
        if (binary != null) {
            return binary;
        }
        Path target = Path.of("target", "go").toAbsolutePath();
        Files.createDirectories(target);
        Path output = target.resolve("sumdbserver");
        ProcessBuilder go = new ProcessBuilder(GoBinary.path().toString(), "build", "-o", output.toString(), ".")
                .directory(Path.of("src", "test", "go", "sumdbserver").toFile())
                .redirectErrorStream(true);
        // The Debian golang.org/x/mod sources are a GOPATH tree; no module download is needed.
        go.environment().put("GOTOOLCHAIN", "local");
        go.environment().put("GOPATH", "/usr/share/gocode");
        go.environment().put("GO111MODULE", "off");
        go.environment().put("GOFLAGS", "");
        go.environment().put("GOCACHE", target.resolve("cache").toString());
        Process process = go.start();
        String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IOException("go build of sumdbserver failed:\n" + log);
        }
        binary = output;
        return binary;
    }

    /** The verifier key, "&lt;name&gt;+&lt;hash&gt;+&lt;key&gt;", as GOSUMDB takes it. */
    public String verifierKey() {
        return verifierKey;
    }

    public URI url() {
        return url;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
