package dev.modproxy.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout the suite runs in: the chart, the plain manifests and the operator jar are read from it. */
public final class Repository {

    private Repository() {}

    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("e2e/cluster"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(
                    "e2e/cluster not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    public static Path chart() {
        return root().resolve("helm/modproxy");
    }

    public static Path operatorJar() {
        Path jar = root().resolve("operator/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the operator first (./mvnw -B verify builds it)");
        }
        return jar;
    }
}
