package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What this process has mapped, as the kernel lists it (Linux's /proc/self/maps). */
public final class Mappings {

    private Mappings() {}

    /** Whether this process has the file mapped now (a deleted file is listed until it is unmapped). */
    public static boolean mapped(Path file) throws IOException {
        String name = file.toAbsolutePath().toString();
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.anyMatch(line -> line.contains(name));
        }
    }
}
