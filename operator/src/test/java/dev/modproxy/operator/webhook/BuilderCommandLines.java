package dev.modproxy.operator.webhook;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an admitted container's command line the way the build tool would, written from the tools'
 * documented flag syntax and flag tables, independently of the webhook's own recognition code. A word the
 * tool would reject (an unknown flag, a flag without its value, a plain argument where none is allowed)
 * fails the test.
 */
final class BuilderCommandLines {

    private BuilderCommandLines() {}

    /** What the builder process receives: Tekton's entrypoint passes it everything after its first "--". */
    static List<String> programArguments(JsonObject container) {
        List<String> command = strings(container.getJsonArray("command"));
        List<String> args = strings(container.getJsonArray("args"));
        List<String> received = new ArrayList<>();
        if (command.equals(List.of("/tekton/bin/entrypoint"))) {
            int separator = args.indexOf("--");
            if (separator < 0) {
                throw new AssertionError("a Tekton step always has a -- in its args: " + args);
            }
            if (!args.subList(0, separator).contains("-entrypoint")) {
                // a step without command: the image's command, from TEKTON_PLATFORM_COMMANDS
                received.addAll(platformCommand(container)
                        .subList(1, platformCommand(container).size()));
            }
            received.addAll(args.subList(separator + 1, args.size()));
            return received;
        }
        if (!command.isEmpty()) {
            received.addAll(command.subList(1, command.size()));
        }
        received.addAll(args);
        return received;
    }

    /** Tekton's own flags, before the "--": the webhook must leave them as they were. */
    static List<String> tektonEntrypointFlags(JsonObject container) {
        List<String> args = strings(container.getJsonArray("args"));
        return args.subList(0, args.indexOf("--"));
    }

    private static List<String> platformCommand(JsonObject container) {
        for (JsonObject var : container.getJsonArray("env").getValuesAs(JsonObject.class)) {
            if ("TEKTON_PLATFORM_COMMANDS".equals(var.getString("name"))) {
                try (JsonReader reader = Json.createReader(new StringReader(var.getString("value")))) {
                    return strings(reader.readObject().getJsonArray("linux/amd64"));
                }
            }
        }
        throw new AssertionError("no TEKTON_PLATFORM_COMMANDS in " + container.getString("name"));
    }

    static List<String> strings(JsonArray array) {
        return array == null
                ? List.of()
                : array.getValuesAs(JsonString.class).stream()
                        .map(JsonString::getString)
                        .toList();
    }

    /** One parsed command line: flag name to its values in order, and the plain arguments. */
    record Parsed(Map<String, List<String>> flags, List<String> arguments) {

        List<String> values(String flag) {
            return flags.getOrDefault(flag, List.of());
        }

        /** NAME=VALUE words as the tool builds its map of build arguments: the last one for a name wins. */
        static Map<String, String> buildArguments(List<String> words, String prefix) {
            Map<String, String> result = new LinkedHashMap<>();
            for (String word : words) {
                if (!word.startsWith(prefix)) {
                    continue;
                }
                String assignment = word.substring(prefix.length());
                int equals = assignment.indexOf('=');
                if (equals <= 0) {
                    throw new AssertionError("build argument without a value: " + word);
                }
                result.put(assignment.substring(0, equals), assignment.substring(equals + 1));
            }
            return result;
        }
    }

    /**
     * Kaniko's executor: cobra with spf13/pflag. Long flags are {@code --name value} or {@code --name=value};
     * a boolean long flag is {@code --name} or {@code --name=true|false}; shorthands {@code -f value},
     * {@code -fvalue}, {@code -f=value}; flags and plain arguments may be mixed; {@code --} ends the flags.
     * The flag table is the executor's, cmd/executor/cmd/root.go (v1.23).
     */
    static final class Kaniko {

        static final Set<String> VALUE_FLAGS = Set.of(
                "dockerfile",
                "context",
                "context-sub-path",
                "bucket",
                "destination",
                "snapshot-mode",
                "custom-platform",
                "build-arg",
                "push-retry",
                "image-fs-extract-retry",
                "image-download-retry",
                "kaniko-dir",
                "tar-path",
                "target",
                "cache-repo",
                "cache-dir",
                "digest-file",
                "image-name-with-digest-file",
                "image-name-tag-with-digest-file",
                "oci-layout-path",
                "cache-ttl",
                "insecure-registry",
                "skip-tls-verify-registry",
                "registry-certificate",
                "registry-client-cert",
                "registry-mirror",
                "registry-map",
                "label",
                "git",
                "ignore-path",
                "compression",
                "compression-level",
                "verbosity",
                "log-format",
                "snapshotMode",
                "customPlatform",
                "tarPath");
        static final Set<String> BOOLEAN_FLAGS = Set.of(
                "insecure",
                "skip-tls-verify",
                "insecure-pull",
                "skip-tls-verify-pull",
                "single-snapshot",
                "reproducible",
                "no-push",
                "no-push-cache",
                "cache",
                "compressed-caching",
                "cleanup",
                "ignore-var-run",
                "skip-unused-stages",
                "use-new-run",
                "cache-copy-layers",
                "cache-run-layers",
                "force-build-metadata",
                "log-timestamp",
                "force",
                "whitelist-var-run",
                "skip-default-registry-fallback",
                "skip-push-permission-check");
        static final Map<Character, String> SHORTHANDS =
                Map.of('f', "dockerfile", 'c', "context", 'b', "bucket", 'd', "destination", 'v', "verbosity");

