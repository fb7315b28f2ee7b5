package dev.modproxy.proxy.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The files this test process holds open, read from /proc (Linux), to show that nothing is left open. */
public final class OpenFiles {

    private OpenFiles() {}

    /** Open files under root (staged and stored artifacts), but a staging directory's lock, which its owner holds. */
    public static List<String> under(Path root) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        assertTrue(Files.isDirectory(fds), "counts open files through /proc (Linux)");
        String prefix = root.toAbsolutePath().toString();
        try (Stream<Path> open = Files.list(fds)) {
            return open.map(fd -> {
                        try {
                            return Files.readSymbolicLink(fd).toString();
                        } catch (IOException e) {
                            return ""; // closed meanwhile
                        }
                    })
                    .filter(target -> target.startsWith(prefix))
                    .filter(target -> !target.endsWith("/owner.lock"))
                    .toList();
        }
    }
}
