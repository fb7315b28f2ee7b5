package dev.modproxy.proxy.app;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Starts a fake upstream with one published module and points the packaged app at it. */
public class FakeUpstreamResource implements QuarkusTestResourceLifecycleManager {

    private FakeUpstream upstream;

    @Override
    public Map<String, String> start() {
        try {
            upstream = FakeUpstream.start();
            Modules.publish(upstream, "example.com/lib", "v1.0.0");
            upstream.on("example.com/lib/@v/v1.9.9.info", FakeUpstream.ok("application/json", Modules.info("v1.0.0")));
            Path storage = Files.createTempDirectory("modproxy-app-test");
            return Map.of(
                    "modproxy.upstream", upstream.url(),
                    "modproxy.storage-dir", storage.toString(),
                    "modproxy.private", "corp.example.com");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (upstream != null) {
            upstream.close();
        }
    }
}
