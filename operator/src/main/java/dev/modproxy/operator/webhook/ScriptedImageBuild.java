package dev.modproxy.operator.webhook;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Image builds the webhook can see but cannot hand build arguments to, because a script drives the
 * tool: it does not rewrite scripts, it tells the user what to add. Three shapes:
 * <ul>
 * <li>a script in the spec ({@code sh -c}, a Tekton {@code script:} step) that runs {@code buildah bud|build},
 * {@code podman build}, {@code docker [buildx] build}, {@code nerdctl build}, {@code /kaniko/executor} or
 * {@code buildctl ... build}, names no {@code GOPROXY} build argument and is not given {@code GOPROXY} as an
 * argument;</li>
 * <li>a builder image (Kaniko, Buildah, Podman, the Docker CLI) that idles ({@code sleep}, {@code cat},
 * {@code tail}), runs a shell without a script, or a Tekton script that cannot be read: the Jenkins
 * kubernetes plugin runs the pipeline's {@code sh} steps in such containers;</li>
 * <li>a recognised Kaniko or BuildKit command line after which appended flags would not be read as flags
 * (a {@code --} ends them).</li>
 * </ul>
 */
final class ScriptedImageBuild {

    private static final Set<String> BUILD_TOOLS =
            Set.of("buildah", "podman", "nerdctl", "docker", "buildctl", "buildctl-daemonless.sh");
    private static final Set<String> BUILD_SUBCOMMANDS = Set.of("build", "bud");
    private static final Pattern PASSES_GOPROXY = Pattern.compile("build-arg[\\s=:]+[\"']?GOPROXY\\b");
    private static final Set<String> IDLE = Set.of("sleep", "cat", "tail");

    private ScriptedImageBuild() {}

    /** Whether the user has to pass the build arguments in the container's own script. */
    static boolean needsBuildArgsByHand(ContainerCommand command, String image, Optional<ImageBuilder> builder) {
        if (builder.isPresent()) {
            return builder.get().builds(command.arguments())
                    && !builder.get().readsAppendedFlags(command.arguments())
                    && !builder.get().buildArgs(command.arguments()).containsKey(GoEnvironment.GOPROXY);
        }
        if (command.script() != null) {
            return runsAnImageBuild(command.script())
                    && !PASSES_GOPROXY.matcher(command.script()).find()
                    && !namesGoproxy(command);
        }
        // a script the spec does not show (or Tekton's that could not be read) may run the build
        String program = ContainerCommand.basename(command.program());
        boolean unreadTektonScript =
                command.program() != null && command.program().startsWith(ContainerCommand.TEKTON_SCRIPTS);
        return isBuilderImage(image)
                && (IDLE.contains(program) || ContainerCommand.SHELLS.contains(program) || unreadTektonScript);
    }

    /**
     * A script given {@code GOPROXY} or {@code GOPROXY=...} as an argument passes it on as a build argument:
     * Tekton's catalog buildah task turns each of its {@code BUILD_ARGS} into {@code --build-arg=<word>}.
     */
    private static boolean namesGoproxy(ContainerCommand command) {
        return command.arguments().stream()
                .anyMatch(word -> word != null
                        && (word.equals(GoEnvironment.GOPROXY) || word.startsWith(GoEnvironment.GOPROXY + "=")));
    }

    /**
     * A command of the script runs a build tool with a {@code build} (or {@code bud}) word after it, or
     * runs {@code /kaniko/executor}. Word by word, so it stays linear in the size of the script.
     */
    static boolean runsAnImageBuild(String script) {
        // a line continued with a backslash is one command
        for (String line : script.replace("\\\r\n", " ").replace("\\\n", " ").split("\n")) {
            if (line.strip().startsWith("#")) {
                continue;
            }
            // "docker login ... && go build" is two commands, and no image build
            for (String command : line.split("[;&|]")) {
                boolean tool = false;
                for (String word : command.strip().split("\\s+")) {
                    if (word.endsWith("/kaniko/executor")) {
                        return true;
                    }
                    String name = ContainerCommand.basename(word);
                    if (tool && BUILD_SUBCOMMANDS.contains(name)) {
                        return true;
                    }
                    tool |= BUILD_TOOLS.contains(name);
                }
            }
        }
        return false;
    }

    /** Images whose reason to exist is building images from a Dockerfile with a command-line tool. */
    static boolean isBuilderImage(String image) {
        String repository = ImageBuilder.repository(image);
        String last = repository.substring(repository.lastIndexOf('/') + 1);
        return ImageBuilder.isKanikoImage(image)
                || repository.contains("buildah")
                || repository.contains("podman")
                || ("docker".equals(last) && !repository.contains("/") || repository.endsWith("library/docker"));
    }
}
