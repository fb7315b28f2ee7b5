package dev.modproxy.operator.webhook;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;

/**
 * The program a container runs and that program's arguments, as far as the pod spec shows them.
 * Appending to the container's {@code args} always appends to {@code arguments}: Kubernetes runs
 * {@code command + args}, and Tekton's entrypoint runs everything after its {@code --}.
 *
 * @param program the executable as written ({@code /kaniko/executor}, {@code buildctl}), or null when
 *        it is the image's own ENTRYPOINT and the spec does not say which
 * @param arguments what the program receives, in order
 * @param script the shell script the program runs, when the spec holds it ({@code sh -c}, a Tekton
 *        {@code script:} step), else null
 */
record ContainerCommand(String program, List<String> arguments, String script) {

    static final String TEKTON_ENTRYPOINT = "/tekton/bin/entrypoint";
    private static final String TEKTON_SCRIPTS = "/tekton/scripts/";
    private static final Set<String> SHELLS = Set.of("sh", "bash", "ash", "dash", "zsh", "ksh");
    private static final ObjectMapper JSON = new ObjectMapper();
    // one file of Tekton's place-scripts init container (pkg/pod/script.go)
    private static final Pattern PLACED_SCRIPT = Pattern.compile(
            "scriptfile=\"([^\"]+)\"\\ntouch \\$\\{scriptfile} && chmod \\+x \\$\\{scriptfile}\\n"
                    + "cat > \\$\\{scriptfile} << '([^']+)'\\n(.*?)\\n\\2\\n"
                    + "(/tekton/bin/entrypoint decode-script \"\\$\\{scriptfile}\"\\n)?",
            Pattern.DOTALL);

    static ContainerCommand of(Container container, PodSpec spec) {
        List<String> command = orEmpty(container.getCommand());
        List<String> args = orEmpty(container.getArgs());
        if (command.size() == 1 && TEKTON_ENTRYPOINT.equals(command.get(0))) {
            return tektonStep(container, args, spec);
        }
        if (command.isEmpty()) {
            return new ContainerCommand(null, args, null);
        }
        List<String> arguments = new ArrayList<>(command.subList(1, command.size()));
        arguments.addAll(args);
        return new ContainerCommand(command.get(0), Collections.unmodifiableList(arguments),
                shellScript(command.get(0), arguments));
    }

    /**
     * Tekton runs a step as {@code /tekton/bin/entrypoint <its flags> [-entrypoint <cmd[0]>] -- <cmd[1:]> <args>}.
     * A step without a command has no {@code -entrypoint}: Tekton looked the image's ENTRYPOINT up in the
     * registry and passes it per platform in the env variable {@code TEKTON_PLATFORM_COMMANDS}.
     */
    private static ContainerCommand tektonStep(Container container, List<String> args, PodSpec spec) {
        int separator = args.indexOf("--");
        if (separator < 0) {
            return new ContainerCommand(TEKTON_ENTRYPOINT, args, null);
        }
        String program = null;
        for (int i = 0; i < separator - 1; i++) {
            if ("-entrypoint".equals(args.get(i))) {
                program = args.get(i + 1);
            }
        }
        List<String> arguments = new ArrayList<>();
        if (program == null) {
            Optional<List<String>> imageCommand = platformCommand(container);
            if (imageCommand.isPresent() && !imageCommand.get().isEmpty()) {
                program = imageCommand.get().get(0);
                arguments.addAll(imageCommand.get().subList(1, imageCommand.get().size()));
            }
        }
        arguments.addAll(args.subList(separator + 1, args.size()));
        String script = program != null && program.startsWith(TEKTON_SCRIPTS) ? placedScript(spec, program) : null;
        if (script == null && program != null) {
            script = shellScript(program, arguments);
        }
        return new ContainerCommand(program, Collections.unmodifiableList(arguments), script);
    }

    /** The image's command when every platform of {@code TEKTON_PLATFORM_COMMANDS} has the same one. */
    private static Optional<List<String>> platformCommand(Container container) {
        String value = orEmpty(container.getEnv()).stream().filter(Objects::nonNull)
                .filter(var -> "TEKTON_PLATFORM_COMMANDS".equals(var.getName())).map(EnvVar::getValue)
                .filter(Objects::nonNull).findFirst().orElse(null);
        if (value == null) {
            return Optional.empty();
        }
        try {
            JsonNode platforms = JSON.readTree(value);
            Set<List<String>> commands = new HashSet<>();
            platforms.forEach(command -> {
                List<String> words = new ArrayList<>();
                command.forEach(word -> words.add(word.asText()));
                commands.add(words);
            });
            return commands.size() == 1 ? Optional.of(commands.iterator().next()) : Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** A Tekton {@code script:} lives in the place-scripts init container, base64-encoded since v0.28. */
    private static String placedScript(PodSpec spec, String file) {
        if (spec == null) {
            return null;
        }
        for (Container init : orEmpty(spec.getInitContainers())) {
            if (init == null) {
                continue;
            }
            for (String arg : orEmpty(init.getArgs())) {
                if (arg == null) {
                    continue;
                }
                Matcher placed = PLACED_SCRIPT.matcher(arg);
                while (placed.find()) {
                    if (!file.equals(placed.group(1))) {
                        continue;
                    }
                    if (placed.group(4) == null) {
                        return placed.group(3);
                    }
                    try {
                        return new String(Base64.getMimeDecoder().decode(placed.group(3)), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException e) {
                        return null;
                    }
                }
            }
        }
        return null;
    }

    /** {@code sh -c 'script'}, also with more options in the same word ({@code -ec}, {@code -xc}). */
    private static String shellScript(String program, List<String> arguments) {
        if (!SHELLS.contains(basename(program))) {
            return null;
        }
        for (int i = 0; i < arguments.size() - 1; i++) {
            String word = arguments.get(i);
            if (word == null || !word.startsWith("-") || word.startsWith("--")) {
                return null;
            }
            if (word.indexOf('c') > 0) {
                return arguments.get(i + 1);
            }
        }
        return null;
    }

    static String basename(String program) {
        if (program == null) {
            return "";
        }
        int slash = program.lastIndexOf('/');
        return slash < 0 ? program : program.substring(slash + 1);
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
