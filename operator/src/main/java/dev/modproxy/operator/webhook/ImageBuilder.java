package dev.modproxy.operator.webhook;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An image builder that takes Dockerfile build arguments on its command line, so the webhook can
 * append them to the container's {@code args}. Recognition, in this order:
 * <ol>
 * <li>the program the container runs (see {@link ContainerCommand}): {@code /kaniko/executor} is Kaniko,
 * {@code buildctl} or {@code buildctl-daemonless.sh} (any directory) is BuildKit;</li>
 * <li>no program in the spec (the image's own ENTRYPOINT runs) and a Kaniko executor image
 * ({@code .../kaniko-project/executor}, or a last path segment containing {@code kaniko}): Kaniko, whose
 * ENTRYPOINT is {@code /kaniko/executor}.</li>
 * </ol>
 * A builder image that runs something else ({@code sleep}, {@code cat}, a shell) is not recognised here.
 */
enum ImageBuilder {

    /** Kaniko's executor, cobra/pflag flags: {@code --build-arg NAME=VALUE} or {@code --build-arg=NAME=VALUE}. */
    KANIKO("kaniko") {
        @Override
        Map<String, String> buildArgs(List<String> arguments) {
            Map<String, String> found = new LinkedHashMap<>();
            for (int i = 0; i < arguments.size(); i++) {
                String word = arguments.get(i);
                if ("--".equals(word)) {
                    break;
                }
                if ("--build-arg".equals(word) && i + 1 < arguments.size()) {
                    put(found, arguments.get(++i));
                } else if (word != null && word.startsWith("--build-arg=")) {
                    put(found, word.substring("--build-arg=".length()));
                }
            }
            return found;
        }

        @Override
        boolean builds(List<String> arguments) {
            return true;
        }

        @Override
        boolean readsAppendedFlags(List<String> arguments) {
            // pflag reads flags anywhere, up to a "--"
            return !arguments.contains("--");
        }

        @Override
        String flag(String name, String value) {
            return "--build-arg=" + name + "=" + value;
        }
    },

    /**
     * BuildKit's client, urfave/cli flags: {@code buildctl [global flags] build --opt build-arg:NAME=VALUE};
     * {@code buildctl-daemonless.sh} starts a daemon and passes its arguments to {@code buildctl} unchanged.
     */
    BUILDKIT("buildctl") {
        @Override
        Map<String, String> buildArgs(List<String> arguments) {
            Map<String, String> found = new LinkedHashMap<>();
            int build = buildSubcommand(arguments);
            if (build < 0) {
                return found;
            }
            for (int i = build + 1; i < arguments.size(); i++) {
                String word = arguments.get(i);
                if (word == null) {
                    continue;
                }
                if ("--".equals(word)) {
                    break;
                }
                String value = null;
                if (("--opt".equals(word) || "-opt".equals(word)) && i + 1 < arguments.size()) {
                    value = arguments.get(++i);
                } else if (word.startsWith("--opt=") || word.startsWith("-opt=")) {
                    value = word.substring(word.indexOf('=') + 1);
                }
                if (value != null && value.startsWith(BUILD_ARG_OPT)) {
                    put(found, value.substring(BUILD_ARG_OPT.length()));
                }
            }
            return found;
        }

        @Override
        boolean builds(List<String> arguments) {
            return buildSubcommand(arguments) >= 0;
        }

        @Override
        boolean readsAppendedFlags(List<String> arguments) {
            int build = buildSubcommand(arguments);
            return build >= 0 && !arguments.subList(build + 1, arguments.size()).contains("--");
        }

        @Override
        String flag(String name, String value) {
            // one word: buildctl keeps the "," of a GOPROXY chain (it turns urfave/cli's slice splitting off)
            return "--opt=" + BUILD_ARG_OPT + name + "=" + value;
        }
    };

    private static final String BUILD_ARG_OPT = "build-arg:";
    // buildctl's global flags that take a value as the next word (cmd/buildctl/main.go)
    private static final Set<String> BUILDCTL_GLOBAL_VALUE_FLAGS =
            Set.of("addr", "log-format", "tlsservername", "tlscacert", "tlscert", "tlskey", "tlsdir", "timeout");

    private final String tool;

    ImageBuilder(String tool) {
        this.tool = tool;
    }

    /** The name users know the tool by, for messages. */
    String tool() {
        return tool;
    }

    /** The build arguments the arguments pass already, name to value (null: "take it from the environment"). */
    abstract Map<String, String> buildArgs(List<String> arguments);

    /** Whether this command line builds an image ({@code buildctl prune} does not). */
    abstract boolean builds(List<String> arguments);

    /** Whether a flag appended after the arguments is read as a flag of the build (and not as a plain argument). */
    abstract boolean readsAppendedFlags(List<String> arguments);

    /** One argument word that passes the build argument. */
    abstract String flag(String name, String value);

    static Optional<ImageBuilder> recognise(ContainerCommand command, String image) {
        String program = command.program();
        if (program == null) {
            return isKanikoImage(image) ? Optional.of(KANIKO) : Optional.empty();
        }
        if ("/kaniko/executor".equals(program) || program.endsWith("/kaniko/executor")) {
            return Optional.of(KANIKO);
        }
        String name = ContainerCommand.basename(program);
        if ("buildctl".equals(name) || "buildctl-daemonless.sh".equals(name)) {
            return Optional.of(BUILDKIT);
        }
        return Optional.empty();
    }

    /** {@code gcr.io/kaniko-project/executor:v1.23.2}, a mirror of it, or a fork such as {@code cgr.dev/chainguard/kaniko}. */
    static boolean isKanikoImage(String image) {
        String repository = repository(image);
        int slash = repository.lastIndexOf('/');
        String last = repository.substring(slash + 1);
        return repository.endsWith("kaniko-project/executor") || last.contains("kaniko");
    }

    /** The image reference without tag and digest, lower case. */
    static String repository(String image) {
        if (image == null) {
            return "";
        }
        String reference = image.trim().toLowerCase(Locale.ROOT);
        int at = reference.indexOf('@');
        if (at >= 0) {
            reference = reference.substring(0, at);
        }
        int colon = reference.lastIndexOf(':');
        if (colon > reference.lastIndexOf('/')) {
            reference = reference.substring(0, colon);
        }
        return reference;
    }

    /** Index of {@code build} (or its alias {@code b}) after buildctl's global flags; -1 for another subcommand. */
    private static int buildSubcommand(List<String> arguments) {
        for (int i = 0; i < arguments.size(); i++) {
            String word = arguments.get(i);
            if (word == null || "--".equals(word)) {
                return -1;
            }
            if (word.startsWith("-")) {
                String name = word.replaceFirst("^--?", "");
                if (!name.contains("=") && BUILDCTL_GLOBAL_VALUE_FLAGS.contains(name)) {
                    i++;
                }
                continue;
            }
            return "build".equals(word) || "b".equals(word) ? i : -1;
        }
        return -1;
    }

    private static void put(Map<String, String> found, String argument) {
        if (argument == null) {
            return;
        }
        int equals = argument.indexOf('=');
        if (equals < 0) {
            found.put(argument, null);
        } else {
            found.put(argument.substring(0, equals), argument.substring(equals + 1));
        }
    }
}
