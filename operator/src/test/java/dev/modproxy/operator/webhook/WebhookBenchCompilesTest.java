package dev.modproxy.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench/webhook builds against this module's classes when bench/webhook-latency.sh runs, and nothing else compiled it:
 * a change to the route's constructor once broke it unseen. Compiled here with the tests' classpath, which holds the
 * module's classes and their dependencies.
 */
class WebhookBenchCompilesTest {

    @Test
    void theWebhookBenchCompilesAgainstTheOperatorsClasses(@TempDir Path out) throws IOException {
        List<String> arguments = new ArrayList<>(
                List.of("-d", out.toString(), "-proc:none", "-cp", System.getProperty("java.class.path")));
        try (Stream<Path> files = Files.list(Path.of("..", "bench", "webhook"))) {
            files.map(Path::toString).filter(f -> f.endsWith(".java")).sorted().forEach(arguments::add);
        }
        ByteArrayOutputStream errors = new ByteArrayOutputStream();

        int status = ToolProvider.getSystemJavaCompiler().run(null, errors, errors, arguments.toArray(String[]::new));

        assertThat(status).as(errors.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.resolve("WebhookBenchServer.class")).exists();
        assertThat(out.resolve("LatencyDriver.class")).exists();
    }
}
