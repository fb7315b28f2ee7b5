package dev.modproxy.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Runs a command of the control plane (cluster.sh, kubectl) and keeps what it printed. */
public final class Commands {

    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        public boolean succeeded() {
            return exitCode == 0;
        }

        public String lastLine() {
            List<String> lines = stdout.strip().lines().toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }

        /** Both streams, for assertion messages. */
        public String output() {
            return stdout + stderr;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + "\n" + tail(stdout) + tail(stderr);
        }

        private static String tail(String text) {
            List<String> lines = text.lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())) + "\n";
        }
    }

    private Commands() {}

    /** Runs to completion; a non-zero exit is an error carrying the command's last output lines. */
    public static Result run(Map<String, String> env, String... command) {
        Result result = attempt(env, null, command);
        if (!result.succeeded()) {
            throw new IllegalStateException("command failed: " + result);
        }
        return result;
    }

    /** Runs to completion with {@code stdin} (may be null) and returns whatever happened. */
    public static Result attempt(Map<String, String> env, String stdin, String... command) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(Path.of("").toAbsolutePath().toFile());
        builder.environment().putAll(env);
        try {
            Process process = builder.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            try (var input = process.getOutputStream()) {
                if (stdin != null) {
                    input.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            int exit = process.waitFor();
            return new Result(List.of(command), exit, out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }

    private static String read(java.io.InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
