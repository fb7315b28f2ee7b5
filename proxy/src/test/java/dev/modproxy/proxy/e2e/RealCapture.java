package dev.modproxy.proxy.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Real module graphs and the real checksum log, as the go command downloaded them once on this
 * machine (e2e/capture/capture.sh, run by the build before the integration tests).
 *
 * @param proxyTree the go command's cache/download: a GOPROXY tree with sumdb/sum.golang.org/...
 * @param graph     e2e/capture/graph in the repository: the module whose graph was downloaded
 */
record RealCapture(Path dir, Path proxyTree, Path graph) {

    /** The capture the build made; fails (never skips) with what to run when there is none. */
    static RealCapture load() throws IOException {
        String dirFile = System.getProperty("modproxy.capture.dir-file");
        if (dirFile == null || !Files.isRegularFile(Path.of(dirFile))) {
            throw new IllegalStateException("no capture of real modules (" + dirFile + "): the build runs"
                    + " e2e/capture/capture.sh before the integration tests (./mvnw -pl proxy verify); it needs"
                    + " the Go module proxy and sum.golang.org once per machine");
        }
        Path dir = Path.of(
                Files.readString(Path.of(dirFile), StandardCharsets.UTF_8).trim());
        if (!Files.isRegularFile(dir.resolve("complete"))) {
            throw new IllegalStateException("the capture at " + dir + " is incomplete: run e2e/capture/capture.sh");
        }
        Path graph = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "e2e", "capture", "graph");
        if (!Files.isRegularFile(graph.resolve("go.mod"))) {
            graph = Path.of("..", "e2e", "capture", "graph").toAbsolutePath().normalize();
        }
        return new RealCapture(dir, dir.resolve("proxy"), graph);
    }

    /** The go.sum the go command wrote for the graph, starting from none, against sum.golang.org. */
    String goSum() throws IOException {
        return Files.readString(dir.resolve("go.sum"), StandardCharsets.UTF_8);
    }

    /** module@version of every module in the graph's build list but the graph itself. */
    List<String> modules() throws IOException {
        return Files.readAllLines(dir.resolve("modules.txt"), StandardCharsets.UTF_8).stream()
                .map(String::trim)
                .filter(line -> line.contains(" "))
                .map(line -> line.replace(' ', '@'))
                .toList();
    }

    /** The Go version of the captured toolchain, e.g. go1.27.3. */
    String toolchain() throws IOException {
        return Files.readString(dir.resolve("toolchain"), StandardCharsets.UTF_8)
                .trim();
    }

    /** The newest signed tree head of sum.golang.org the go command had verified. */
    Path latestTreeHead() {
        return dir.resolve("sumdb/sum.golang.org/latest");
    }

    /** Starts a loopback server answering like proxy.golang.org and sum.golang.org did for the capture. */
    UpstreamServer serve() throws IOException {
        UpstreamServer upstream = UpstreamServer.start(proxyTree);
        upstream.serve("/sumdb/sum.golang.org/latest", latestTreeHead());
        return upstream;
    }
}
