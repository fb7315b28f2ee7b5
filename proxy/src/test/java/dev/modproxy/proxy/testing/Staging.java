package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What a disk storage has staged under its root's {@code .tmp/}: each process stages in a directory of its own. */
public final class Staging {

    private Staging() {}

    /** The staged files (downloads, probes) under the root; the lock each process holds on its directory is none. */
    public static List<Path> stagedFiles(Path storageRoot) throws IOException {
        try (Stream<Path> all = Files.walk(storageRoot.resolve(".tmp"))) {
            return all.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().equals("owner.lock"))
                    .toList();
        }
    }
}
