package dev.modproxy.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.webhook.PodReview.EnvEntry;
import dev.modproxy.operator.webhook.PodReview.PodContainer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which containers count as image builders, and which as script-driven builds: the table docs/image-builds.md states. */
class ImageBuilderRecognitionTest {

    @ParameterizedTest(name = "{0} | {1} | {2} -> {3}")
    @CsvSource(
            delimiter = ';',
            nullValues = "-",
            value = {
                // image; command; args; recognised as
                "gcr.io/kaniko-project/executor:v1.23.2; -; --context=. --destination=r/a; KANIKO",
                "gcr.io/kaniko-project/executor@sha256:c6166717f7fe0b7da44908c986137ecfeab21f31ec3992f6e128fff8a94be8a5; -; --no-push; KANIKO",
                "registry.cn-hangzhou.aliyuncs.com/mirrors/kaniko-project/executor:v1.9.1; -; --no-push; KANIKO",
                "cgr.dev/chainguard/kaniko:latest; -; --no-push; KANIKO",
                "my.registry/tools/builder:1; /kaniko/executor; --no-push; KANIKO",
                "gcr.io/kaniko-project/executor:debug; /busybox/sleep; infinity; -",
                "gcr.io/kaniko-project/executor:debug; /busybox/sh -c; /kaniko/executor --no-push; -",
                "moby/buildkit:v0.16.0; buildctl; build --frontend=dockerfile.v0; BUILDKIT",
                "moby/buildkit:v0.16.0-rootless; buildctl-daemonless.sh; build --frontend=dockerfile.v0; BUILDKIT",
                "moby/buildkit:v0.16.0; /usr/bin/buildctl; --addr tcp://buildkitd:1234 build; BUILDKIT",
                "moby/buildkit:v0.16.0; -; --addr tcp://0.0.0.0:1234; -",
                "quay.io/buildah/stable:v1; buildah; bud -t a .; -",
                "golang:1.26; go; build ./...; -",
            })
    void recognisesBuildersByTheProgramAndKanikoAlsoByItsImage(
            String image, String command, String args, String expected) {
        PodContainer container = new PodContainer("c", image, words(command), words(args), List.of(), List.of());

        Optional<ImageBuilder> builder = ImageBuilder.recognise(ContainerCommand.of(container, List.of()), image);

        assertThat(builder).isEqualTo(Optional.ofNullable(expected).map(ImageBuilder::valueOf));
    }

    @Test
    void tektonStepIsReadBehindItsEntrypointWithOrWithoutACommand() {
        PodContainer withCommand = new PodContainer(
                "step-build",
                "moby/buildkit:v0.16.0",
                List.of("/tekton/bin/entrypoint"),
                List.of(
                        "-post_file",
                        "/tekton/run/0/out",
                        "-entrypoint",
                        "buildctl",
                        "-results",
                        "IMAGE_DIGEST",
                        "--",
                        "--addr",
                        "tcp://buildkitd:1234",
                        "build"),
                List.of(),
                List.of());
        PodContainer withoutCommand = new PodContainer(
                "step-build",
                "gcr.io/kaniko-project/executor@sha256:c6166717f7fe0b7da44908c986137ecfeab21f31ec3992f6e128fff8a94be8a5",
                List.of("/tekton/bin/entrypoint"),
                List.of("-post_file", "/tekton/run/0/out", "--", "--no-push"),
                List.of(new EnvEntry(
                        "TEKTON_PLATFORM_COMMANDS",
                        "{\"linux/amd64\":[\"/kaniko/executor\"],\"linux/arm64\":[\"/kaniko/executor\"]}",
                        false)),
                List.of());

        ContainerCommand buildctl = ContainerCommand.of(withCommand, List.of());
        ContainerCommand kaniko = ContainerCommand.of(withoutCommand, List.of());

        assertThat(buildctl.program()).isEqualTo("buildctl");
        assertThat(buildctl.arguments()).isEqualTo(List.of("--addr", "tcp://buildkitd:1234", "build"));
        assertThat(kaniko.program()).isEqualTo("/kaniko/executor");
        assertThat(kaniko.arguments()).isEqualTo(List.of("--no-push"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "buildah --storage-driver=vfs bud -t app .",
                "buildah build --layers -t app .",
                "podman build -t app .",
                "docker build -t app .",
                "docker buildx build --push -t app .",
                "docker \\\n  build -t app .",
                "set -e\n/kaniko/executor --context=. --no-push",
                "nerdctl build -t app .",
            })
    void scriptsThatBuildImagesAreRecognised(String script) {
        assertThat(ScriptedImageBuild.runsAnImageBuild(script)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "go build ./...",
                "docker login -u ci registry && go build ./...",
                "# docker build -t app .\necho skipped",
                "buildah push app docker://registry/app",
                "echo building",
            })
    void scriptsThatDoNotBuildImagesAreNot(String script) {
        assertThat(ScriptedImageBuild.runsAnImageBuild(script)).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "buildah, bash, true",
        "docker:27-cli, sleep, true",
        "gcr.io/kaniko-project/executor:debug, /busybox/cat, true",
        "docker:27-dind, -, false",
        "golang:1.26, sleep, false",
    })
    void builderImagesThatIdleAreBuildsDrivenFromOutside(String image, String command, boolean warned) {
        PodContainer container = new PodContainer(
                "c", image, "-".equals(command) ? List.of() : List.of(command), List.of(), List.of(), List.of());
        ContainerCommand parsed = ContainerCommand.of(container, List.of());

        assertThat(ScriptedImageBuild.needsBuildArgsByHand(parsed, image, ImageBuilder.recognise(parsed, image)))
                .isEqualTo(warned);
    }

    private static List<String> words(String text) {
        return text == null ? List.of() : Arrays.asList(text.split(" "));
    }
}
