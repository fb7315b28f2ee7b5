package dev.modproxy.operator.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modproxy.operator.webhook.PodReview.EnvEntry;
import dev.modproxy.operator.webhook.PodReview.PodContainer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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
    static final String TEKTON_SCRIPTS = "/tekton/scripts/";
    static final Set<String> SHELLS = Set.of("sh", "bash", "ash", "dash", "zsh", "ksh");
    private static final ObjectMapper JSON = new ObjectMapper();
    // how Tekton's place-scripts init container writes one script file (pkg/pod/script.go)
    private static final String HEREDOC = "cat > ${scriptfile} << '";
    private static final String DECODE = "/tekton/bin/entrypoint decode-script \"${scriptfile}\"";

    /** {@code initContainers}: the pod's, where Tekton's place-scripts container holds the step scripts. */
    static ContainerCommand of(PodContainer container, List<PodContainer> initContainers) {
        List<String> command = container.command();
        List<String> args = container.args();
        if (command.size() == 1 && TEKTON_ENTRYPOINT.equals(command.get(0))) {
            return tektonStep(container, args, initContainers);
        }
        if (command.isEmpty()) {
            return new ContainerCommand(null, args, null);
        }
        List<String> arguments = new ArrayList<>(command.subList(1, command.size()));
        arguments.addAll(args);
        String program = command.get(0);
        // a Tekton sidecar with a script runs the script file itself, without the entrypoint
        String script = program != null && program.startsWith(TEKTON_SCRIPTS)
                ? placedScript(initContainers, program)
                : shellScript(program, arguments);
        return new ContainerCommand(program, Collections.unmodifiableList(arguments), script);
    }

    /**
     * Tekton runs a step as {@code /tekton/bin/entrypoint <its flags> [-entrypoint <cmd[0]>] -- <cmd[1:]> <args>}.
     * A step without a command has no {@code -entrypoint}: Tekton looked the image's ENTRYPOINT up in the
     * registry and passes it per platform in the env variable {@code TEKTON_PLATFORM_COMMANDS}.
     */
    private static ContainerCommand tektonStep(
            PodContainer container, List<String> args, List<PodContainer> initContainers) {
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
                arguments.addAll(
                        imageCommand.get().subList(1, imageCommand.get().size()));
            }
        }
        arguments.addAll(args.subList(separator + 1, args.size()));
        String script =
                program != null && program.startsWith(TEKTON_SCRIPTS) ? placedScript(initContainers, program) : null;
        if (script == null && program != null) {
            script = shellScript(program, arguments);
        }
        return new ContainerCommand(program, Collections.unmodifiableList(arguments), script);
    }

    /** The image's command when every platform of {@code TEKTON_PLATFORM_COMMANDS} has the same one. */
    private static Optional<List<String>> platformCommand(PodContainer container) {
        String value = container.env().stream()
                .filter(Objects::nonNull)
                .filter(var -> "TEKTON_PLATFORM_COMMANDS".equals(var.name()))
                .map(EnvEntry::value)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
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

    /**
     * A Tekton {@code script:} lives in the place-scripts init container as a heredoc, base64-encoded
     * (and decoded by the entrypoint) since Tekton v0.28. Read with indexOf: linear in a review of any size.
     */
    private static String placedScript(List<PodContainer> initContainers, String file) {
        String header = "scriptfile=\"" + file + "\"\n";
        for (PodContainer init : initContainers) {
            for (String arg : init == null ? List.<String>of() : init.args()) {
                int at = arg == null ? -1 : arg.indexOf(header);
                int heredoc = at < 0 ? -1 : arg.indexOf(HEREDOC, at + header.length());
                int tagEnd = heredoc < 0 ? -1 : arg.indexOf("'\n", heredoc + HEREDOC.length());
                if (tagEnd < 0) {
                    continue;
                }
                String terminator = "\n" + arg.substring(heredoc + HEREDOC.length(), tagEnd) + "\n";
                int bodyStart = tagEnd + 2;
                int bodyEnd = arg.indexOf(terminator, bodyStart);
                if (bodyEnd < 0) {
                    continue;
                }
                String body = arg.substring(bodyStart, bodyEnd);
                if (!arg.startsWith(DECODE, bodyEnd + terminator.length())) {
                    return body;
                }
                try {
                    return new String(Base64.getMimeDecoder().decode(body), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
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
                String script = arguments.get(i + 1);
                // Tekton's place-scripts writes the step scripts; it runs none of them
                return script != null && script.contains("scriptfile=\"" + TEKTON_SCRIPTS) ? null : script;
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
}