        static Parsed parse(List<String> words) {
            Map<String, List<String>> flags = new LinkedHashMap<>();
            List<String> arguments = new ArrayList<>();
            for (int i = 0; i < words.size(); i++) {
                String word = words.get(i);
                if ("--".equals(word)) {
                    arguments.addAll(words.subList(i + 1, words.size()));
                    break;
                }
                String name;
                String value = null;
                if (word.startsWith("--")) {
                    String body = word.substring(2);
                    int equals = body.indexOf('=');
                    name = equals < 0 ? body : body.substring(0, equals);
                    value = equals < 0 ? null : body.substring(equals + 1);
                } else if (word.startsWith("-") && word.length() > 1) {
                    name = SHORTHANDS.get(word.charAt(1));
                    if (name == null) {
                        throw new AssertionError("kaniko: unknown shorthand flag in " + word);
                    }
                    String rest = word.substring(2);
                    value = rest.isEmpty() ? null : rest.startsWith("=") ? rest.substring(1) : rest;
                } else {
                    arguments.add(word);
                    continue;
                }
                if (BOOLEAN_FLAGS.contains(name)) {
                    if (value != null && !Set.of("true", "false").contains(value)) {
                        throw new AssertionError("kaniko: invalid boolean " + word);
                    }
                    flags.computeIfAbsent(name, k -> new ArrayList<>()).add(value == null ? "true" : value);
                    continue;
                }
                if (!VALUE_FLAGS.contains(name)) {
                    throw new AssertionError("kaniko: unknown flag: " + word);
                }
                if (value == null) {
                    if (i + 1 >= words.size()) {
                        throw new AssertionError("kaniko: flag needs an argument: " + word);
                    }
                    value = words.get(++i);
                }
                flags.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            }
            return new Parsed(flags, arguments);
        }

        static Map<String, String> buildArguments(List<String> words) {
            return Parsed.buildArguments(parse(words).values("build-arg"), "");
        }
    }

    /**
     * BuildKit's buildctl: urfave/cli on Go's flag package. Flags are {@code -name} or {@code --name}, with
     * {@code =value} or the next word as value (booleans only with {@code =}); global flags, then the subcommand,
     * then its flags. {@code build} takes no plain arguments. Flag tables: cmd/buildctl/main.go and build.go.
     */
    static final class Buildctl {

        static final Set<String> GLOBAL_VALUE_FLAGS =
                Set.of("addr", "log-format", "tlsservername", "tlscacert", "tlscert", "tlskey", "tlsdir", "timeout");
        static final Set<String> GLOBAL_BOOLEAN_FLAGS = Set.of("debug", "wait");
        static final Set<String> BUILD_VALUE_FLAGS = Set.of(
                "output",
                "o",
                "progress",
                "trace",
                "local",
                "frontend",
                "opt",
                "export-cache",
                "import-cache",
                "secret",
                "allow",
                "ssh",
                "metadata-file",
                "source-policy-file",
                "ref-file",
                "registry-auth-tlscontext",
                "oci-layout");
        static final Set<String> BUILD_BOOLEAN_FLAGS = Set.of("no-cache");

        record Invocation(Parsed global, String subcommand, Parsed build) {

            Map<String, String> buildArguments() {
                return Parsed.buildArguments(build.values("opt"), "build-arg:");
            }
        }

        static Invocation parse(List<String> words) {
            Map<String, List<String>> global = new LinkedHashMap<>();
            int next = flags(words, 0, GLOBAL_VALUE_FLAGS, GLOBAL_BOOLEAN_FLAGS, global);
            if (next >= words.size()) {
                throw new AssertionError("buildctl: no subcommand in " + words);
            }
            String subcommand = words.get(next);
            Map<String, List<String>> build = new LinkedHashMap<>();
            int end = flags(words, next + 1, BUILD_VALUE_FLAGS, BUILD_BOOLEAN_FLAGS, build);
            if (end < words.size()) {
                throw new AssertionError("buildctl build: unexpected argument " + words.get(end) + " in " + words);
            }
            return new Invocation(new Parsed(global, List.of()), subcommand, new Parsed(build, List.of()));
        }

        /** Go's flag package: returns the index of the first word that is not a flag. */
        private static int flags(
                List<String> words,
                int from,
                Set<String> valueFlags,
                Set<String> booleanFlags,
                Map<String, List<String>> into) {
            int i = from;
            while (i < words.size()) {
                String word = words.get(i);
                if ("--".equals(word)) {
                    return i + 1;
                }
                if (!word.startsWith("-") || word.length() == 1) {
                    return i;
                }
                String body = word.startsWith("--") ? word.substring(2) : word.substring(1);
                int equals = body.indexOf('=');
                String name = equals < 0 ? body : body.substring(0, equals);
                String value = equals < 0 ? null : body.substring(equals + 1);
                if (booleanFlags.contains(name)) {
                    into.computeIfAbsent(name, k -> new ArrayList<>()).add(value == null ? "true" : value);
                } else if (valueFlags.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= words.size()) {
                            throw new AssertionError("buildctl: flag needs an argument: " + word);
                        }
                        value = words.get(++i);
                    }
                    into.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
                } else {
                    throw new AssertionError("buildctl: flag provided but not defined: " + word);
                }
                i++;
            }
            return i;
        }
    }
}
